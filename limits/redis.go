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
// decision (see BenchmarkCheckAtRedis/strict).

// Log keys of this file.
const (
	logKeyAddr  = "redis_addr"
	logKeyMode  = "redis_mode"
	logKeyError = "error"
)

// strictScript decides one request on Redis, all of its checks at once:
// KEYS are, per check, the counters of the current and previous window;
// ARGV are, per check, the limit, the previous window's weight, whether
// the window is fixed (1) and the counter's TTL in ms. It counts the
// request in every check only if all admit it, and returns the index of
// the first refusing check (-1 when none) followed by each check's current
// and previous count before the request.
//
// TODO: the keys of one request may hash to different Redis Cluster
// slots, so the script needs a single Redis (or a primary with replicas);
// on a cluster every strict decision fails and the gateway counts locally.
var strictScript = redis.NewScript(`
local n = #KEYS / 2
local out = {-1}
for i = 1, n do
  local a = 4 * (i - 1)
  local cur = tonumber(redis.call('GET', KEYS[2*i-1]) or '0')
  local prev = 0
  if ARGV[a+3] ~= '1' then prev = tonumber(redis.call('GET', KEYS[2*i]) or '0') end
  out[2*i] = cur
  out[2*i+1] = prev
  if out[1] < 0 and cur + 1 + prev * tonumber(ARGV[a+2]) > tonumber(ARGV[a+1]) then
    out[1] = i - 1
  end
end
if out[1] < 0 then
  for i = 1, n do
    if redis.call('INCR', KEYS[2*i-1]) == 1 then
      redis.call('PEXPIRE', KEYS[2*i-1], ARGV[4*(i-1)+4])
    end
  end
end
return out
`)

// syncBatch is the most keys exchanged in one pipeline.
const syncBatch = 512

// redisBackend shares counts through Redis. In strict mode every decision
// runs strictScript; in synced mode decisions run on the local table and
// a background loop exchanges counts every interval. Whenever Redis fails
// or is slower than the timeout, the backend marks it down (logged and
// counted once per transition) and counts locally until a probe succeeds.
// In strict mode the requests admitted locally during an outage are not
// added to Redis afterwards, so each gateway may admit up to a limit more
// in the windows the outage touched; synced mode pushes them when Redis
// returns, unless their window has ended.
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
//
// TODO: strict mode does not add the requests it admitted locally during
// an outage to Redis when it returns; the fleet may admit up to one limit
// per gateway more in the windows the outage touched, and only the usage
// counts show it.
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

// takeAll decides b in strict mode and reports true; it reports false
// when the caller must count locally: in synced mode, while Redis is
// down, and when this call finds it down.
func (r *redisBackend) takeAll(b *batch, now time.Time) (int, bool) {
	if r.bc.mode == modeSynced || !r.up.Load() {
		return 0, false
	}
	refused, err := r.strict(b, now)
	if err != nil {
		r.markDown(err)
		return 0, false
	}
	return refused, true
}

// errReply is a reply of strictScript of the wrong shape.
var errReply = errors.New("limits: unexpected redis script reply")

// strict runs strictScript for b: one round trip per request, whatever
// the number of checks. Building the call allocates (keys, boxed
// arguments, the client's command).
func (r *redisBackend) strict(b *batch, now time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.bc.timeout)
	defer cancel()
	keys := make([]string, 0, 2*b.n)
	args := make([]any, 0, 4*b.n)
	n := now.UnixNano()
	for i := 0; i < b.n; i++ {
		w := &b.wins[i]
		fixed, ttl := "0", 2*w.Length-(n-w.Start)
		if w.Fixed {
			fixed, ttl = "1", w.Length-(n-w.Start)
		}
		keys = append(keys, r.redisKey(b.keys[i], w.Index), r.redisKey(b.keys[i], w.Index-1))
		args = append(args, w.Limit, strconv.FormatFloat(w.Weight(now), 'g', -1, 64), fixed,
			max(ttl/int64(time.Millisecond), 1))
	}
	vals, err := strictScript.Run(ctx, r.client, keys, args...).Int64Slice()
	if err != nil {
		return 0, err
	}
	if len(vals) != 1+2*b.n || vals[0] < -1 || vals[0] >= int64(b.n) {
		return 0, errReply
	}

	// Redis decided; the results only add what the headers show.
	refused := int(vals[0])
	for i := 0; i < b.n; i++ {
		b.res[i] = b.wins[i].DecideAt(now, vals[1+2*i], vals[2+2*i])
		b.res[i].Allowed = refused < 0 || i < refused
	}
	return refused, nil
}

func (r *redisBackend) close() {
	r.once.Do(func() {
		close(r.stop)
		<-r.done
		r.client.Close()
	})
}

// stats reports whether Redis is up and how often it went down.
func (r *redisBackend) stats() (bool, int64) { return r.up.Load(), r.fallbacks.Load() }
