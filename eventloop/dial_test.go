package eventloop_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/cloudwego/netpoll"
	"github.com/valyala/fasthttp"

	"github.com/portico-gw/portico/eventloop"
)

// TestDialFuncServesHostClient checks that fasthttp's HostClient works over
// netpoll connections, through the event-loop server as upstream.
func TestDialFuncServesHostClient(t *testing.T) {
	addr, _ := startEventLoop(t, echo, baseConfig())
	hc := &fasthttp.HostClient{
		Addr:        addr,
		Dial:        eventloop.NewDialFunc(time.Second),
		ReadTimeout: ioTimeout,
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	for i := range 3 {
		req.SetRequestURI("http://" + addr + "/up")
		if err := hc.Do(req, resp); err != nil {
			t.Fatalf("request %d: Do() = %v", i, err)
		}
		if got := string(resp.Body()); got != "GET /up 0" {
			t.Fatalf("request %d: body = %q, want %q", i, got, "GET /up 0")
		}
	}
}

// TestClassify covers netpoll's error values, wrapped and bare, and the
// errors a real netpoll connection returns.
func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "nil", err: nil, want: 0},
		{name: "io.EOF is left to the caller", err: io.EOF, want: 0},
		{name: "plain errno", err: fmt.Errorf("dial: %w", net.ErrClosed), want: 0},
		{name: "ErrEOF", err: netpoll.ErrEOF, want: http.StatusBadGateway},
		{name: "peer close exception", err: netpoll.Exception(netpoll.ErrEOF, "peer close"),
			want: http.StatusBadGateway},
		{name: "closed when write", err: netpoll.Exception(netpoll.ErrConnClosed, "when write"),
			want: http.StatusBadGateway},
		{name: "read timeout", err: netpoll.Exception(netpoll.ErrReadTimeout, "1.2.3.4:5"),
			want: http.StatusGatewayTimeout},
		{name: "wrapped write timeout",
			err:  fmt.Errorf("upstream: %w", netpoll.Exception(netpoll.ErrWriteTimeout, "")),
			want: http.StatusGatewayTimeout},
		{name: "dial timeout", err: netpoll.ErrDialTimeout, want: http.StatusGatewayTimeout},
		{name: "real peer close", err: peerCloseError(t), want: http.StatusBadGateway},
		{name: "real read timeout", err: readTimeoutError(t), want: http.StatusGatewayTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eventloop.Classify(tt.err); got != tt.want {
				t.Fatalf("Classify(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

// peerCloseError returns what reading a netpoll connection gives after the
// peer closed it.
func peerCloseError(t *testing.T) error {
	t.Helper()
	c := dialAccepted(t, func(peer net.Conn) { _ = peer.Close() })
	_ = c.SetReadDeadline(time.Now().Add(ioTimeout))
	_, err := c.Read(make([]byte, 1))
	if err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("read after peer close = %v, want a netpoll error", err)
	}
	return err
}

// readTimeoutError returns what reading a netpoll connection gives when
// its deadline passes.
func readTimeoutError(t *testing.T) error {
	t.Helper()
	c := dialAccepted(t, func(net.Conn) {})
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	if err == nil {
		t.Fatalf("read past deadline = nil, want a timeout")
	}
	return err
}

// dialAccepted dials a loopback listener with DialTimeout and hands the
// accepted side to peer.
func dialAccepted(t *testing.T, peer func(net.Conn)) net.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	c, err := eventloop.DialTimeout(ln.Addr().String(), time.Second)
	if err != nil {
		t.Fatalf("DialTimeout() = %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	p, ok := <-accepted
	if !ok {
		t.Fatalf("accept failed")
	}
	t.Cleanup(func() { _ = p.Close() })
	peer(p)
	return c
}

// TestNewRejects covers configurations New must refuse.
func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  eventloop.Config
	}{
		{name: "tiny header limit", cfg: eventloop.Config{MaxHeaderBytes: 10}},
		{name: "negative body limit", cfg: eventloop.Config{MaxBodyBytes: -1}},
		{name: "negative connection cap", cfg: eventloop.Config{MaxConnections: -1}},
		{name: "negative timeout", cfg: eventloop.Config{ReadTimeout: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := eventloop.New(echo, tt.cfg); err == nil {
				t.Fatalf("New(%+v) = nil error, want one", tt.cfg)
			}
		})
	}
	if err := eventloop.Supported(); err != nil {
		t.Fatalf("Supported() = %v on a platform the tests run on", err)
	}
}

// TestServeAfterShutdown checks that a Server shut down before Serve
// refuses to serve instead of blocking.
func TestServeAfterShutdown(t *testing.T) {
	s, err := eventloop.New(echo, eventloop.Config{})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown() = %v, want nil", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	if err := s.Serve(ln); !errors.Is(err, eventloop.ErrClosed) {
		t.Fatalf("Serve() after Shutdown = %v, want ErrClosed", err)
	}
}

// TestShutdownRacesServe checks that a Shutdown issued while Serve is
// still starting stops it.
func TestShutdownRacesServe(t *testing.T) {
	for i := range 20 {
		s, err := eventloop.New(echo, eventloop.Config{})
		if err != nil {
			t.Fatalf("New() = %v", err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		done := make(chan error, 1)
		go func() { done <- s.Serve(ln) }()
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		if err := s.Shutdown(ctx); err != nil {
			t.Fatalf("round %d: Shutdown() = %v", i, err)
		}
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, eventloop.ErrClosed) {
				t.Fatalf("round %d: Serve() = %v", i, err)
			}
		case <-ctx.Done():
			t.Fatalf("round %d: Serve still running after Shutdown", i)
		}
		cancel()
		_ = ln.Close()
	}
}
