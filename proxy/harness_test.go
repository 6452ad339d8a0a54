package proxy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/config"
	"github.com/valyala/fasthttp"
)

// ioTimeout bounds every read and write a test makes, so a broken gateway
// fails a test instead of hanging it.
const ioTimeout = 5 * time.Second

// transports lists the front ends every end-to-end test runs on. The
// event-loop transport joins this list where it is built in.
var transports = []string{"standard"}

// upstream is a backend a test starts on 127.0.0.1:0. It records the raw
// header block of every request it receives and answers with handler.
type upstream struct {
	addr string
	srv  *fasthttp.Server

	mu   sync.Mutex
	seen []string // request header blocks as received, request line first
	body [][]byte
}

func startUpstream(t *testing.T, handler fasthttp.RequestHandler) *upstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &upstream{addr: ln.Addr().String()}
	if handler == nil {
		handler = func(ctx *fasthttp.RequestCtx) {
			ctx.SetContentType("text/plain")
			ctx.WriteString("upstream " + u.addr + " " + string(ctx.RequestURI()))
		}
	}
	u.srv = &fasthttp.Server{
		DisableHeaderNamesNormalizing: true,
		Handler: func(ctx *fasthttp.RequestCtx) {
			u.mu.Lock()
			u.seen = append(u.seen, string(ctx.Request.Header.Header()))
			u.body = append(u.body, append([]byte(nil), ctx.Request.Body()...))
			u.mu.Unlock()
			handler(ctx)
		},
	}
	go func() { _ = u.srv.Serve(ln) }()
	t.Cleanup(func() { _ = u.srv.Shutdown() })
	return u
}

// requests returns the header blocks received so far.
func (u *upstream) requests() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.seen...)
}

// last returns the last header block received, failing if there is none.
func (u *upstream) last(t *testing.T) string {
	t.Helper()
	r := u.requests()
	if len(r) == 0 {
		t.Fatal("upstream received no request")
	}
	return r[len(r)-1]
}

// gateway is a Portico front end and handler built from a TOML string.
type gateway struct {
	addr string
	g    *Gateway
	stop func()
}

// startGateway parses cfg (with %s placeholders already filled), builds a
// Gateway and serves it on 127.0.0.1:0 with the given transport.
func startGateway(t *testing.T, transport, cfg string) *gateway {
	t.Helper()
	f, err := config.Parse("test.toml", []byte(cfg))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	g, err := New(f, Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gw := &gateway{addr: ln.Addr().String(), g: g}
	shutdown := serveTransport(t, transport, g, f, ln)
	var once sync.Once
	gw.stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
			defer cancel()
			_ = shutdown(ctx)
			g.Close()
		})
	}
	t.Cleanup(gw.stop)
	return gw
}

// serveTransport serves g on ln with the named front end and returns its
// shutdown function.
func serveTransport(t *testing.T, transport string, g *Gateway, f *config.File, ln net.Listener) func(context.Context) error {
	t.Helper()
	switch transport {
	case "standard":
		srv := NewServer(g, f.Server, nil)
		go func() { _ = srv.Serve(ln) }()
		return srv.ShutdownWithContext
	default:
		return serveOther(t, transport, g, f, ln)
	}
}

// roundTrip sends raw request bytes on a new connection and reads one
// response. The response is returned with its body read in full.
func roundTrip(t *testing.T, addr, raw string) *fasthttp.Response {
	t.Helper()
	c := dial(t, addr)
	defer c.Close()
	send(t, c, raw)
	return readResponse(t, bufio.NewReader(c), strings.HasPrefix(raw, "HEAD "))
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	return c
}

func send(t *testing.T, c net.Conn, raw string) {
	t.Helper()
	if _, err := c.Write([]byte(raw)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func readResponse(t *testing.T, br *bufio.Reader, head bool) *fasthttp.Response {
	t.Helper()
	resp := &fasthttp.Response{}
	resp.SkipBody = head
	if err := resp.Read(br); err != nil {
		t.Fatalf("read response: %v", err)
	}
	return resp
}

// fill replaces each {name} in s with vars[name].
func fill(s string, vars map[string]string) string {
	for k, v := range vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// headerLine reports whether the header block holds a line "Name: value"
// (name compared without case).
func headerLine(block, name string) (string, bool) {
	for _, line := range strings.Split(block, "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// deadAddr returns an address nothing listens on: bound, then closed.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func mustContain(t *testing.T, what, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("%s = %q, want it to contain %q", what, s, sub)
	}
}

func jsonError(t *testing.T, resp *fasthttp.Response, status int, word string) {
	t.Helper()
	if resp.StatusCode() != status {
		t.Errorf("status = %d, want %d (body %q)", resp.StatusCode(), status, resp.Body())
	}
	if ct := string(resp.Header.ContentType()); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	want := fmt.Sprintf(`{"error":%q,"status":%d,"request_id":"`, word, status)
	if !bytes.HasPrefix(resp.Body(), []byte(want)) {
		t.Errorf("body = %q, want prefix %q", resp.Body(), want)
	}
}
