package pool

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gw/portico/config"
)

// Balance policies accepted in Config.Balance.
const (
	// BalanceRoundRobin hands requests to the targets in turn.
	BalanceRoundRobin = "round_robin"
	// BalanceWeighted is nginx's smooth weighted round robin.
	BalanceWeighted = "weighted"
	// BalanceLeastOutstanding picks the less busy of two targets.
	BalanceLeastOutstanding = "least_outstanding"
	// BalanceConsistentHash maps the hash_key to a target on a ring.
	BalanceConsistentHash = "consistent_hash"
)

// Host header policies accepted in Config.HostHeader; any other value is
// a literal host.
const (
	// HostHeaderClient sends the Host the client sent.
	HostHeaderClient = "client"
	// HostHeaderTarget sends the target's host:port.
	HostHeaderTarget = "target"
)

// Defaults applied by New when a field is zero.
const (
	DefaultConnectTimeout         = time.Second
	DefaultResponseTimeout        = 30 * time.Second
	DefaultIdleTimeout            = 60 * time.Second
	DefaultMaxConnsPerTarget      = 512
	DefaultRetries                = 1
	DefaultMaxResponseHeaderBytes = 8192
	DefaultHealthInterval         = 10 * time.Second
	DefaultHealthTimeout          = 2 * time.Second
	DefaultHealthyThreshold       = 2
	DefaultUnhealthyThreshold     = 3
	DefaultConsecutiveFailures    = 5
	DefaultEjectionTime           = 30 * time.Second
	DefaultMaxEjectedPercent      = 50
	// MaxEjectionTime caps the doubling of repeated ejections.
	MaxEjectionTime = 5 * time.Minute
)

// TargetConfig is one target of an upstream.
type TargetConfig struct {
	// Addr is host:port. A host name is resolved by the dialer (fasthttp
	// caches lookups for a minute).
	Addr string
	// Weight is the target's share for the weighted and consistent hash
	// policies; 0 means 1. Valid range 1..1000.
	Weight int
}

// Config describes one upstream. FromConfig builds it from the TOML
// table; zero fields mean the documented default, applied by New.
type Config struct {
	// Name is the upstream's name, used in logs.
	Name string
	// Targets lists the upstream's targets; at least one is required.
	Targets []TargetConfig
	// Balance is one of round_robin (default), weighted (smooth weighted
	// round robin), least_outstanding or consistent_hash.
	Balance string
	// HashKey is the consistent hash source: client_ip, path,
	// header:NAME or consumer. Empty means no key; then consistent_hash
	// spreads requests round robin.
	HashKey string

	// ConnectTimeout bounds a TCP connect. Default 1s.
	ConnectTimeout time.Duration
	// ResponseTimeout is the whole exchange's budget when Do gets no
	// timeout of its own (sending, waiting, reading the response). With
	// StreamResponseBody it bounds the exchange up to the response
	// header; a streamed body then gets the same duration as an idle
	// timeout between reads, so a long download goes on while a stalled
	// one is cut off. Default 30s.
	ResponseTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle for longer. Keep it
	// below the upstream's own keep-alive timeout. Default 60s.
	IdleTimeout time.Duration
	// QueueTimeout is how long a request waits for a connection when the
	// target already has MaxConnsPerTarget connections busy. Zero (the
	// default) fails at once with ErrPoolFull (503); a request whose own
	// timeout ends first in the queue fails with ErrTimeout (504).
	QueueTimeout time.Duration

	// MaxConnsPerTarget caps the connections to one target. Default 512.
	MaxConnsPerTarget int
	// Retries is how many other targets Do tries after a failed attempt.
	// Zero means the default, 1; a negative value disables retries. A
	// retry happens after a connect failure (any method), and for
	// idempotent requests without a streamed body also after the
	// connection was closed or reset. Timeouts are never retried.
	Retries int
	// MaxResponseHeaderBytes is the read buffer per connection, which
	// caps the response header block; a larger one fails with
	// ErrBadResponse. Default 8192.
	MaxResponseHeaderBytes int

	// HostHeader is "client" (keep the client's Host), "target" (the
	// target's host:port, the default) or a literal host.
	HostHeader string

	// Health enables active health checks when not nil.
	Health *config.HealthCheck
	// Outlier tunes passive ejection. Nil means the defaults: 5
	// consecutive failures eject for 30s, at most 50% of targets.
	Outlier *config.Outlier

	// Dial, if set, makes connections instead of fasthttp's TCP dialer;
	// it must bound the connect by itself (ConnectTimeout is not passed).
	// The event-loop transport supplies a netpoll dialer here.
	Dial fasthttp.DialFunc
	// DialTimeout, if set, is used instead of Dial and gets the connect
	// timeout (ConnectTimeout, or less when the request's budget is
	// shorter).
	DialTimeout fasthttp.DialFuncWithTimeout
	// Classify, if set, maps a transport error that this package does
	// not know to 502 or 504 (0 for "not mine"). netpoll's errors are
	// not io.EOF, so the event-loop transport supplies one.
	Classify func(error) int
	// IsEOF, if set, reports whether a read error from a connection is
	// the upstream's orderly close rather than a failure. A body that
	// runs until the upstream closes (no Content-Length, not chunked)
	// ends there; without it only io.EOF counts, and netpoll reports the
	// close as its own ErrEOF, so over the event-loop transport such a
	// body would end with ErrClosed. The event-loop transport should
	// supply one.
	IsEOF func(error) bool
	// StreamResponseBody makes Do return once the response header is
	// read when the body is over 64 KiB or of unknown length (chunked,
	// or until the upstream closes); the body is then resp.BodyStream
	// and the caller must close it. Memory stays bounded for big
	// downloads. Smaller bodies are read into the response as usual.
	StreamResponseBody bool

	// Logger receives health transitions; nil discards them.
	Logger *slog.Logger
}

