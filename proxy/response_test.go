package proxy

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/accesslog"
	"github.com/portico-gw/portico/config"
	"github.com/valyala/fasthttp"
)

// oneRoute is a gateway config with one catch-all route to {a}.
const oneRoute = `
[server]
listen = "127.0.0.1:0"
[upstreams.a]
targets = [{ address = "{a}" }]
response_timeout = "{timeout}"
[routes.all]
path = "/*rest"
upstream = "a"
websocket = true
`

func oneRouteConfig(addr string) string {
	return fill(oneRoute, map[string]string{"a": addr, "timeout": "300ms"})
}

// rawUpstream is a backend that answers every request on a connection with
// the same raw response bytes, so tests control exactly what the gateway
// receives.
func rawUpstream(t *testing.T, response string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(ioTimeout))
				br := bufio.NewReader(c)
				for {
					var req fasthttp.Request
					if err := req.Read(br); err != nil {
						return
					}
					if _, err := c.Write([]byte(response)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestResponses(t *testing.T) {
	tests := []struct {
		name     string
		upstream string // raw response the upstream sends
		req      string
		check    func(t *testing.T, resp *fasthttp.Response, raw string)
	}{
		{
			name: "Set-Cookie headers stay apart",
			upstream: "HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; HttpOnly\r\n" +
				"Content-Length: 2\r\n\r\nok",
			req: "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, raw string) {
				mustContain(t, "response", raw, "Set-Cookie: a=1; Path=/\r\n")
				mustContain(t, "response", raw, "Set-Cookie: b=2; HttpOnly\r\n")
			},
		},
		{
			name: "hop-by-hop response headers are removed",
			upstream: "HTTP/1.1 200 OK\r\nConnection: X-Internal\r\nX-Internal: secret\r\n" +
				"Keep-Alive: timeout=5\r\nX-Kept: yes\r\nContent-Length: 2\r\n\r\nok",
			req: "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, raw string) {
				for _, h := range []string{"X-Internal", "Keep-Alive"} {
					if v, ok := headerLine(raw, h); ok {
						t.Errorf("client received %s: %s", h, v)
					}
				}
				mustContain(t, "response", raw, "X-Kept: yes")
			},
		},
		{
			name:     "upstream Connection close does not close the client connection",
			upstream: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
			req:      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, raw string) {
				if resp.ConnectionClose() {
					t.Errorf("client response has Connection: close")
				}
			},
		},
		{
			name:     "HTTP/1.0 upstream answers the client as HTTP/1.1",
			upstream: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
			req:      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, raw string) {
				if !strings.HasPrefix(raw, "HTTP/1.1 200") {
					t.Errorf("status line = %q", strings.SplitN(raw, "\r\n", 2)[0])
				}
			},
		},
		{
			name:     "204 carries no body",
			upstream: "HTTP/1.1 204 No Content\r\n\r\n",
			req:      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, raw string) {
				expectStatus(t, resp, 204)
				if !strings.HasSuffix(raw, "\r\n\r\n") {
					t.Errorf("204 response has a body: %q", raw)
				}
			},
		},
		{
			name:     "304 carries no body",
			upstream: "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n",
			req:      "GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"v1\"\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, raw string) {
				expectStatus(t, resp, 304)
				if !strings.HasSuffix(raw, "\r\n\r\n") {
					t.Errorf("304 response has a body: %q", raw)
				}
			},
		},
		{
			name:     "HEAD carries no body",
			upstream: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
			req:      "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, raw string) {
				expectStatus(t, resp, 200)
				if !strings.HasSuffix(raw, "\r\n\r\n") {
					t.Errorf("HEAD response has a body: %q", raw)
				}
			},
		},
		{
			name:     "chunked upstream body reaches the client whole",
			upstream: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
			req:      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, raw string) {
				if got := string(resp.Body()); got != "hello world" {
					t.Errorf("body = %q, want hello world", got)
				}
			},
		},
		{
			name:     "garbage from the upstream is a JSON 502",
			upstream: "NOT HTTP AT ALL\r\n\r\n",
			req:      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
			check: func(t *testing.T, resp *fasthttp.Response, raw string) {
				jsonError(t, resp, 502, "upstream_error")
			},
		},
	}
	for _, transport := range transports {
		for _, tt := range tests {
			t.Run(transport+"/"+tt.name, func(t *testing.T) {
				gw := startGateway(t, transport, oneRouteConfig(rawUpstream(t, tt.upstream)))
				c := dial(t, gw.addr)
				defer c.Close()
				send(t, c, tt.req)
				raw := readRaw(t, c, strings.HasPrefix(tt.req, "HEAD "))
				resp := &fasthttp.Response{}
				resp.SkipBody = strings.HasPrefix(tt.req, "HEAD ")
				if err := resp.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
					t.Fatalf("parse %q: %v", raw, err)
				}
				tt.check(t, resp, raw)
			})
		}
	}
}

