package proxy

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// baseConfig routes by host and path to two upstreams, {a} and {b}.
const baseConfig = `
[server]
listen = "127.0.0.1:0"
max_header_bytes = 4096
max_body_bytes = 1024
trusted_proxies = {trusted}

[upstreams.a]
targets = [{ address = "{a}" }]
response_timeout = "500ms"

[upstreams.b]
targets = [{ address = "{b}" }]

[upstreams.dead]
targets = [{ address = "{dead}" }]
retries = 0

[routes.users]
hosts = ["api.example.com"]
methods = ["GET", "POST"]
path = "/users/:id"
upstream = "a"

[routes.wild]
hosts = ["*.example.org"]
path = "/users/:id"
upstream = "b"

[routes.public]
path = "/public/*rest"
upstream = "b"

[routes.admin]
path = "/admin/*rest"
upstream = "a"

[routes.strip]
path = "/api/v1/*rest"
strip_prefix = "/api/v1"
upstream = "a"

[routes.rewrite]
path = "/old/:id"
rewrite = "/new/items/:id"
upstream = "a"

[routes.down]
path = "/down"
upstream = "dead"

[routes.maint]
path = "/maintenance"
[routes.maint.respond]
status = 503
headers = { "Retry-After" = "120", "Content-Type" = "application/json" }
body = '{"error":"maintenance"}'
`

// check inspects one exchange: the client's response and what upstreams
// a and b received.
type check func(t *testing.T, resp *fasthttp.Response, a, b *upstream)

