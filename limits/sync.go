package limits

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portico-gw/portico/limiter"
)

// sync runs one exchange of synced mode: for every live key it adds this
// process's new counts to the shared counters of the current and previous
// window (or only reads them when there is nothing new), and records the
// totals, so that local decisions count what the rest of the fleet
// admitted. It reuses ds and returns it. A failed exchange marks Redis
// down; the next one that succeeds marks it up.
//
// Counts made while Redis is down are pushed when it returns, unless
// their window ended meanwhile.
func (r *redisBackend) sync(ds []limiter.Delta) []limiter.Delta {
	now := time.Now()
	ds = r.loc.tab.CollectAt(now, ds)
	if len(ds) == 0 {
		if !r.up.Load() {
			r.probe()
		}
		return ds
	}
	for i := 0; i < len(ds); i += syncBatch {
		if err := r.syncBatch(ds[i:min(i+syncBatch, len(ds))]); err != nil {
			r.markDown(err)
			return ds
		}
	}
	r.markUp()
	return ds
}

// syncBatch exchanges the counts of ds in one pipeline.
func (r *redisBackend) syncBatch(ds []limiter.Delta) error {
	ctx, cancel := context.WithTimeout(context.Background(), r.bc.timeout)
	defer cancel()
	pipe := r.client.Pipeline()
	cur := make([]countReply, len(ds))
	prev := make([]countReply, len(ds))
	for i := range ds {
		d := &ds[i]
		cur[i] = counterCmd(ctx, pipe, r.redisKey(d.Key, d.Index), d.Curr, d.TTL)
		prev[i] = counterCmd(ctx, pipe, r.redisKey(d.Key, d.Index-1), d.Prev, d.TTL)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	for i := range ds {
		c, errC := cur[i].value()
		p, errP := prev[i].value()
		if err := errors.Join(errC, errP); err != nil {
			return err
		}
		r.loc.tab.Commit(&ds[i], c, p)
	}
	return nil
}

// countReply is the pending reply of one shared counter: an increment or
// a read.
type countReply struct {
	inc *redis.IntCmd
	get *redis.StringCmd
}

// value returns the counter's total; a missing key is 0.
func (c countReply) value() (int64, error) {
	if c.inc != nil {
		return c.inc.Result()
	}
	v, err := c.get.Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return v, err
}

// counterCmd queues an increment of key by delta, keeping it for ttl, or
// a read when delta is 0.
func counterCmd(ctx context.Context, pipe redis.Pipeliner, key string, delta int64,
	ttl time.Duration) countReply {
	if delta == 0 {
		return countReply{get: pipe.Get(ctx, key)}
	}
	c := countReply{inc: pipe.IncrBy(ctx, key, delta)}
	pipe.PExpire(ctx, key, max(ttl, time.Millisecond))
	return c
}