// FromConfig builds a Config from the upstream table name in the TOML
// file. Dial, DialTimeout, Classify, IsEOF and StreamResponseBody are
// left for the caller.
func FromConfig(name string, u config.Upstream, logger *slog.Logger) Config {
	c := Config{
		Name:                   name,
		Balance:                u.Balance,
		HashKey:                u.HashKey,
		ConnectTimeout:         u.ConnectTimeout,
		ResponseTimeout:        u.ResponseTimeout,
		IdleTimeout:            u.IdleTimeout,
		QueueTimeout:           u.QueueTimeout,
		MaxConnsPerTarget:      u.MaxConnsPerTarget,
		MaxResponseHeaderBytes: u.MaxResponseHeaders,
		HostHeader:             u.HostHeader,
		Health:                 u.HealthCheck,
		Outlier:                u.Outlier,
		Logger:                 logger,
	}
	if u.Retries != nil {
		c.Retries = *u.Retries
		if c.Retries == 0 {
			c.Retries = -1
		}
	}
	for _, t := range u.Targets {
		c.Targets = append(c.Targets, TargetConfig{Addr: t.Address, Weight: t.Weight})
	}
	return c
}

// settings is a Config with every default applied and the derived values
// the request path needs.
type settings struct {
	Config
	retries       int
	failures      int
	ejectionTime  time.Duration
	maxEjectedPct int
	hashSource    hashSource
	hashHeader    string
	// peekIdleAfter is the idle time after which a reused connection is
	// checked before writing (peekIdleAfter; tests lower it).
	peekIdleAfter time.Duration
}

// applyDefaults fills every zero field of cfg and checks what New needs.
func applyDefaults(cfg Config) (settings, error) {
	s := settings{Config: cfg}
	if len(cfg.Targets) == 0 {
		return s, fmt.Errorf("pool: upstream %q: no targets", cfg.Name)
	}
	s.Targets = make([]TargetConfig, len(cfg.Targets))
	for i, t := range cfg.Targets {
		if t.Weight == 0 {
			t.Weight = 1
		}
		if t.Weight < 0 || t.Weight > 1000 {
			return s, fmt.Errorf("pool: upstream %q: target %s: weight %d out of 1..1000",
				cfg.Name, t.Addr, t.Weight)
		}
		if !strings.Contains(t.Addr, ":") {
			return s, fmt.Errorf("pool: upstream %q: target %q: want host:port", cfg.Name, t.Addr)
		}
		s.Targets[i] = t
	}
	setDur(&s.ConnectTimeout, DefaultConnectTimeout)
	setDur(&s.ResponseTimeout, DefaultResponseTimeout)
	setDur(&s.IdleTimeout, DefaultIdleTimeout)
	setInt(&s.MaxConnsPerTarget, DefaultMaxConnsPerTarget)
	setInt(&s.MaxResponseHeaderBytes, DefaultMaxResponseHeaderBytes)
	if s.Balance == "" {
		s.Balance = BalanceRoundRobin
	}
	if s.HostHeader == "" {
		s.HostHeader = HostHeaderTarget
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}

	s.peekIdleAfter = peekIdleAfter
	s.retries = cfg.Retries
	switch {
	case s.retries == 0:
		s.retries = DefaultRetries
	case s.retries < 0:
		s.retries = 0
	}

	if err := s.applyOutlier(); err != nil {
		return s, err
	}
	if err := s.applyHealth(); err != nil {
		return s, err
	}
	var err error
	s.hashSource, s.hashHeader, err = parseHashKey(cfg.HashKey)
	if err != nil {
		return s, fmt.Errorf("pool: upstream %q: %w", cfg.Name, err)
	}
	return s, nil
}

// applyOutlier fills the passive ejection defaults.
func (s *settings) applyOutlier() error {
	s.failures = DefaultConsecutiveFailures
	s.ejectionTime = DefaultEjectionTime
	s.maxEjectedPct = DefaultMaxEjectedPercent
	o := s.Outlier
	if o == nil {
		return nil
	}
	if o.ConsecutiveFailures < 0 || o.EjectionTime < 0 ||
		o.MaxEjectedPercent < 0 || o.MaxEjectedPercent > 100 {
		return fmt.Errorf("pool: upstream %q: outlier: negative value or percent over 100",
			s.Name)
	}
	if o.ConsecutiveFailures != 0 {
		s.failures = o.ConsecutiveFailures
	}
	if o.EjectionTime != 0 {
		s.ejectionTime = o.EjectionTime
	}
	if o.MaxEjectedPercent != 0 {
		s.maxEjectedPct = o.MaxEjectedPercent
	}
	return nil
}

// applyHealth copies the health check table with its defaults filled, so
// the caller's config is never written to.
func (s *settings) applyHealth() error {
	if s.Health == nil {
		return nil
	}
	h := *s.Health
	if h.Path == "" || h.Path[0] != '/' {
		return fmt.Errorf("pool: upstream %q: health_check.path %q must start with /",
			s.Name, h.Path)
	}
	setDur(&h.Interval, DefaultHealthInterval)
	setDur(&h.Timeout, DefaultHealthTimeout)
	setInt(&h.HealthyThreshold, DefaultHealthyThreshold)
	setInt(&h.UnhealthyThreshold, DefaultUnhealthyThreshold)
	if h.Interval < 0 || h.Timeout < 0 || h.HealthyThreshold < 0 || h.UnhealthyThreshold < 0 {
		return fmt.Errorf("pool: upstream %q: health_check: negative value", s.Name)
	}
	s.Health = &h
	return nil
}

func setDur(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

func setInt(n *int, def int) {
	if *n == 0 {
		*n = def
	}
}
