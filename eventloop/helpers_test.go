package eventloop_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gw/portico/eventloop"
)

// ioTimeout bounds every read and write a test does on a connection.
const ioTimeout = 5 * time.Second

// server is what a test needs from either transport.
type server interface {
	Shutdown(ctx context.Context) error
}

// transport starts a server for h on 127.0.0.1:0 and returns its address.
type transport struct {
	name  string
	start func(t testing.TB, h fasthttp.RequestHandler, cfg eventloop.Config) (string, server)
}

// transports are the two transports every behaviour test runs on.
var transports = []transport{
	{name: "eventloop", start: startEventLoop},
	{name: "standard", start: startStandard},
}

// startEventLoop serves h with an eventloop.Server until the test ends.
func startEventLoop(t testing.TB, h fasthttp.RequestHandler, cfg eventloop.Config,
) (string, server) {
	t.Helper()
	s, err := eventloop.New(h, cfg)
	if err != nil {
		t.Fatalf("New() = %v, want nil", err)
	}
	return serveOn(t, s.Serve, s), s
}

// startStandard serves h with the fasthttp.Server the standard transport
// builds from the same settings.
func startStandard(t testing.TB, h fasthttp.RequestHandler, cfg eventloop.Config,
) (string, server) {
	t.Helper()
	s := &fasthttp.Server{
		Handler:               h,
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		ReadBufferSize:        cfg.MaxHeaderBytes,
		MaxRequestBodySize:    int(cfg.MaxBodyBytes),
		Concurrency:           cfg.MaxConnections,
		Name:                  cfg.ServerName,
		NoDefaultServerHeader: cfg.ServerName == "",
		ErrorHandler:          eventloop.ErrorHandler,
		CloseOnShutdown:       true,
		StreamRequestBody:     cfg.StreamRequestBody,
		Logger:                discardLogger{},
	}
	return serveOn(t, s.Serve, stdServer{s}), stdServer{s}
}

// discardLogger drops fasthttp's log lines.
type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// stdServer gives fasthttp.Server the Shutdown(ctx) signature.
type stdServer struct{ s *fasthttp.Server }

func (s stdServer) Shutdown(ctx context.Context) error { return s.s.ShutdownWithContext(ctx) }

// serveOn runs serve on a fresh loopback listener and stops it when the
// test ends, failing the test if serve returns an error.
func serveOn(t testing.TB, serve func(net.Listener) error, s server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		_ = s.Shutdown(ctx)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve() = %v, want nil", err)
			}
		case <-ctx.Done():
			t.Errorf("Serve did not return after Shutdown")
		}
	})
	return ln.Addr().String()
}

// client is one raw connection with a reader for responses.
type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

// dial opens a connection to addr with a deadline on all its I/O.
func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	return &client{t: t, c: c, br: bufio.NewReader(c)}
}

// send writes raw request bytes.
func (cl *client) send(raw string) {
	cl.t.Helper()
	if _, err := io.WriteString(cl.c, raw); err != nil {
		cl.t.Fatalf("write: %v", err)
	}
}

// response reads one response; the body is read in full.
func (cl *client) response() *fasthttp.Response {
	cl.t.Helper()
	resp := new(fasthttp.Response)
	if err := resp.Read(cl.br); err != nil {
		cl.t.Fatalf("read response: %v", err)
	}
	return resp
}

// expectClosed fails unless the server closes the connection (EOF or
// reset) before the deadline, without sending anything more.
func (cl *client) expectClosed(within time.Duration) {
	cl.t.Helper()
	_ = cl.c.SetReadDeadline(time.Now().Add(within))
	b, err := cl.br.ReadByte()
	var ne net.Error
	switch {
	case err == nil:
		cl.t.Fatalf("read after close = %q, want EOF", b)
	case errors.As(err, &ne) && ne.Timeout():
		cl.t.Fatalf("connection still open after %v", within)
	}
}

// expectStatus fails unless resp has the status code want.
func expectStatus(t *testing.T, resp *fasthttp.Response, want int) {
	t.Helper()
	if got := resp.StatusCode(); got != want {
		t.Fatalf("status = %d, want %d (body %q)", got, want, resp.Body())
	}
}

// get is a minimal HTTP/1.1 GET for path.
func get(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n"
}

// post is an HTTP/1.1 POST of body to path.
func post(path, body string) string {
	return "POST " + path + " HTTP/1.1\r\nHost: test\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body
}
