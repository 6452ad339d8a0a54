package limits

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/portico-gw/portico/limiter"
)

// The Redis client is github.com/redis/go-redis/v9: the client the Redis
// project maintains, with pipelines, scripts (EVALSHA with a fallback to
// EVAL after a script flush) and per-call timeouts on every path we use.
// It allocates per command (boxed arguments, a Cmd per call), which is why
// the synced mode keeps it off the request path; strict mode pays it per
// decision (see BenchmarkCheckAtRedisStrict).

// Log keys of this file.
const (
	logKeyAddr  = "redis_addr"
	logKeyMode  = "redis_mode"
	logKeyError = "error"
)

// strictScript decides one request on Redis: KEYS are the counters of
// the current and previous window, ARGV the limit, the previous window's
// weight, whether the window is fixed (1) and the counter's TTL in ms. It
// returns {admitted 0|1, current count before, previous count}.
var strictScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local prev = 0
if ARGV[3] ~= '1' then prev = tonumber(redis.call('GET', KEYS[2]) or '0') end
if cur + 1 + prev * tonumber(ARGV[2]) > tonumber(ARGV[1]) then
  return {0, cur, prev}
end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return {1, cur, prev}
`)

// refundScript takes one count back from KEYS[1] when it has any.
var refundScript = redis.NewScript(`
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
return 0
`)

// syncBatch is the most keys exchanged in one pipeline.
const syncBatch = 512

// redisBackend shares counts through Redis. In strict mode every decision
// runs strictScript; in synced mode decisions run on the local table and
// a background loop exchanges counts every interval. Whenever Redis fails
// or is slower than the timeout, the backend marks it down (logged and
// counted once per transition) and counts locally until a probe succeeds.
type redisBackend struct {
	bc     backendConfig
	loc    *local
	client *redis.Client
	logger *slog.Logger

	up        atomic.Bool
	fallbacks atomic.Int64

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// quietClient keeps go-redis's own log lines (one per failed dial) out
// of the gateway's output; the backend logs transitions itself. The
// client's logger is process-wide, so this is set once.
var quietClient sync.Once

// discardLogger drops go-redis's log lines.
type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

// newRedis starts the fleet-wide backend over loc. It does not wait for
// Redis: until the first exchange succeeds, counting is local.
func newRedis(bc backendConfig, loc *local, logger *slog.Logger) *redisBackend {
	quietClient.Do(func() { redis.SetLogger(discardLogger{}) })
	r := &redisBackend{bc: bc, loc: loc, logger: logger,
		stop: make(chan struct{}), done: make(chan struct{})}
	r.client = redis.NewClient(&redis.Options{
		Addr:                  bc.addr,
		DialTimeout:           bc.timeout,
		ReadTimeout:           bc.timeout,
		WriteTimeout:          bc.timeout,
		PoolTimeout:           bc.timeout,
		ContextTimeoutEnabled: true,
		MaxRetries:            -1,
		DialerRetries:         1,
		DisableIdentity:       true,
		MaintNotificationsConfig: &maintnotifications.Config{
			Mode: maintnotifications.ModeDisabled},
	})
	r.up.Store(true)
	go r.loop()
	return r
}

// loop runs every interval until close: in synced mode it exchanges
// counts, in strict mode it probes Redis while it is down.
func (r *redisBackend) loop() {
	defer close(r.done)
	t := time.NewTicker(r.bc.interval)
	defer t.Stop()
	var ds []limiter.Delta
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		switch {
		case r.bc.mode == modeSynced:
			ds = r.sync(ds[:0])
		case !r.up.Load():
			r.probe()
		}
	}
}

// probe pings a Redis marked down and marks it up when it answers.
func (r *redisBackend) probe() {
	ctx, cancel := context.WithTimeout(context.Background(), r.bc.timeout)
	defer cancel()
	if err := r.client.Ping(ctx).Err(); err == nil {
		r.markUp()
	}
}

// markDown records that Redis failed: once per transition it logs,
// counts, and in synced mode forgets the fleet's counts, which can no
// longer be refreshed.
func (r *redisBackend) markDown(err error) {
	if !r.up.CompareAndSwap(true, false) {
		return
	}
	r.fallbacks.Add(1)
	if r.bc.mode == modeSynced {
		r.loc.tab.ForgetRemote()
	}
	r.logger.LogAttrs(context.Background(), slog.LevelWarn,
		"limiter: redis unavailable, counting in this process only",
		slog.String(logKeyAddr, r.bc.addr), slog.String(logKeyMode, r.bc.mode),
		slog.String(logKeyError, err.Error()))
}

// markUp records that Redis answers again.
func (r *redisBackend) markUp() {
	if r.up.CompareAndSwap(false, true) {
		r.logger.LogAttrs(context.Background(), slog.LevelInfo,
			"limiter: redis available again, sharing counts",
			slog.String(logKeyAddr, r.bc.addr), slog.String(logKeyMode, r.bc.mode))
	}
}

// redisKey names the shared counter of key in window idx.
func (r *redisBackend) redisKey(key uint64, idx int64) string {
	b := make([]byte, 0, len(r.bc.prefix)+40)
	b = append(b, r.bc.prefix...)
	b = strconv.AppendUint(b, key, 16)
	b = append(b, ':')
	b = strconv.AppendInt(b, idx, 10)
	return string(b)
}

func (r *redisBackend) takeAt(key uint64, w limiter.Window, now time.Time) limiter.Result {
	if r.bc.mode == modeSynced || !r.up.Load() {
		return r.loc.takeAt(key, w, now)
	}
	res, err := r.strictTake(key, w, now)
	if err != nil {
		r.markDown(err)
		return r.loc.takeAt(key, w, now)
	}
	return res
}

// errReply is a reply of strictScript that is not three integers.
var errReply = errors.New("limits: unexpected redis script reply")

// strictTake runs one decision on Redis.
//
// TODO: each limit and quota of a request is its own script call, so a
// plan with three of them costs three round trips in strict mode; one
// script over all of them would cost one.
func (r *redisBackend) strictTake(key uint64, w limiter.Window,
	now time.Time) (limiter.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.bc.timeout)
	defer cancel()
	fixed, ttl := "0", 2*w.Length-(now.UnixNano()-w.Start)
	if w.Fixed {
		fixed, ttl = "1", w.Length-(now.UnixNano()-w.Start)
	}
	keys := []string{r.redisKey(key, w.Index), r.redisKey(key, w.Index-1)}
	vals, err := strictScript.Run(ctx, r.client, keys, w.Limit,
		strconv.FormatFloat(w.Weight(now), 'g', -1, 64), fixed,
		max(ttl/int64(time.Millisecond), 1)).Int64Slice()
	if err != nil {
		return limiter.Result{}, err
	}
	if len(vals) != 3 {
		return limiter.Result{}, errReply
	}
	res := w.DecideAt(now, vals[1], vals[2])
	if admitted := vals[0] == 1; admitted != res.Allowed {
		// Float rounding differs at the very edge; Redis counted or
		// not, and that is the truth.
		res = w.DecideAt(now, vals[1], vals[2])
		res.Allowed = admitted
	}
	return res, nil
}

func (r *redisBackend) refund(key uint64, w limiter.Window) {
	if r.bc.mode == modeSynced || !r.up.Load() {
		r.loc.refund(key, w)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.bc.timeout)
	defer cancel()
	err := refundScript.Run(ctx, r.client, []string{r.redisKey(key, w.Index)}).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		r.markDown(err)
	}
}

func (r *redisBackend) close() {
	r.once.Do(func() {
		close(r.stop)
		<-r.done
		r.client.Close()
		r.loc.close()
	})
}

// stats reports whether Redis is up and how often it went down.
func (r *redisBackend) stats() (bool, int64) { return r.up.Load(), r.fallbacks.Load() }
