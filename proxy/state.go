package proxy

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"sort"
	"time"

	"github.com/portico-gw/portico/auth"
	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/cors"
	"github.com/portico-gw/portico/eventloop"
	"github.com/portico-gw/portico/limits"
	"github.com/portico-gw/portico/metrics"
	"github.com/portico-gw/portico/pool"
	"github.com/portico-gw/portico/router"
)

// state is one compiled config: everything the request path reads. It is
// immutable once built and swapped whole on reload, so a request sees one
// consistent config from start to end.
type state struct {
	file      *config.File
	tree      *router.Tree[*route]
	upstreams map[string]*pool.Upstream
	trusted   trustedProxies
	maxBody   int64
	auth      *auth.Authenticator
	limits    *limits.Engine
}

// route is the compiled form of one [routes.NAME] table.
type route struct {
	name      string
	upstream  *pool.Upstream
	strip     []byte
	rewrite   string
	timeout   time.Duration
	websocket bool
	respond   *staticResponse
	access    *auth.RoutePolicy   // nil: global IP rules only
	cors      *cors.Policy        // nil: no CORS handling
	limit     *limits.RoutePolicy // nil: no limits apply
	metrics   *metrics.Route      // nil: metrics off
}

// staticResponse is a route's own answer (deny, maintenance, redirect).
type staticResponse struct {
	status  int
	headers [][2]string
	body    []byte
}

// build compiles f. Upstreams whose config is unchanged from prev are
// reused, so a reload keeps their warm connections and health state.
// Problems found here are *config.Error values keyed by the TOML path; the
// caller locates them in the file.
func build(f *config.File, prev *state, logger *slog.Logger, reg *metrics.Registry) (*state, error) {
	trusted, err := parseTrusted(f.Server.TrustedProxies)
	if err != nil {
		return nil, config.Errorf("server.trusted_proxies", "%v", err)
	}
	if err := checkTransport(f); err != nil {
		return nil, err
	}
	st := &state{
		file:      f,
		upstreams: make(map[string]*pool.Upstream, len(f.Upstreams)),
		trusted:   trusted,
		maxBody:   f.Server.MaxBodyBytes,
	}
	if err := st.buildUpstreams(f, prev, logger); err != nil {
		st.closeNew(prev)
		return nil, err
	}
	if st.auth, err = auth.New(f, logger); err != nil {
		st.closeNew(prev)
		return nil, err
	}
	var prevLimits *limits.Engine
	if prev != nil {
		prevLimits = prev.limits
	}
	if st.limits, err = limits.New(f, prevLimits, logger); err != nil {
		st.closeNew(prev)
		return nil, err
	}
	if err := st.buildRoutes(f, reg); err != nil {
		st.closeNew(prev)
		return nil, err
	}
	return st, nil
}

func (st *state) buildUpstreams(f *config.File, prev *state, logger *slog.Logger) error {
	var errs []error
	for _, name := range sortedKeys(f.Upstreams) {
		uc := f.Upstreams[name]
		if prev != nil {
			if old, ok := prev.upstreams[name]; ok &&
				reflect.DeepEqual(prev.file.Upstreams[name], uc) {
				st.upstreams[name] = old
				continue
			}
		}
		pc := pool.FromConfig(name, uc, logger)
		// Responses stream from upstream to client, so a large download
		// holds a buffer, not the body.
		pc.StreamResponseBody = true
		if f.Server.Transport == "eventloop" {
			// One poller per request: an event-loop front end with
			// runtime-poller upstream sockets cost 35-55 % more CPU per
			// request in a trial, so upstreams dial through netpoll too.
			pc.DialTimeout = eventloop.DialTimeout
			pc.Classify = eventloop.Classify
			pc.IsEOF = eventloop.IsEOF
		}
		u, err := pool.New(pc)
		if err != nil {
			errs = append(errs, config.Errorf("upstreams."+name, "%v", err))
			continue
		}
		st.upstreams[name] = u
	}
	return errors.Join(errs...)
}

