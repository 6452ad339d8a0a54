package cors_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/cors"
	"github.com/portico-gw/portico/view"
)

// exchange is a request view over fasthttp headers and the response
// header block Handle writes to.
type exchange struct {
	req  fasthttp.RequestHeader
	resp fasthttp.ResponseHeader
	v    view.Request
}

// newExchange builds a request with method and header name/value pairs.
func newExchange(method string, hdr ...string) *exchange {
	e := &exchange{}
	for i := 0; i+1 < len(hdr); i += 2 {
		e.req.Set(hdr[i], hdr[i+1])
	}
	e.v = view.Request{Method: []byte(method), Path: []byte("/x"), Header: &e.req}
	return e
}

// mustNew compiles a policy and fails the test on error.
func mustNew(t testing.TB, c config.CORS) *cors.Policy {
	t.Helper()
	p, errs := cors.New("routes.r.cors", &c)
	if len(errs) > 0 {
		t.Fatalf("cors.New: %v", errors.Join(errs...))
	}
	return p
}

func TestHandle(t *testing.T) {
	strict := mustNew(t, config.CORS{
		Origins:       []string{"https://App.example.com", "https://*.example.org"},
		Methods:       []string{"GET", "PUT", "DELETE"},
		Headers:       []string{"Content-Type", "X-Request-Id"},
		ExposeHeaders: []string{"RateLimit", "X-Request-Id"},
		Credentials:   true,
		MaxAge:        10 * time.Minute,
	})
	open := mustNew(t, config.CORS{Origins: []string{"*"}, Headers: []string{"*"}})
	const app = "https://app.example.com"
	pre := func(origin, method, headers string) []string {
		h := []string{"Origin", origin, "Access-Control-Request-Method", method}
		if headers != "" {
			h = append(h, "Access-Control-Request-Headers", headers)
		}
		return h
	}
	tests := []struct {
		name      string
		p         *cors.Policy
		method    string
		hdr       []string
		preflight bool
		// want maps response headers to values; "" means absent.
		want map[string]string
	}{
		{name: "no origin", p: strict, method: "GET",
			want: map[string]string{"Access-Control-Allow-Origin": "", "Vary": ""}},
		{name: "allowed origin", p: strict, method: "GET", hdr: []string{"Origin", app},
			want: map[string]string{"Access-Control-Allow-Origin": app, "Vary": "Origin",
				"Access-Control-Allow-Credentials": "true",
				"Access-Control-Expose-Headers":    "RateLimit, X-Request-Id",
				"Access-Control-Allow-Methods":     ""}},
		{name: "origin case folded, configured spelling sent", p: strict, method: "GET",
			hdr:  []string{"Origin", "HTTPS://APP.EXAMPLE.COM"},
			want: map[string]string{"Access-Control-Allow-Origin": app}},
		{name: "unknown origin", p: strict, method: "GET", hdr: []string{"Origin", "https://evil.com"},
			want: map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin",
				"Access-Control-Allow-Credentials": ""}},
		{name: "origin with suffix", p: strict, method: "GET",
			hdr:  []string{"Origin", "https://app.example.com.evil.com"},
			want: map[string]string{"Access-Control-Allow-Origin": ""}},
		{name: "origin other scheme", p: strict, method: "GET", hdr: []string{"Origin", "http://app.example.com"},
			want: map[string]string{"Access-Control-Allow-Origin": ""}},
		{name: "null origin", p: strict, method: "GET", hdr: []string{"Origin", "null"},
			want: map[string]string{"Access-Control-Allow-Origin": ""}},
		{name: "subdomain pattern", p: strict, method: "GET", hdr: []string{"Origin", "https://a.b.example.org"},
			want: map[string]string{"Access-Control-Allow-Origin": "https://a.b.example.org"}},
		{name: "pattern needs a label", p: strict, method: "GET", hdr: []string{"Origin", "https://.example.org"},
			want: map[string]string{"Access-Control-Allow-Origin": ""}},
		{name: "pattern bare domain", p: strict, method: "GET", hdr: []string{"Origin", "https://example.org"},
			want: map[string]string{"Access-Control-Allow-Origin": ""}},
		{name: "pattern lookalike", p: strict, method: "GET", hdr: []string{"Origin", "https://evilexample.org"},
			want: map[string]string{"Access-Control-Allow-Origin": ""}},
		{name: "pattern odd bytes", p: strict, method: "GET",
			hdr:  []string{"Origin", "https://a/b.example.org"},
			want: map[string]string{"Access-Control-Allow-Origin": ""}},
		{name: "preflight", p: strict, method: "OPTIONS", preflight: true,
			hdr: pre(app, "PUT", "content-type, X-Request-ID"),
			want: map[string]string{"Access-Control-Allow-Origin": app,
				"Access-Control-Allow-Methods":     "GET, PUT, DELETE",
				"Access-Control-Allow-Headers":     "Content-Type, X-Request-Id",
				"Access-Control-Allow-Credentials": "true",
				"Access-Control-Max-Age":           "600",
				"Access-Control-Expose-Headers":    "",
				"Vary":                             "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}},
		{name: "preflight safelisted method", p: strict, method: "OPTIONS", preflight: true,
			hdr:  pre(app, "POST", ""),
			want: map[string]string{"Access-Control-Allow-Origin": app, "Access-Control-Allow-Headers": ""}},
		{name: "preflight method refused", p: strict, method: "OPTIONS", preflight: true,
			hdr:  pre(app, "PATCH", ""),
			want: map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""}},
		{name: "preflight method is case-sensitive", p: strict, method: "OPTIONS", preflight: true,
			hdr:  pre(app, "put", ""),
			want: map[string]string{"Access-Control-Allow-Origin": ""}},
		{name: "preflight header refused", p: strict, method: "OPTIONS", preflight: true,
			hdr:  pre(app, "PUT", "content-type, x-admin"),
			want: map[string]string{"Access-Control-Allow-Origin": ""}},
		{name: "preflight unknown origin", p: strict, method: "OPTIONS", preflight: true,
			hdr:  pre("https://evil.com", "GET", ""),
			want: map[string]string{"Access-Control-Allow-Origin": ""}},
		{name: "options without request method", p: strict, method: "OPTIONS", hdr: []string{"Origin", app},
			want: map[string]string{"Access-Control-Allow-Origin": app, "Access-Control-Allow-Methods": ""}},
		{name: "wildcard", p: open, method: "GET", hdr: []string{"Origin", "https://any.test"},
			want: map[string]string{"Access-Control-Allow-Origin": "*", "Vary": "",
				"Access-Control-Allow-Credentials": ""}},
		{name: "wildcard preflight any header", p: open, method: "OPTIONS", preflight: true,
			hdr:  pre("https://any.test", "GET", "x-anything"),
			want: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*"}},
		{name: "wildcard does not cover authorization", p: open, method: "OPTIONS", preflight: true,
			hdr:  pre("https://any.test", "GET", "authorization"),
			want: map[string]string{"Access-Control-Allow-Origin": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newExchange(tt.method, tt.hdr...)
			if got := tt.p.Handle(&e.v, &e.resp); got != tt.preflight {
				t.Errorf("Handle preflight = %v, want %v", got, tt.preflight)
			}
			for name, want := range tt.want {
				if got := string(e.resp.Peek(name)); got != want {
					t.Errorf("response %s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name   string
		c      config.CORS
		key    string
		substr string
	}{
		{name: "no origins", key: "routes.r.cors.origins", substr: "at least one"},
		{name: "wildcard with credentials", c: config.CORS{Origins: []string{"*"}, Credentials: true},
			key: "routes.r.cors.origins[0]", substr: "credentials"},
		{name: "header wildcard with credentials",
			c:   config.CORS{Origins: []string{"https://a.test"}, Headers: []string{"*"}, Credentials: true},
			key: "routes.r.cors.headers[0]", substr: "credentials"},
		{name: "path in origin", c: config.CORS{Origins: []string{"https://a.test/x"}},
			key: "routes.r.cors.origins[0]", substr: "path"},
		{name: "no scheme", c: config.CORS{Origins: []string{"a.test"}},
			key: "routes.r.cors.origins[0]", substr: "scheme://host"},
		{name: "ftp", c: config.CORS{Origins: []string{"ftp://a.test"}},
			key: "routes.r.cors.origins[0]", substr: "http or https"},
		{name: "null", c: config.CORS{Origins: []string{"null"}},
			key: "routes.r.cors.origins[0]", substr: "never allowed"},
		{name: "inner wildcard", c: config.CORS{Origins: []string{"https://a.*.test"}},
			key: "routes.r.cors.origins[0]", substr: "wildcard"},
		{name: "lower-case method", c: config.CORS{Origins: []string{"https://a.test"}, Methods: []string{"put"}},
			key: "routes.r.cors.methods[0]", substr: "upper-case"},
		{name: "bad header", c: config.CORS{Origins: []string{"https://a.test"}, Headers: []string{"a b"}},
			key: "routes.r.cors.headers[0]", substr: "header name"},
		{name: "max age", c: config.CORS{Origins: []string{"https://a.test"}, MaxAge: 48 * time.Hour},
			key: "routes.r.cors.max_age", substr: "24h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, errs := cors.New("routes.r.cors", &tt.c)
			if p != nil {
				t.Errorf("New returned a policy despite errors")
			}
			for _, err := range errs {
				var ce *config.Error
				if errors.As(err, &ce) && ce.Key == tt.key && strings.Contains(ce.Msg, tt.substr) {
					return
				}
			}
			t.Errorf("New errors = %v, want one at %s containing %q", errs, tt.key, tt.substr)
		})
	}
}

// FuzzHandle checks that Handle never panics and never sends back an
// origin that is not allowed.
func FuzzHandle(f *testing.F) {
	p := mustNew(f, config.CORS{
		Origins: []string{"https://app.example.com", "https://*.example.org"},
		Methods: []string{"PUT"}, Headers: []string{"X-A"}, Credentials: true,
	})
	f.Add("GET", "https://app.example.com", "", "")
	f.Add("OPTIONS", "https://x.example.org", "PUT", "x-a, ,X-A")
	f.Add("OPTIONS", "https://x.example.org\r\nX: y", "PUT", ",,,")
	f.Add("OPTIONS", "https://..example.org", "put", "x-b")
	f.Fuzz(func(t *testing.T, method, origin, reqMethod, reqHeaders string) {
		e := newExchange(method, "Origin", origin, "Access-Control-Request-Method", reqMethod,
			"Access-Control-Request-Headers", reqHeaders)
		p.Handle(&e.v, &e.resp)
		got := string(e.resp.Peek("Access-Control-Allow-Origin"))
		if got == "" || got == "https://app.example.com" {
			return
		}
		host, ok := strings.CutPrefix(got, "https://")
		if !ok || !strings.HasSuffix(host, ".example.org") || strings.ContainsAny(host, "\r\n /:") {
			t.Fatalf("Allow-Origin %q for origin %q", got, origin)
		}
	})
}

func TestHandleOverridesUpstream(t *testing.T) {
	p := mustNew(t, config.CORS{Origins: []string{"https://app.example.com"}, Credentials: true})
	tests := []struct {
		name, origin, wantOrigin string
	}{
		{name: "refused origin loses upstream reflection", origin: "https://evil.test"},
		{name: "no origin loses upstream headers"},
		{name: "allowed origin gets the gateway's answer", origin: "https://app.example.com",
			wantOrigin: "https://app.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.origin != "" {
				hdr = []string{"Origin", tt.origin}
			}
			e := newExchange("GET", hdr...)
			// What an upstream that reflects every origin would send.
			e.resp.Set("Access-Control-Allow-Origin", "https://evil.test")
			e.resp.Set("Access-Control-Allow-Methods", "DELETE")
			e.resp.Set("Vary", "Accept-Encoding")
			p.Handle(&e.v, &e.resp)
			if got := string(e.resp.Peek("Access-Control-Allow-Origin")); got != tt.wantOrigin {
				t.Errorf("Allow-Origin = %q, want %q", got, tt.wantOrigin)
			}
			if got := e.resp.Peek("Access-Control-Allow-Methods"); got != nil {
				t.Errorf("Allow-Methods = %q, want removed", got)
			}
			var vary []string
			for k, v := range e.resp.All() {
				if string(k) == "Vary" {
					vary = append(vary, string(v))
				}
			}
			if len(vary) == 0 || vary[0] != "Accept-Encoding" {
				t.Errorf("Vary lines = %q, want the upstream's kept first", vary)
			}
		})
	}
}
