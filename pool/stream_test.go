package pool

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestDoStreamResponseBody(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	addr := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBody(body) })
	u := newTestUpstream(t, Config{Targets: targets(addr), StreamResponseBody: true})
	req, resp := get("/big"), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	for i := range 2 {
		if _, err := u.Do(req, resp, 0, 2*time.Second); err != nil {
			t.Fatalf("request %d: Do = %v", i, err)
		}
		stream := resp.BodyStream()
		if stream == nil {
			t.Fatalf("request %d: BodyStream = nil, want a stream", i)
		}
		n, err := io.Copy(io.Discard, stream)
		if err != nil || n != int64(len(body)) {
			t.Fatalf("request %d: read %d bytes, %v, want %d", i, n, err, len(body))
		}
		if err := resp.CloseBodyStream(); err != nil {
			t.Fatalf("request %d: CloseBodyStream = %v", i, err)
		}
	}
	if n := u.Status()[0].Conns; n != 1 {
		t.Errorf("connections = %d, want 1 reused", n)
	}
}

func TestDoResponseHeaderLimit(t *testing.T) {
	big := strings.Repeat("v", 6000)
	addr := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/big" {
			ctx.Response.Header.Set("X-Big", big)
		}
	})
	tests := []struct {
		name    string
		path    string
		limit   int
		wantErr error
	}{
		{name: "small header fits", path: "/small", limit: 4096},
		{name: "default limit fits 6k", path: "/big"},
		{name: "over the limit", path: "/big", limit: 4096, wantErr: ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newTestUpstream(t, Config{Targets: targets(addr),
				MaxResponseHeaderBytes: tt.limit})
			req, resp := get(tt.path), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			if _, err := u.Do(req, resp, 0, time.Second); err != tt.wantErr {
				t.Errorf("Do = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestDoFromTLSClient(t *testing.T) {
	seen := make(chan string, 1)
	addr := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		seen <- string(ctx.Host()) + " " + string(ctx.RequestURI())
	})
	u := newTestUpstream(t, Config{Targets: targets(addr), HostHeader: HostHeaderClient})
	// A request as the front end sees it on a TLS listener: the parsed
	// URI has the https scheme.
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("https://shop.example/a%2Fb//c?x=1")
	req.Header.SetHost("shop.example")
	if _, err := u.Do(req, resp, 0, time.Second); err != nil {
		t.Fatalf("Do = %v", err)
	}
	if got, want := <-seen, "shop.example /a%2Fb//c?x=1"; got != want {
		t.Errorf("upstream saw %q, want %q", got, want)
	}
}

// TestDoClassifyHook runs a transport whose write errors are neither
// io.EOF nor syscall errors, as netpoll's are: with the hook they count
// as a closed connection and an idempotent request moves on; without it
// they are a bad response, which is not retried.
func TestDoClassifyHook(t *testing.T) {
	good := okBackend(t)
	bad, _ := hangingBackend(t)
	hook := func(err error) int {
		if err == errOdd {
			return 502
		}
		return 0
	}
	tests := []struct {
		name    string
		hook    func(error) int
		wantErr error
	}{
		{name: "with hook", hook: hook},
		{name: "without hook", wantErr: ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newTestUpstream(t, Config{
				Targets: targets(bad, good),
				Dial: func(addr string) (net.Conn, error) {
					c, err := net.DialTimeout("tcp", addr, time.Second)
					if err != nil || addr != bad {
						return c, err
					}
					return oddConn{c}, nil
				},
				Classify: tt.hook,
			})
			req, resp := get("/"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			tg, err := u.Do(req, resp, 0, 2*time.Second)
			if err != tt.wantErr {
				t.Fatalf("Do = %v, want %v", err, tt.wantErr)
			}
			if err == nil && tg.Addr() != good {
				t.Errorf("Do went to %s, want %s", tg.Addr(), good)
			}
		})
	}
}

var errOdd = &oddError{}

type oddError struct{}

func (*oddError) Error() string { return "odd transport: connection closed when write" }

// oddConn fails every write with errOdd.
type oddConn struct{ net.Conn }

func (oddConn) Write([]byte) (int, error) { return 0, errOdd }