func (st *state) buildRoutes(f *config.File, reg *metrics.Registry) error {
	specs := make([]router.Route[*route], 0, len(f.Routes))
	for _, name := range sortedKeys(f.Routes) {
		rc := f.Routes[name]
		r := &route{
			name:      name,
			strip:     []byte(rc.StripPrefix),
			rewrite:   rc.Rewrite,
			timeout:   rc.Timeout,
			websocket: rc.WebSocket,
			access:    st.auth.Route(name),
			limit:     st.limits.Route(name),
		}
		r.cors = st.auth.CORS(r.access)
		if reg != nil {
			r.metrics = reg.Route(name)
		}
		if rc.Respond != nil {
			r.respond = compileRespond(rc.Respond)
		} else {
			r.upstream = st.upstreams[rc.Upstream]
			if r.upstream == nil {
				return config.Errorf("routes."+name+".upstream", "unknown upstream %q", rc.Upstream)
			}
		}
		specs = append(specs, router.Route[*route]{
			Name: name, Hosts: rc.Hosts, Methods: rc.Methods, Pattern: rc.Path, Value: r,
		})
	}
	tree, err := router.New(specs)
	if err != nil {
		return routerError(err)
	}
	st.tree = tree
	return nil
}

// checkTransport refuses, at load time, what the event-loop transport
// cannot serve, rather than failing on the first such request.
func checkTransport(f *config.File) error {
	if f.Server.Transport != "eventloop" {
		return nil
	}
	if err := eventloop.Supported(); err != nil {
		return config.Errorf("server.transport", "%v", err)
	}
	var errs []error
	if runtime.GOMAXPROCS(0) < 2 {
		errs = append(errs, config.Errorf("server.transport", "%v", eventloop.ErrSingleProc))
	}
	if f.Server.TLS != nil {
		errs = append(errs, config.Errorf("server.tls", "%v", eventloop.ErrTLS))
	}
	for _, name := range sortedKeys(f.Routes) {
		if f.Routes[name].WebSocket {
			errs = append(errs, config.Errorf("routes."+name+".websocket", "%v", eventloop.ErrHijack))
		}
	}
	return errors.Join(errs...)
}

// routerError turns the router's build errors into config errors at the
// route's path key.
func routerError(err error) error {
	var pe *router.PatternError
	if errors.As(err, &pe) {
		return config.Errorf("routes."+pe.Route+".path", "%s", pe.Msg)
	}
	var ce *router.ConflictError
	if errors.As(err, &ce) {
		return config.Errorf("routes."+ce.Route+".path", "%v", err)
	}
	return fmt.Errorf("routes: %w", err)
}

func compileRespond(rc *config.Respond) *staticResponse {
	sr := &staticResponse{status: rc.Status, body: []byte(rc.Body)}
	for _, k := range sortedKeys(rc.Headers) {
		sr.headers = append(sr.headers, [2]string{k, rc.Headers[k]})
	}
	return sr
}

// start begins the background work of st: upstreams new in st, and the
// callers' key refresh.
func (st *state) start(prev *state) {
	st.auth.Start()
	for name, u := range st.upstreams {
		if prev == nil || prev.upstreams[name] != u {
			u.Start()
		}
	}
}

// closeNew closes the upstreams st built that prev does not share; used
// when a build fails half way.
func (st *state) closeNew(prev *state) {
	st.closePolicies()
	for name, u := range st.upstreams {
		if prev == nil || prev.upstreams[name] != u {
			u.Close()
		}
	}
}

// retire closes the upstreams of st that next no longer uses. In-flight
// requests on them finish: pool.Close only stops new work.
func (st *state) retire(next *state) {
	st.closePolicies()
	for name, u := range st.upstreams {
		if next == nil || next.upstreams[name] != u {
			u.Close()
		}
	}
}

// closePolicies stops the callers' and limits' background work. A newer
// limits engine has taken over shared counters by then, and Close leaves
// those alone.
func (st *state) closePolicies() {
	if st.auth != nil {
		st.auth.Close()
	}
	if st.limits != nil {
		st.limits.Close()
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
