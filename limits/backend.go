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

// counter is where counts live: this process, or Redis with this process
// as fallback. Implementations are safe for concurrent use.
type counter interface {
	// takeAt counts one request for key in w if it fits.
	takeAt(key uint64, w limiter.Window, now time.Time) limiter.Result
	// refund takes one counted request back.
	refund(key uint64, w limiter.Window)
	// close stops background work.
	close()
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
	if _, err := limiter.New(limiter.Config{Shards: l.Shards, MaxKeys: 1}); err != nil {
		errs = append(errs, config.Errorf("limiter.shards", "must be a power of two, 1..65536"))
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
func newBackend(bc backendConfig, logger *slog.Logger) (counter, error) {
	tab, err := limiter.New(bc.table)
	if err != nil {
		return nil, err
	}
	loc := newLocal(tab)
	if !bc.redis {
		return loc, nil
	}
	return newRedis(bc, loc, logger), nil
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

func (l *local) takeAt(key uint64, w limiter.Window, now time.Time) limiter.Result {
	return l.tab.TakeAt(key, w, now)
}

func (l *local) refund(key uint64, w limiter.Window) { l.tab.RefundAt(key, w) }

func (l *local) close() {
	close(l.stop)
	<-l.done
}

// joinErrs joins the non-nil errors of a and b.
func joinErrs(a, b error) error { return errors.Join(a, b) }

// Compile-time checks that the backends are counters.
var (
	_ counter = (*local)(nil)
	_ counter = (*redisBackend)(nil)
)
