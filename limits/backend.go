package limits

import (
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/limiter"
)

// Backend defaults, see config.Limiter and config.Redis.
const (
	defaultRedisTimeout = 50 * time.Millisecond
	defaultSyncInterval = 100 * time.Millisecond
	defaultKeyPrefix    = "portico:rl:"

	// sweepInterval is how often expired keys are freed.
	sweepInterval = 5 * time.Second
)

// Redis modes.
const (
	modeSynced = "synced"
	modeStrict = "strict"
)

// batch is the checks of one request, gathered before anything is
// counted so that a backend can count them all or none. It lives on the
// caller's stack; backends are concrete types so that it stays there.
type batch struct {
	n     int
	rules [maxChecks]*rule
	keys  [maxChecks]uint64
	wins  [maxChecks]limiter.Window
	res   [maxChecks]limiter.Result
}

// backend is where counts live: this process, or Redis with this process
// as fallback. It is safe for concurrent use.
type backend struct {
	loc *local
	rd  *redisBackend // nil with backend "local"
}

// takeAll counts the request against every check of b if all of them
// admit it, and fills b.res. It returns the index of the first refusing
// check, or -1; results after that index are not filled.
func (bk *backend) takeAll(b *batch, now time.Time) int {
	if bk.rd != nil {
		if i, ok := bk.rd.takeAll(b, now); ok {
			return i
		}
	}
	return bk.loc.takeAll(b, now)
}

// close stops background work.
func (bk *backend) close() {
	if bk.rd != nil {
		bk.rd.close()
	}
	bk.loc.close()
}

// backendConfig is the compiled [limiter] table with defaults applied. It
// is comparable: a reload keeps the counters when it is unchanged.
type backendConfig struct {
	table    limiter.Config
	redis    bool
	addr     string
	mode     string
	timeout  time.Duration
	interval time.Duration
	prefix   string
}

// compileBackend validates the [limiter] table and applies its defaults.
func compileBackend(l config.Limiter) (backendConfig, error) {
	bc := backendConfig{table: limiter.Config{MaxKeys: l.MaxKeys, Shards: l.Shards}}
	var errs []error
	if s := l.Shards; s < 0 || s > limiter.MaxShards || s&(s-1) != 0 {
		errs = append(errs, config.Errorf("limiter.shards", "must be a power of two, 1..4096"))
	}
	if l.MaxKeys < 0 || l.MaxKeys > 1<<28 {
		errs = append(errs, config.Errorf("limiter.max_keys", "must be between 1 and 268435456"))
	}

	switch l.Backend {
	case "", "local":
		if l.Redis != nil {
			errs = append(errs, config.Errorf("limiter.redis",
				`is only used with backend = "redis"`))
		}
		return bc, errors.Join(errs...)
	case "redis":
	default:
		errs = append(errs, config.Errorf("limiter.backend",
			`must be "local" or "redis", not %q`, l.Backend))
		return bc, errors.Join(errs...)
	}

	r := l.Redis
	if r == nil {
		return bc, errors.Join(append(errs, config.Errorf("limiter.redis",
			`is required with backend = "redis"`))...)
	}
	bc.redis, bc.addr, bc.mode = true, r.Address, r.Mode
	bc.timeout, bc.interval, bc.prefix = r.Timeout, r.SyncInterval, r.KeyPrefix
	if bc.mode == "" {
		bc.mode = modeSynced
	}
	if bc.timeout == 0 {
		bc.timeout = defaultRedisTimeout
	}
	if bc.interval == 0 {
		bc.interval = defaultSyncInterval
	}
	if bc.prefix == "" {
		bc.prefix = defaultKeyPrefix
	}

	if _, _, err := net.SplitHostPort(bc.addr); err != nil {
		errs = append(errs, config.Errorf("limiter.redis.address", "must be host:port: %v", err))
	}
	if bc.mode != modeSynced && bc.mode != modeStrict {
		errs = append(errs, config.Errorf("limiter.redis.mode",
			`must be "synced" or "strict", not %q`, bc.mode))
	}
	if bc.timeout < time.Millisecond || bc.timeout > 5*time.Second {
		errs = append(errs, config.Errorf("limiter.redis.timeout", "must be between 1ms and 5s"))
	}
	if bc.interval < 10*time.Millisecond || bc.interval > 10*time.Second {
		errs = append(errs, config.Errorf("limiter.redis.sync_interval",
			"must be between 10ms and 10s"))
	}
	return bc, errors.Join(errs...)
}

// newBackend builds the counters bc describes.
func newBackend(bc backendConfig, logger *slog.Logger) (*backend, error) {
	tab, err := limiter.New(bc.table)
	if err != nil {
		return nil, err
	}
	bk := &backend{loc: newLocal(tab)}
	if bc.redis {
		bk.rd = newRedis(bc, bk.loc, logger)
	}
	return bk, nil
}

// local keeps the counts in this process.
type local struct {
	tab  *limiter.Table
	stop chan struct{}
	done chan struct{}
}

// newLocal starts the sweeper of tab.
func newLocal(tab *limiter.Table) *local {
	l := &local{tab: tab, stop: make(chan struct{}), done: make(chan struct{})}
	go l.sweep()
	return l
}

// sweep frees expired keys until close.
func (l *local) sweep() {
	defer close(l.done)
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case now := <-t.C:
			l.tab.SweepAt(now)
		}
	}
}

// takeAll counts b's checks one by one and, at the first refusal, takes
// back the ones already counted; see backend.takeAll. A caller that finds
// the table full is counted on the rule's shared overflow counter.
func (l *local) takeAll(b *batch, now time.Time) int {
	for i := 0; i < b.n; i++ {
		r := l.tab.TakeAt(b.keys[i], b.wins[i], now)
		if r.Full {
			b.keys[i] = b.rules[i].overflow
			r = l.tab.TakeSharedAt(b.keys[i], b.wins[i], now)
		}
		b.res[i] = r
		if !r.Allowed {
			for j := 0; j < i; j++ {
				l.tab.RefundAt(b.keys[j], b.wins[j])
			}
			return i
		}
	}
	return -1
}

func (l *local) close() {
	close(l.stop)
	<-l.done
}

// joinErrs joins the non-nil errors of a and b.
func joinErrs(a, b error) error { return errors.Join(a, b) }
