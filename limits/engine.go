package limits

import (
	"encoding/binary"
	"log/slog"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/portico-gw/portico/auth"
	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/limiter"
	"github.com/portico-gw/portico/view"
)

// Engine decides whether requests fit their limits and quotas. Build one
// per config with New; it is safe for concurrent use. Close releases its
// background work.
type Engine struct {
	c        *compiled
	back     *backend
	backCfg  backendConfig
	usage    *usageStore
	logger   *slog.Logger
	keyHdr   string
	keyQuery string

	mu       sync.Mutex
	ownsBack bool // false once a newer Engine took the backend over
	closed   bool
	// from is the Engine the backend was taken from while that one is
	// open; Close hands the backend back to it, for a reload that failed
	// after New.
	from *Engine
}

// New compiles the plans, consumers, route limits and [limiter] table of
// f. Problems come back as *config.Error values (joined), located in f.
// When prev is not nil its usage counts carry over, and so do its
// counters when the [limiter] table did not change; prev stays usable
// until it is closed, and closing it then leaves the shared parts alone.
// A nil logger discards.
func New(f *config.File, prev *Engine, logger *slog.Logger) (*Engine, error) {
	c, err := compile(f)
	bc, berr := compileBackend(f.Limiter)
	if err != nil || berr != nil {
		return nil, f.Locate(joinErrs(err, berr))
	}

	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{c: c, backCfg: bc, logger: logger, ownsBack: true,
		keyHdr: apiKeyHeader(f.Auth.KeyHeader), keyQuery: f.Auth.KeyQuery}
	if prev != nil {
		e.usage = prev.usage
		if e.back = prev.takeBackend(bc); e.back != nil {
			e.from = prev
		}
	}
	if e.usage == nil {
		e.usage = newUsageStore()
	}
	if e.back == nil {
		if e.back, err = newBackend(bc, logger); err != nil {
			return nil, err
		}
	}
	for _, rp := range c.routes {
		rp.usage = e.usage.route(rp.name, f.Consumers)
	}
	return e, nil
}

// takeBackend hands e's counters to a newer Engine when its backend
// config is the same, and returns nil otherwise.
func (e *Engine) takeBackend(bc backendConfig) *backend {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.ownsBack || e.closed || e.backCfg != bc {
		return nil
	}
	e.ownsBack = false
	return e.back
}

// Close stops the Engine's background work and releases its counters
// unless a newer Engine took them over. When e took its counters from an
// Engine that is still open (a reload rejected after New), they go back
// to that one instead. Decisions after Close still run, on counters that
// may no longer be swept or synced.
func (e *Engine) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.closed = true
	from := e.from
	e.from = nil // keep no chain of old Engines alive
	if !e.ownsBack {
		return
	}
	if from != nil && from.giveBack(e.back) {
		return
	}
	e.back.close()
}

// giveBack returns the backend to e when e is still open, and reports
// whether it did.
func (e *Engine) giveBack(b *backend) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || e.back != b {
		return false
	}
	e.ownsBack = true
	return true
}

// Stats is a snapshot of an Engine's counters, for metrics.
type Stats struct {
	// Keys is the number of counters held in this process.
	Keys int
	// MaxKeys is the configured bound on Keys.
	MaxKeys int
	// TableFull counts decisions of callers that found no room for a
	// counter of their own and used their limit's shared counter.
	TableFull int64
	// Redis reports whether the backend is "redis".
	Redis bool
	// RedisUp reports whether Redis answered the last call.
	RedisUp bool
	// RedisFallbacks counts the times Redis went down and counting fell
	// back to this process.
	RedisFallbacks int64
}

// Stats returns a snapshot of the Engine's counters. It locks each shard
// of the counter table briefly; call it from a metrics scrape, not per
// request.
func (e *Engine) Stats() Stats {
	var st Stats
	ts := e.back.loc.tab.Stats()
	st.Keys, st.MaxKeys, st.TableFull = ts.Live, ts.MaxKeys, ts.Full
	if rd := e.back.rd; rd != nil {
		st.Redis = true
		st.RedisUp, st.RedisFallbacks = rd.stats()
	}
	return st
}

// Route returns the limit policy of the named route, or nil when no limit
// can apply to it (no plans at all and no limits of its own). The result
// is valid for the Engine's lifetime.
func (e *Engine) Route(name string) *RoutePolicy {
	return e.c.routes[name]
}

// planFor returns the plan of a consumer: its configured plan, the
// "default" plan for other known callers, "anonymous" for "".
func (e *Engine) planFor(consumer string) *plan {
	if consumer == "" {
		return e.c.anonymous
	}
	if p, ok := e.c.consumers[consumer]; ok {
		return p
	}
	return e.c.deflt
}

