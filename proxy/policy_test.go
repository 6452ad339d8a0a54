package proxy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/portico-gw/portico/auth"
	"github.com/valyala/fasthttp"
)

// policyConfig has a key-protected route, a route with a plan limit of
// three requests a minute, and a CORS route.
const policyConfig = `
[server]
listen = "127.0.0.1:0"
trusted_proxies = ["127.0.0.1/32"]

[auth]
key_header = "X-API-Key"
key_query = "api_key"

[plans.free]
limits = [{ name = "free-min", rate = "3 per 1m", key = ["ip"], headers = "both" }]

[consumers.alice]
plan = "free"
groups = ["staff"]
key_sha256 = ["{alicehash}"]

[consumers.bob]
key_sha256 = ["{bobhash}"]

[upstreams.a]
targets = [{ address = "{a}" }]

[routes.private]
path = "/private/*rest"
upstream = "a"
[routes.private.access]
methods = ["key"]
consumers = ["alice"]

[routes.limited]
path = "/limited"
upstream = "a"
plan = "free"

[routes.perkey]
path = "/perkey"
upstream = "a"
limits = [{ name = "per-key", rate = "1 per 1m", key = ["api_key"] }]
[routes.perkey.access]
methods = ["key"]

[routes.denied]
path = "/denied"
upstream = "a"
[routes.denied.access]
deny_cidrs = ["203.0.113.0/24"]
anonymous = true

[routes.browser]
path = "/browser"
upstream = "a"
[routes.browser.access]
anonymous = true
deny_cidrs = ["203.0.113.0/24"]
[routes.browser.cors]
origins = ["https://app.example"]
methods = ["GET", "POST"]
headers = ["Content-Type"]
max_age = "10m"
`

