package proxy

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/portico-gw/portico/accesslog"
	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/limits"
	"github.com/portico-gw/portico/metrics"
	"github.com/valyala/fasthttp"
)

// Gateway is the request path of one Portico process. It holds the live
// compiled config and swaps it on Reload without dropping requests. Its
// methods are safe for concurrent use.
type Gateway struct {
	logger  *slog.Logger
	access  *accesslog.Logger
	metrics *metrics.Registry
	ids     *requestIDs
	tls     bool

	mu    sync.Mutex // serialises Reload and Close
	state atomic.Pointer[state]
}

// Options are the parts of a Gateway that are not in the config file.
type Options struct {
	// Logger receives lifecycle and control-plane records; nil discards.
	Logger *slog.Logger
	// AccessLog receives one record per request; nil disables it.
	AccessLog *accesslog.Logger
	// TLS reports whether the front end terminates TLS (X-Forwarded-Proto).
	TLS bool
	// Metrics receives per-route request metrics; nil disables them.
	Metrics *metrics.Registry
}

// New compiles f and returns a Gateway serving it. Upstream health checks
// start at once. Errors are located in f's file (file, line and key).
func New(f *config.File, opts Options) (*Gateway, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	st, err := build(f, nil, logger, opts.Metrics)
	if err != nil {
		return nil, f.Locate(err)
	}
	g := &Gateway{logger: logger, access: opts.AccessLog, metrics: opts.Metrics,
		ids: newRequestIDs(), tls: opts.TLS}
	g.state.Store(st)
	st.start(nil)
	return g, nil
}

// Check compiles f the way New and Reload do and throws the result away:
// what `portico validate` runs. Nothing is started.
func Check(f *config.File) error {
	st, err := build(f, nil, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		return f.Locate(err)
	}
	st.closeNew(nil)
	return nil
}

// Reload compiles f and, if that succeeds, makes it the live config. On
// error the running config stays as it was and the error names the file,
// line and key. Requests already routed finish on the config they began
// with.
func (g *Gateway) Reload(f *config.File) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	prev := g.state.Load()
	if prev == nil {
		return fmt.Errorf("proxy: gateway is closed")
	}
	st, err := build(f, prev, g.logger, g.metrics)
	if err != nil {
		return f.Locate(err)
	}
	st.start(prev)
	g.state.Store(st)
	prev.retire(st)
	return nil
}

// Config returns the live config file.
func (g *Gateway) Config() *config.File {
	if st := g.state.Load(); st != nil {
		return st.file
	}
	return nil
}

// Close stops the upstreams' background work and closes idle upstream
// connections. Call it after the front end has drained.
func (g *Gateway) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if st := g.state.Swap(nil); st != nil {
		st.retire(nil)
	}
}

// Handler returns the request handler to give a front end.
func (g *Gateway) Handler() fasthttp.RequestHandler {
	return g.serve
}

// ConfigInfo describes the live config for the admin API.
func (g *Gateway) ConfigInfo() any {
	st := g.state.Load()
	if st == nil {
		return map[string]any{"state": "closed"}
	}
	return map[string]any{
		"path":      st.file.Path,
		"hash":      st.file.Hash,
		"routes":    len(st.file.Routes),
		"upstreams": len(st.file.Upstreams),
	}
}

// Upstreams reports every upstream's targets for the admin API.
func (g *Gateway) Upstreams() any {
	st := g.state.Load()
	if st == nil {
		return nil
	}
	out := make(map[string]any, len(st.upstreams))
	for name, u := range st.upstreams {
		out[name] = u.Status()
	}
	return out
}

// UsageJSON writes the per consumer and route usage counters (admitted,
// limited, quota exhausted) as JSON. The counters survive reloads.
func (g *Gateway) UsageJSON(w io.Writer) error {
	st := g.state.Load()
	if st == nil {
		return fmt.Errorf("proxy: gateway is closed")
	}
	return st.limits.UsageJSON(w)
}

// LimitsStats reports the live limits engine's counters (keys held,
// table-full decisions, Redis state); the zero Stats when closed.
func (g *Gateway) LimitsStats() limits.Stats {
	if st := g.state.Load(); st != nil {
		return st.limits.Stats()
	}
	return limits.Stats{}
}
