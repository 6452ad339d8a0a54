package pool

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Upstream is a named set of targets with their connection pools, a
// balancer and health state. Build it with New; it is safe for
// concurrent use.
type Upstream struct {
	set     settings
	targets []*Target
	bal     balancer

	// ejectMu serialises ejection decisions, which must count the
	// targets already out. It is taken only when a target crosses the
	// failure threshold.
	ejectMu sync.Mutex
	// lastEjectEnd holds, per target, when its last ejection was due to
	// end (unix nano); guarded by ejectMu.
	lastEjectEnd []int64

	// closed is set by Close; attempts read it to drop connections that
	// come back after Close.
	closed atomic.Bool
	// runMu orders Start and Close, so that no health check is added to
	// checks while Close waits for them.
	runMu   sync.Mutex
	started bool
	stop    chan struct{}
	checks  sync.WaitGroup
}

// TargetStatus is a snapshot of one target for the admin API.
type TargetStatus struct {
	// Addr is the target's host:port as configured.
	Addr string `json:"address"`
	// Weight is the target's weight (1 if not configured).
	Weight int `json:"weight"`
	// Healthy is the active health check's verdict (true without checks).
	Healthy bool `json:"healthy"`
	// EjectedUntil is when a passive ejection ends; zero if not ejected.
	EjectedUntil time.Time `json:"ejected_until,omitzero"`
	// Outstanding is the number of requests in flight to the target.
	Outstanding int `json:"outstanding"`
	// Conns is the number of open connections, busy or idle.
	Conns int `json:"conns"`
}

// New builds an upstream from cfg, applying defaults. It opens no
// connection; call Start to begin health checks.
func New(cfg Config) (*Upstream, error) {
	s, err := applyDefaults(cfg)
	if err != nil {
		return nil, err
	}
	u := &Upstream{
		set:          s,
		targets:      make([]*Target, len(s.Targets)),
		lastEjectEnd: make([]int64, len(s.Targets)),
		stop:         make(chan struct{}),
	}
	for i, tc := range s.Targets {
		t := &Target{addr: tc.Addr, weight: tc.Weight, up: u}
		if i < 64 {
			t.bit = 1 << uint(i)
		}
		t.healthy.Store(true)
		t.hc = newHostClient(&u.set, tc.Addr, t.dial)
		u.targets[i] = t
	}
	u.bal, err = newBalancer(s.Balance, u.targets)
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Name returns the upstream's name.
func (u *Upstream) Name() string { return u.set.Name }

// Targets returns the upstream's targets in configured order. The slice
// is shared: do not modify it.
func (u *Upstream) Targets() []*Target { return u.targets }

// Start starts the active health checks, if configured. It is a no-op
// when called again or after Close.
func (u *Upstream) Start() {
	u.runMu.Lock()
	defer u.runMu.Unlock()
	if u.set.Health == nil || u.started || u.closed.Load() {
		return
	}
	u.started = true
	for _, t := range u.targets {
		u.checks.Add(1)
		go u.check(t)
	}
}

// Close stops the health checks and closes idle connections. Requests in
// flight finish, and their connections are closed as they come back;
// Do still works after Close but no longer keeps connections. Close
// waits for the health check goroutines, at most one probe timeout.
func (u *Upstream) Close() {
	u.runMu.Lock()
	if u.closed.Load() {
		u.runMu.Unlock()
		return
	}
	u.closed.Store(true)
	close(u.stop)
	u.runMu.Unlock()

	u.checks.Wait()
	for _, t := range u.targets {
		t.hc.CloseIdleConnections()
	}
}

// Status returns a snapshot of every target, in configured order.
func (u *Upstream) Status() []TargetStatus {
	out := make([]TargetStatus, len(u.targets))
	now := time.Now().UnixNano()
	for i, t := range u.targets {
		out[i] = TargetStatus{
			Addr:        t.addr,
			Weight:      t.weight,
			Healthy:     t.healthy.Load(),
			Outstanding: int(t.outstanding.Load()),
			Conns:       t.hc.ConnsCount(),
		}
		if until := t.ejectedUntil.Load(); until > now {
			out[i].EjectedUntil = time.Unix(0, until)
		}
	}
	return out
}

// eject takes t out of rotation for the ejection time, doubled for each
// ejection in a row up to MaxEjectionTime, unless that would put more
// than MaxEjectedPercent of the targets out (Envoy's rule: eject while
// the share already out is below the limit, so a single target can be
// ejected).
func (u *Upstream) eject(t *Target) {
	u.ejectMu.Lock()
	defer u.ejectMu.Unlock()

	now := time.Now().UnixNano()
	if t.ejectedUntil.Load() > now {
		return
	}
	out := 0
	for _, o := range u.targets {
		if o.ejectedUntil.Load() > now {
			out++
		}
	}
	if out*100 >= u.set.maxEjectedPct*len(u.targets) {
		return
	}

	// A target that stayed in for MaxEjectionTime after its last
	// ejection starts over at the base time.
	i := u.index(t)
	if now-u.lastEjectEnd[i] > int64(MaxEjectionTime) {
		t.ejections.Store(0)
	}
	d := u.set.ejectionTime << t.ejections.Load()
	if d > MaxEjectionTime || d <= 0 {
		d = MaxEjectionTime
	} else {
		t.ejections.Add(1)
	}
	until := now + int64(d)
	u.lastEjectEnd[i] = until
	t.fails.Store(0)
	t.ejectedUntil.Store(until)
	u.set.Logger.LogAttrs(context.Background(), slog.LevelWarn, "upstream target ejected",
		slog.String(keyUpstream, u.set.Name), slog.String(keyTarget, t.addr),
		slog.Duration(keyDuration, d))
}

// index returns t's position in u.targets.
func (u *Upstream) index(t *Target) int {
	for i, o := range u.targets {
		if o == t {
			return i
		}
	}
	panic("BUG: pool: target not in its upstream")
}

// logReturned logs, once, that an ejected target is back in rotation.
func (u *Upstream) logReturned(t *Target) {
	u.set.Logger.LogAttrs(context.Background(), slog.LevelInfo, "upstream target back from ejection",
		slog.String(keyUpstream, u.set.Name), slog.String(keyTarget, t.addr))
}

// Log attribute keys.
const (
	keyUpstream = "upstream"
	keyTarget   = "target"
	keyDuration = "duration"
	keyReason   = "reason"
	keyProbeOK  = "probe_ok"
)
