//go:build !race

package proxy

import (
	"net"
	"testing"

	"github.com/portico-gw/portico/accesslog"
	"github.com/portico-gw/portico/auth"
	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/metrics"
	"github.com/valyala/fasthttp"
)

// allocGateway builds a gateway with the access log on (to a discarded
// file) in front of a real upstream on loopback.
func allocGateway(t testing.TB, extra string) (*Gateway, *fasthttp.RequestCtx) {
	up := quietUpstream(t.(*testing.T))
	cfg := fill(`
[server]
listen = "127.0.0.1:0"
[access_log]
output = "{log}"
[upstreams.a]
targets = [{ address = "{a}" }]
[routes.users]
path = "/users/:id"
upstream = "a"
`+extra, map[string]string{"a": up.addr, "log": t.TempDir() + "/access.log"})
	f, err := config.Parse("alloc.toml", []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	access, err := accesslog.New(f.AccessLog, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { access.Close() })
	g, err := New(f, Options{AccessLog: access, Metrics: metrics.New()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)

	var ctx fasthttp.RequestCtx
	ctx.Init(&fasthttp.Request{}, &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 5555}, nil)
	return g, &ctx
}

// TestProxiedGETAllocatesNothing sends a GET through the real handler to
// a real upstream socket (route, pool, forwarding headers, response
// cleaning, access log, metrics) and requires zero allocations per request. The
// count includes the in-process upstream, which is fasthttp and allocates
// nothing in steady state either.
var sink [4096]byte

func TestProxiedGETAllocatesNothing(t *testing.T) {
	tests := []struct {
		name  string
		extra string // more config
		path  string
		key   string
	}{
		{name: "bare", path: "/users/42?verbose=1"},
		{name: "API key and a limit", path: "/keyed/42?verbose=1", key: "alloc-key", extra: `
[consumers.alice]
plan = "pro"
key_sha256 = ["` + auth.HashKey("alloc-key") + `"]
[plans.pro]
limits = [{ name = "pro-sec", rate = "1000000 per 1s", key = ["consumer"], headers = "both" }]
[routes.keyed]
path = "/keyed/:id"
upstream = "a"
[routes.keyed.access]
methods = ["key"]
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxiedGETAllocs(t, tt.extra, tt.path, tt.key)
		})
	}
}

// proxiedGETAllocs requires 0 allocations per GET of path through the
// gateway built with extra config.
func proxiedGETAllocs(t *testing.T, extra, path, key string) {
	g, ctx := allocGateway(t, extra)
	h := g.Handler()
	run := func() {
		ctx.Request.Reset()
		ctx.Request.Header.SetMethod("GET")
		ctx.Request.SetRequestURI(path)
		ctx.Request.Header.SetHost("api.example.com")
		ctx.Request.Header.Set("User-Agent", "alloc-test")
		ctx.Request.Header.Set("X-Forwarded-For", "192.0.2.1")
		if key != "" {
			ctx.Request.Header.Set("X-API-Key", key)
		}
		ctx.Response.Reset()
		h(ctx)
		if ctx.Response.StatusCode() != 200 {
			t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
		// The front end reads the body stream out, then closes it.
		if s := ctx.Response.BodyStream(); s != nil {
			for {
				if _, err := s.Read(sink[:]); err != nil {
					break
				}
			}
		}
		if err := ctx.Response.CloseBodyStream(); err != nil {
			t.Fatal(err)
		}
	}
	for range 200 {
		run()
	}
	if n := testing.AllocsPerRun(2000, run); n != 0 {
		t.Errorf("proxied GET: %v allocations per request, want 0", n)
	}
}

// quietUpstream is a fasthttp backend that records nothing, so the
// allocations counted are the gateway's.
func quietUpstream(t *testing.T) *upstream {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return &upstream{addr: ln.Addr().String()}
}