func TestCallersAndLimits(t *testing.T) {
	tests := []struct {
		name  string
		reqs  []string // sent in order on fresh connections; the last response is checked
		check func(t *testing.T, resp *fasthttp.Response, up *upstream)
	}{
		{
			name: "missing key is 401 with a challenge",
			reqs: []string{"GET /private/x HTTP/1.1\r\nHost: x\r\n\r\n"},
			check: func(t *testing.T, resp *fasthttp.Response, up *upstream) {
				expectStatus(t, resp, 401)
				if resp.Header.Peek("WWW-Authenticate") == nil {
					t.Error("401 without WWW-Authenticate")
				}
				noRequests(t, up)
			},
		},
		{
			name: "wrong key is 401",
			reqs: []string{"GET /private/x HTTP/1.1\r\nHost: x\r\nX-API-Key: alice-secxxx\r\n\r\n"},
			check: func(t *testing.T, resp *fasthttp.Response, up *upstream) {
				expectStatus(t, resp, 401)
				noRequests(t, up)
			},
		},
		{
			name: "known caller not on the allow list is 403",
			reqs: []string{"GET /private/x HTTP/1.1\r\nHost: x\r\nX-API-Key: bob-secret\r\n\r\n"},
			check: func(t *testing.T, resp *fasthttp.Response, up *upstream) {
				expectStatus(t, resp, 403)
				noRequests(t, up)
			},
		},
		{
			name: "good key passes; key stripped, identity set, forgery dropped",
			reqs: []string{"GET /private/x HTTP/1.1\r\nHost: x\r\nX-API-Key: alice-secret\r\n" +
				"X-Consumer: mallory\r\nX-Consumer-Groups: admins\r\n\r\n"},
			check: func(t *testing.T, resp *fasthttp.Response, up *upstream) {
				expectStatus(t, resp, 200)
				got := up.last(t)
				expectHeader(t, got, "X-Consumer", "alice")
				expectHeader(t, got, "X-Consumer-Groups", "staff")
				if v, ok := headerLine(got, "X-API-Key"); ok {
					t.Errorf("upstream received the API key %q", v)
				}
			},
		},
		{
			name: "Connection cannot strip the identity headers",
			reqs: []string{"GET /private/x HTTP/1.1\r\nHost: x\r\nX-API-Key: alice-secret\r\n" +
				"Connection: keep-alive, X-Consumer, X-Consumer-Groups\r\n\r\n"},
			check: func(t *testing.T, resp *fasthttp.Response, up *upstream) {
				expectStatus(t, resp, 200)
				expectHeader(t, up.last(t), "X-Consumer", "alice")
			},
		},
		{
			name: "a key from the query is not forwarded",
			reqs: []string{"GET /private/x?api_key=alice-secret&z=1 HTTP/1.1\r\nHost: x\r\n\r\n"},
			check: func(t *testing.T, resp *fasthttp.Response, up *upstream) {
				expectStatus(t, resp, 200)
				got := up.last(t)
				if strings.Contains(got, "alice-secret") {
					t.Errorf("upstream received the key: %q", strings.SplitN(got, "\r\n", 2)[0])
				}
				mustContain(t, "request line", got, "GET /private/x?z=1 HTTP/1.1")
			},
		},
		{
			name: "forged identity is dropped on open routes too",
			reqs: []string{"GET /limited HTTP/1.1\r\nHost: x\r\nX-Consumer: mallory\r\n\r\n"},
			check: func(t *testing.T, resp *fasthttp.Response, up *upstream) {
				if v, ok := headerLine(up.last(t), "X-Consumer"); ok {
					t.Errorf("upstream received forged X-Consumer: %s", v)
				}
			},
		},
		{
			name: "denied client address is 403 (via trusted proxy)",
			reqs: []string{"GET /denied HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n"},
			check: func(t *testing.T, resp *fasthttp.Response, up *upstream) {
				expectStatus(t, resp, 403)
				noRequests(t, up)
			},
		},
		{
			name: "limit headers on every response",
			reqs: []string{"GET /limited HTTP/1.1\r\nHost: x\r\n\r\n"},
			check: func(t *testing.T, resp *fasthttp.Response, up *upstream) {
				expectStatus(t, resp, 200)
				mustContain(t, "RateLimit-Policy", string(resp.Header.Peek("RateLimit-Policy")), `"free-min";q=3;w=60`)
				mustContain(t, "RateLimit", string(resp.Header.Peek("RateLimit")), `"free-min";r=2;t=`)
				if got := string(resp.Header.Peek("X-RateLimit-Limit")); got != "3" {
					t.Errorf("X-RateLimit-Limit = %q, want 3", got)
				}
			},
		},
		{
			name: "over the limit is 429 with Retry-After and never reaches the upstream",
			reqs: []string{
				"GET /limited HTTP/1.1\r\nHost: x\r\n\r\n",
				"GET /limited HTTP/1.1\r\nHost: x\r\n\r\n",
				"GET /limited HTTP/1.1\r\nHost: x\r\n\r\n",
				"GET /limited HTTP/1.1\r\nHost: x\r\n\r\n",
			},
			check: func(t *testing.T, resp *fasthttp.Response, up *upstream) {
				expectStatus(t, resp, 429)
				if resp.Header.Peek("Retry-After") == nil {
					t.Error("429 without Retry-After")
				}
				mustContain(t, "RateLimit", string(resp.Header.Peek("RateLimit")), `"free-min";r=0;t=`)
				if n := len(up.requests()); n != 3 {
					t.Errorf("upstream saw %d requests, want 3", n)
				}
				if ct := string(resp.Header.ContentType()); ct != "application/json" {
					t.Errorf("429 Content-Type = %q", ct)
				}
			},
		},
		{
			name: "api_key limits count per key after the key is stripped",
			reqs: []string{
				"GET /perkey HTTP/1.1\r\nHost: x\r\nX-API-Key: alice-secret\r\n\r\n",
				"GET /perkey HTTP/1.1\r\nHost: x\r\nX-API-Key: bob-secret\r\n\r\n",
				"GET /perkey HTTP/1.1\r\nHost: x\r\nX-API-Key: alice-secret\r\n\r\n",
			},
			check: func(t *testing.T, resp *fasthttp.Response, up *upstream) {
				expectStatus(t, resp, 429)
				if n := len(up.requests()); n != 2 {
					t.Errorf("upstream saw %d requests, want 2 (alice once, bob once)", n)
				}
			},
		},
		{
			name: "CORS preflight is answered at the gateway",
			reqs: []string{"OPTIONS /browser HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n" +
				"Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n"},
			check: func(t *testing.T, resp *fasthttp.Response, up *upstream) {
				expectStatus(t, resp, 204)
				if got := string(resp.Header.Peek("Access-Control-Allow-Origin")); got != "https://app.example" {
					t.Errorf("Allow-Origin = %q", got)
				}
				mustContain(t, "Allow-Methods", string(resp.Header.Peek("Access-Control-Allow-Methods")), "POST")
				noRequests(t, up)
			},
		},
		{
			name: "CORS origin not listed is not reflected",
			reqs: []string{"GET /browser HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n\r\n"},
			check: func(t *testing.T, resp *fasthttp.Response, up *upstream) {
				expectStatus(t, resp, 200)
				if got := resp.Header.Peek("Access-Control-Allow-Origin"); got != nil {
					t.Errorf("Allow-Origin = %q for an unlisted origin", got)
				}
			},
		},
		{
			name: "CORS headers on a refusal",
			reqs: []string{"GET /browser HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n"},
			check: func(t *testing.T, resp *fasthttp.Response, up *upstream) {
				expectStatus(t, resp, 403)
				if got := string(resp.Header.Peek("Access-Control-Allow-Origin")); got != "https://app.example" {
					t.Errorf("Allow-Origin on 403 = %q", got)
				}
			},
		},
		{
			name: "CORS headers on a real response",
			reqs: []string{"GET /browser HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n\r\n"},
			check: func(t *testing.T, resp *fasthttp.Response, up *upstream) {
				if got := string(resp.Header.Peek("Access-Control-Allow-Origin")); got != "https://app.example" {
					t.Errorf("Allow-Origin = %q", got)
				}
			},
		},
	}
	for _, transport := range transports {
		for _, tt := range tests {
			t.Run(transport+"/"+tt.name, func(t *testing.T) {
				up := startUpstream(t, nil)
				cfg := fill(policyConfig, map[string]string{
					"a":         up.addr,
					"alicehash": auth.HashKey("alice-secret"),
					"bobhash":   auth.HashKey("bob-secret"),
				})
				gw := startGateway(t, transport, cfg)
				var resp *fasthttp.Response
				for _, r := range tt.reqs {
					resp = roundTrip(t, gw.addr, r)
				}
				tt.check(t, resp, up)
			})
		}
	}
	_ = fmt.Sprint
	_ = strings.Contains
}