// CheckAt decides one request at now: v is the request, consumer the
// caller's name from authentication ("" for anonymous). The request is
// counted against every limit of the caller's plan (or the route's plan)
// and of the route, and against the plan's quota, only if all of them
// admit it. It allocates nothing with the local and synced backends. rp
// may be nil: everything is allowed.
func (e *Engine) CheckAt(rp *RoutePolicy, v *view.Request, consumer string,
	now time.Time) Decision {
	var d Decision
	if rp == nil {
		return d
	}
	p := rp.plan
	if p == nil {
		p = e.planFor(consumer)
	}

	// Gather the checks: the plan's limits, the route's, the quota.
	var b batch
	quotaAt := -1
	if p != nil {
		e.gather(&b, p.rules, rp, v, consumer, now)
		if p.quota != nil {
			quotaAt = len(p.rules) + len(rp.rules)
		}
	}
	e.gather(&b, rp.rules, rp, v, consumer, now)
	if quotaAt >= 0 {
		e.gather(&b, p.quotas, rp, v, consumer, now)
	}

	// Count all or nothing, then record what the caller is shown.
	refused := e.back.takeAll(&b, now)
	last := b.n - 1
	if refused >= 0 {
		last = refused
		d.outcome = outcomeLimited
		if refused == quotaAt {
			d.outcome = outcomeQuota
		}
	}
	for i := 0; i <= last; i++ {
		d.add(b.rules[i], b.wins[i], b.res[i], refused >= 0 && i < refused)
	}
	rp.usage.count(consumer, d.outcome)
	return d
}

// gather appends the checks of rules to b.
func (e *Engine) gather(b *batch, rules []*rule, rp *RoutePolicy, v *view.Request,
	consumer string, now time.Time) {
	for _, r := range rules {
		if b.n == maxChecks {
			panic("BUG: limits: more checks than a batch holds")
		}
		b.rules[b.n] = r
		b.keys[b.n] = e.keyOf(r, v, consumer, rp.name)
		b.wins[b.n] = window(r, now)
		b.n++
	}
}

// window returns the counting window of r at now.
func window(r *rule, now time.Time) limiter.Window {
	if !r.quota {
		return limiter.SlidingAt(r.limit, r.window, now)
	}
	now = now.UTC()
	y, m, day := now.Date()
	if r.monthly {
		start := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		return limiter.CalendarAt(r.limit, int64(y)*12+int64(m), start, start.AddDate(0, 1, 0))
	}
	start := time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	return limiter.CalendarAt(r.limit, start.Unix()/86400, start, start.Add(24*time.Hour))
}

// sep separates key parts in the hash input, so that ("ab","c") and
// ("a","bc") differ.
var sep = []byte{0}

// keyOf hashes the key of rule r for one request. Secrets such as API
// keys only go into the hash; nothing of the request is kept.
func (e *Engine) keyOf(r *rule, v *view.Request, consumer, route string) uint64 {
	var d xxhash.Digest
	d.Reset()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], r.id)
	d.Write(b[:8])
	for _, p := range r.parts {
		switch p.kind {
		case keyIP:
			writeIP(&d, v)
		case keyConsumer:
			if consumer == "" {
				writeIP(&d, v)
			} else {
				d.WriteString(consumer)
			}
		case keyAPIKey:
			// The auth step removes the key before forwarding and
			// leaves its hash in the view; a route without auth still
			// has the key in the request.
			if v.KeyHash != 0 {
				writeKeyHash(&d, v.KeyHash)
			} else if k := e.apiKey(v); len(k) > 0 {
				d.Write(k)
			} else {
				writeIP(&d, v)
			}
		case keyHeader:
			if v.Header != nil {
				d.Write(v.Header.Peek(p.header))
			}
		case keyRoute:
			d.WriteString(route)
		}
		d.Write(sep)
	}
	return d.Sum64()
}

// writeKeyHash hashes an authenticated key's hash, marked so it never
// equals a name or an address.
func writeKeyHash(d *xxhash.Digest, h uint64) {
	var b [9]byte
	b[0] = 2
	binary.LittleEndian.PutUint64(b[1:], h)
	d.Write(b[:])
}

// writeIP hashes the client address, marked so it never equals a name.
func writeIP(d *xxhash.Digest, v *view.Request) {
	ip := v.ClientIP.As16()
	d.Write([]byte{1})
	d.Write(ip[:])
}

// apiKey returns the caller's API key from the configured header or
// query parameter, or nil. The slice belongs to the request.
func (e *Engine) apiKey(v *view.Request) []byte {
	if e.keyHdr != "" && v.Header != nil {
		if k := v.Header.Peek(e.keyHdr); len(k) > 0 {
			return k
		}
	}
	if e.keyQuery != "" && v.Query != nil {
		return v.Query.Peek(e.keyQuery)
	}
	return nil
}

// apiKeyHeader is the header API keys arrive in, with the auth table's
// default ("-" turns header keys off).
func apiKeyHeader(h string) string {
	switch h {
	case "":
		return auth.DefaultKeyHeader
	case "-":
		return ""
	}
	return h
}