// readRaw reads one response's raw bytes: it reads until the bytes parse
// as a whole response, so it works for any framing.
func readRaw(t *testing.T, c net.Conn, head bool) string {
	t.Helper()
	var buf []byte
	tmp := make([]byte, 4096)
	for {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if complete(buf, head) {
			return string(buf)
		}
		if err != nil {
			t.Fatalf("read: %v after %q", err, buf)
		}
	}
}

// complete reports whether buf holds a whole response with its body (no
// body after a HEAD request).
func complete(buf []byte, headReq bool) bool {
	s := string(buf)
	head, body, ok := strings.Cut(s, "\r\n\r\n")
	if !ok {
		return false
	}
	if headReq {
		return true
	}
	if v, ok := headerLine(head, "Content-Length"); ok {
		var n int
		fmt.Sscan(v, &n)
		return len(body) >= n
	}
	if _, ok := headerLine(head, "Transfer-Encoding"); ok {
		return strings.HasSuffix(body, "0\r\n\r\n")
	}
	return true
}

func TestUpstreamTimeoutIs504(t *testing.T) {
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			up := startUpstream(t, func(ctx *fasthttp.RequestCtx) {
				<-release
			})
			gw := startGateway(t, transport, oneRouteConfig(up.addr))
			start := time.Now()
			resp := roundTrip(t, gw.addr, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
			jsonError(t, resp, 504, "upstream_timeout")
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("504 took %v, want about the 300ms response timeout", d)
			}
		})
	}
}

func TestKeepAliveManyRequests(t *testing.T) {
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			up := startUpstream(t, nil)
			gw := startGateway(t, transport, oneRouteConfig(up.addr))
			c := dial(t, gw.addr)
			defer c.Close()
			br := bufio.NewReader(c)
			for i := range 100 {
				send(t, c, fmt.Sprintf("GET /n/%d HTTP/1.1\r\nHost: x\r\n\r\n", i))
				resp := readResponse(t, br, false)
				if want := fmt.Sprintf("/n/%d", i); !strings.HasSuffix(string(resp.Body()), want) {
					t.Fatalf("request %d: body %q, want suffix %q", i, resp.Body(), want)
				}
			}
			// Pipelined: three requests in one write, three answers in order.
			send(t, c, "GET /p/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p/2 HTTP/1.1\r\nHost: x\r\n\r\nGET /p/3 HTTP/1.1\r\nHost: x\r\n\r\n")
			for i := 1; i <= 3; i++ {
				resp := readResponse(t, br, false)
				if want := fmt.Sprintf("/p/%d", i); !strings.HasSuffix(string(resp.Body()), want) {
					t.Fatalf("pipelined %d: body %q", i, resp.Body())
				}
			}
		})
	}
}

// TestAccessLogRecordsClientQuery checks the logged path and query are the
// client's, byte for byte, on routes that rewrite the upstream target.
func TestAccessLogRecordsClientQuery(t *testing.T) {
	up := startUpstream(t, nil)
	f, err := config.Parse("log.toml", []byte(fill(`
[server]
listen = "127.0.0.1:0"
[upstreams.a]
targets = [{ address = "{a}" }]
[routes.strip]
path = "/api/*rest"
strip_prefix = "/api"
upstream = "a"
[routes.rewrite]
path = "/old/:id"
rewrite = "/new/:id"
upstream = "a"
`, map[string]string{"a": up.addr})))
	if err != nil {
		t.Fatal(err)
	}
	var buf syncBuffer
	access, err := accesslog.NewWriter(f.AccessLog, &buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(f, Options{AccessLog: access})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(g, f.Server, nil)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Shutdown()

	roundTrip(t, ln.Addr().String(), "GET /api/x?abcdefgh HTTP/1.1\r\nHost: x\r\n\r\n")
	roundTrip(t, ln.Addr().String(), "GET /old/7?id=1&q=%22v HTTP/1.1\r\nHost: x\r\n\r\n")
	access.Close() // drains the ring
	log := buf.String()
	for _, want := range []string{
		`"path":"/api/x","query":"abcdefgh"`,
		`"path":"/old/7","query":"id=1&q=%22v"`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("access log lacks %s:\n%s", want, log)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the access log's writer goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