func TestForwarding(t *testing.T) {
	tests := []struct {
		name    string
		trusted string // TOML array for trusted_proxies
		req     string
		check   check
	}{
		{
			name: "exact host beats wildcard",
			req:  "GET /users/42 HTTP/1.1\r\nHost: api.example.com\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectStatus(t, resp, 200)
				mustContain(t, "first line", a.last(t), "GET /users/42 HTTP/1.1")
			},
		},
		{
			name: "wildcard host with port and upper case",
			req:  "GET /users/7 HTTP/1.1\r\nHost: EU.Example.ORG:8080\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectStatus(t, resp, 200)
				mustContain(t, "request", b.last(t), "GET /users/7 HTTP/1.1")
			},
		},
		{
			name: "no route is a JSON 404",
			req:  "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				jsonError(t, resp, 404, "no_route")
				noRequests(t, a, b)
			},
		},
		{
			name: "wrong method is 405 with Allow",
			req:  "DELETE /users/1 HTTP/1.1\r\nHost: api.example.com\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				jsonError(t, resp, 405, "method_not_allowed")
				mustContain(t, "Allow", string(resp.Header.Peek("Allow")), "GET")
				mustContain(t, "Allow", string(resp.Header.Peek("Allow")), "POST")
				noRequests(t, a, b)
			},
		},
		{
			name: "dot segments cannot escape a route",
			req:  "GET /admin/../public/x HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectStatus(t, resp, 200)
				mustContain(t, "request", b.last(t), "GET /public/x HTTP/1.1")
				noRequests(t, a)
			},
		},
		{
			name: "encoded slash does not reach another route",
			req:  "GET /public/..%2fadmin HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectStatus(t, resp, 200)
				mustContain(t, "request", b.last(t), "GET /public/..%2Fadmin HTTP/1.1")
				noRequests(t, a)
			},
		},
		{
			name: "encoded dots resolve before routing",
			req:  "GET /public/%2e%2e/admin/x HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectStatus(t, resp, 200)
				mustContain(t, "request", a.last(t), "GET /admin/x HTTP/1.1")
				noRequests(t, b)
			},
		},
		{
			name: "query forwarded byte for byte",
			req:  "GET /public/q?b=%2F&a=1&a=2&empty=&x HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				mustContain(t, "request", b.last(t), "GET /public/q?b=%2F&a=1&a=2&empty=&x HTTP/1.1")
			},
		},
		{
			name: "strip prefix",
			req:  "GET /api/v1/orders/9?z=1 HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				mustContain(t, "request", a.last(t), "GET /orders/9?z=1 HTTP/1.1")
			},
		},
		{
			name: "strip prefix to the root",
			req:  "GET /api/v1/ HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				mustContain(t, "request", a.last(t), "GET / HTTP/1.1")
			},
		},
		{
			name: "rewrite with params",
			req:  "GET /old/55 HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				mustContain(t, "request", a.last(t), "GET /new/items/55 HTTP/1.1")
			},
		},
		{
			name: "hop-by-hop request headers are removed",
			req: "GET /public/h HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Secret\r\n" +
				"X-Secret: s\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n" +
				"TE: trailers\r\nUpgrade: h2c\r\nX-Kept: yes\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				got := b.last(t)
				for _, h := range []string{"X-Secret", "Keep-Alive", "Proxy-Connection", "TE", "Upgrade"} {
					if v, ok := headerLine(got, h); ok {
						t.Errorf("upstream received %s: %s", h, v)
					}
				}
				if v, _ := headerLine(got, "Connection"); strings.Contains(strings.ToLower(v), "secret") {
					t.Errorf("upstream received Connection: %s", v)
				}
				mustContain(t, "request", got, "X-Kept: yes")
			},
		},
		{
			name: "client Connection close does not close the upstream connection",
			req:  "GET /public/c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				if v, ok := headerLine(b.last(t), "Connection"); ok && strings.EqualFold(v, "close") {
					t.Errorf("upstream received Connection: close")
				}
				if !resp.ConnectionClose() {
					t.Errorf("client response lacks Connection: close")
				}
			},
		},
		{
			name: "untrusted peer's X-Forwarded-For is replaced",
			req:  "GET /public/f HTTP/1.1\r\nHost: shop.test\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				got := b.last(t)
				expectHeader(t, got, "X-Forwarded-For", "127.0.0.1")
				expectHeader(t, got, "X-Forwarded-Proto", "http")
				expectHeader(t, got, "X-Forwarded-Host", "shop.test")
			},
		},
		{
			name:    "trusted peer's chain is extended",
			trusted: `["127.0.0.0/8"]`,
			req:     "GET /public/f HTTP/1.1\r\nHost: shop.test\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				got := b.last(t)
				expectHeader(t, got, "X-Forwarded-For", "203.0.113.9, 127.0.0.1")
				expectHeader(t, got, "X-Forwarded-Proto", "https")
			},
		},
		{
			name: "client request id is kept and echoed",
			req:  "GET /public/id HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc-123\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectHeader(t, b.last(t), "X-Request-Id", "abc-123")
				if got := string(resp.Header.Peek("X-Request-Id")); got != "abc-123" {
					t.Errorf("response X-Request-Id = %q, want abc-123", got)
				}
			},
		},
		{
			name: "request id is generated when missing or unsafe",
			req:  "GET /public/id HTTP/1.1\r\nHost: x\r\nX-Request-Id: has space\"\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				id := string(resp.Header.Peek("X-Request-Id"))
				if len(id) != 32 {
					t.Errorf("response X-Request-Id = %q, want 32 hex characters", id)
				}
				expectHeader(t, b.last(t), "X-Request-Id", id)
			},
		},
		{
			name: "Content-Length with Transfer-Encoding is refused",
			req: "POST /public/s HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n" +
				"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectStatus(t, resp, 400)
				noRequests(t, a, b)
			},
		},
		{
			name: "two Content-Lengths are refused",
			req:  "POST /public/s HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				jsonError(t, resp, 400, "bad_request")
				noRequests(t, a, b)
			},
		},
		{
			name: "HTTP/1.1 without Host is refused",
			req:  "GET /public/x HTTP/1.1\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectStatus(t, resp, 400)
				noRequests(t, a, b)
			},
		},
		{
			name: "malformed percent-encoding is refused",
			req:  "GET /public/%zz HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				jsonError(t, resp, 400, "bad_request")
				noRequests(t, a, b)
			},
		},
		{
			name: "body over the limit is 413",
			req:  "POST /public/big HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n" + strings.Repeat("x", 2048),
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				jsonError(t, resp, 413, "body_too_large")
				if !resp.ConnectionClose() {
					t.Error("413 left the connection open with an unread body")
				}
				noRequests(t, a, b)
			},
		},
		{
			name: "chunked body over the limit is 413",
			req: "POST /public/big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
				"800\r\n" + strings.Repeat("x", 2048) + "\r\n0\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				jsonError(t, resp, 413, "body_too_large")
				noRequests(t, a, b)
			},
		},
		{
			name: "header block over the limit is 431",
			req:  "GET /public/x HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("y", 8192) + "\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				jsonError(t, resp, 431, "header_too_large")
				noRequests(t, a, b)
			},
		},
		{
			name: "static response never reaches an upstream",
			req:  "GET /maintenance HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectStatus(t, resp, 503)
				if got := string(resp.Header.Peek("Retry-After")); got != "120" {
					t.Errorf("Retry-After = %q, want 120", got)
				}
				if got := string(resp.Body()); got != `{"error":"maintenance"}` {
					t.Errorf("body = %q", got)
				}
				noRequests(t, a, b)
			},
		},
		{
			name: "refused upstream is a JSON 502",
			req:  "GET /down HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				jsonError(t, resp, 502, "upstream_error")
			},
		},
		{
			name: "Connection cannot remove Content-Length",
			req: "POST /users/3 HTTP/1.1\r\nHost: api.example.com\r\nConnection: Content-Length, Host\r\n" +
				"Content-Length: 5\r\n\r\nhello",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectStatus(t, resp, 200)
				a.mu.Lock()
				got := string(a.body[len(a.body)-1])
				a.mu.Unlock()
				if got != "hello" {
					t.Errorf("upstream body = %q, want hello", got)
				}
			},
		},
		{
			name: "fragment in the target is refused",
			req:  "GET /admin# HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				jsonError(t, resp, 400, "bad_request")
				noRequests(t, a, b)
			},
		},
		{
			name: "lower-case method is refused",
			req:  "get /users/1 HTTP/1.1\r\nHost: api.example.com\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				jsonError(t, resp, 400, "bad_request")
				noRequests(t, a, b)
			},
		},
		{
			name: "Transfer-Encoding identity is refused",
			req: "POST /public/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n" +
				"GET /public/SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectStatus(t, resp, 400)
				if !resp.ConnectionClose() {
					t.Error("connection left open after a framing error")
				}
				noRequests(t, a, b)
			},
		},
		{
			name: "header name with a space is refused",
			req:  "GET /public/x HTTP/1.1\r\nHost: x\r\nX Consumer: root\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectStatus(t, resp, 400)
				noRequests(t, a, b)
			},
		},
		{
			name: "absolute form: the authority is routed and forwarded",
			req:  "GET http://eu.example.org/users/9 HTTP/1.1\r\nHost: api.example.com\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectStatus(t, resp, 200)
				expectHeader(t, b.last(t), "X-Forwarded-Host", "eu.example.org")
				noRequests(t, a)
			},
		},
		{
			name: "absolute form with userinfo is refused",
			req:  "GET http://user@eu.example.org/users/9 HTTP/1.1\r\nHost: eu.example.org\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectStatus(t, resp, 400)
				noRequests(t, a, b)
			},
		},
		{
			name: "POST body is forwarded",
			req:  "POST /users/3 HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 5\r\n\r\nhello",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectStatus(t, resp, 200)
				a.mu.Lock()
				got := string(a.body[len(a.body)-1])
				a.mu.Unlock()
				if got != "hello" {
					t.Errorf("upstream body = %q, want hello", got)
				}
			},
		},
		{
			name: "chunked request body is forwarded",
			req:  "POST /users/3 HTTP/1.1\r\nHost: api.example.com\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, a, b *upstream) {
				expectStatus(t, resp, 200)
				a.mu.Lock()
				got := string(a.body[len(a.body)-1])
				a.mu.Unlock()
				if got != "abcde" {
					t.Errorf("upstream body = %q, want abcde", got)
				}
			},
		},
	}
	for _, transport := range transports {
		for _, tt := range tests {
			t.Run(transport+"/"+tt.name, func(t *testing.T) {
				a := startUpstream(t, nil)
				b := startUpstream(t, nil)
				trusted := tt.trusted
				if trusted == "" {
					trusted = "[]"
				}
				cfg := fill(baseConfig, map[string]string{
					"a": a.addr, "b": b.addr, "dead": deadAddr(t), "trusted": trusted,
				})
				gw := startGateway(t, transport, cfg)
				resp := roundTrip(t, gw.addr, tt.req)
				tt.check(t, resp, a, b)
			})
		}
	}
}

func expectStatus(t *testing.T, resp *fasthttp.Response, want int) {
	t.Helper()
	if resp.StatusCode() != want {
		t.Errorf("status = %d, want %d (body %q)", resp.StatusCode(), want, resp.Body())
	}
}

func expectHeader(t *testing.T, block, name, want string) {
	t.Helper()
	got, ok := headerLine(block, name)
	if !ok || got != want {
		t.Errorf("upstream %s = %q (present %v), want %q", name, got, ok, want)
	}
}

func noRequests(t *testing.T, ups ...*upstream) {
	t.Helper()
	for _, u := range ups {
		if r := u.requests(); len(r) > 0 {
			t.Errorf("upstream %s received %d requests, want none: %q", u.addr, len(r), r[0])
		}
	}
}
