package pool

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// ioTimeout bounds every connection a test opens.
const ioTimeout = 5 * time.Second

// listen binds a loopback port and closes it when the test ends.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// startBackend serves h with fasthttp on a loopback port and returns its
// address.
func startBackend(t testing.TB, h fasthttp.RequestHandler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := &fasthttp.Server{Handler: h, ReadTimeout: ioTimeout, WriteTimeout: ioTimeout}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Shutdown()
		<-done
	})
	return ln.Addr().String()
}

// okBackend answers 200 "ok" to everything.
func okBackend(t testing.TB) string {
	t.Helper()
	return startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
}

// deadAddr returns an address that refuses connections: a port bound and
// closed again.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// hangingBackend accepts connections and reads requests but never
// answers. It returns the address and a channel that gets one value per
// accepted connection.
func hangingBackend(t *testing.T) (string, <-chan struct{}) {
	t.Helper()
	ln := listen(t)
	accepted := make(chan struct{}, 16)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String(), accepted
}

// staleBackend is a raw TCP upstream that answers exactly one request per
// connection with a keep-alive response and then closes the connection,
// as an upstream does when its idle timeout fires. Each close is
// reported on the returned channel.
//
// The first gather connections each wait, after reading their request,
// until all of them have one, so that a test can fill the pool with that
// many connections; later connections answer at once.
func staleBackend(t *testing.T, gather int) (string, <-chan struct{}) {
	t.Helper()
	ln := listen(t)
	closed := make(chan struct{}, 16)
	var all sync.WaitGroup
	all.Add(gather)
	go func() {
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			barrier := (*sync.WaitGroup)(nil)
			if n < gather {
				barrier = &all
			}
			go serveOnce(c, barrier, closed)
		}
	}()
	return ln.Addr().String(), closed
}

func serveOnce(c net.Conn, barrier *sync.WaitGroup, closed chan<- struct{}) {
	defer func() {
		c.Close()
		closed <- struct{}{}
	}()
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	br := bufio.NewReader(c)
	var req fasthttp.Request
	err := req.Read(br)
	if barrier != nil {
		barrier.Done()
		barrier.Wait()
	}
	if err != nil {
		return
	}
	answer := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	if req.Header.IsHead() {
		answer = answer[:len(answer)-2]
	}
	_, _ = c.Write([]byte(answer))
}

// dropSecondBackend is a raw TCP upstream that answers the first request
// on each connection and, on the second, reads it and closes without a
// reply. The method of each dropped request goes to the channel.
func dropSecondBackend(t *testing.T) (string, <-chan string) {
	t.Helper()
	ln := listen(t)
	dropped := make(chan string, 16)
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
				var req fasthttp.Request
				if req.Read(br) != nil {
					return
				}
				_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
				if req.Read(br) != nil {
					return
				}
				dropped <- string(req.Header.Method())
			}()
		}
	}()
	return ln.Addr().String(), dropped
}

// newTestUpstream builds an upstream that is closed when the test ends.
func newTestUpstream(t testing.TB, cfg Config) *Upstream {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "test"
	}
	u, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	// Tests reuse connections at once; check them every time.
	u.set.peekIdleAfter = 0
	t.Cleanup(u.Close)
	return u
}

// targets turns addresses into target configs of weight 1.
func targets(addrs ...string) []TargetConfig {
	out := make([]TargetConfig, len(addrs))
	for i, a := range addrs {
		out[i] = TargetConfig{Addr: a}
	}
	return out
}

// get builds a GET request for path with the Host a client would send.
func get(path string) *fasthttp.Request {
	req := fasthttp.AcquireRequest()
	req.SetRequestURI(path)
	req.Header.SetHost("client.example")
	return req
}

// logRecorder is a slog handler that sends each record's message to a
// channel, so tests wait for a transition instead of sleeping.
type logRecorder struct{ msgs chan string }

func newLogRecorder() *logRecorder { return &logRecorder{msgs: make(chan string, 256)} }

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	select {
	case r.msgs <- rec.Message:
	default:
	}
	return nil
}

// wait blocks until msg is logged or the timeout passes.
func (r *logRecorder) wait(t *testing.T, msg string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m := <-r.msgs:
			if m == msg {
				return
			}
		case <-deadline:
			t.Fatalf("no %q log within %v", msg, timeout)
		}
	}
}

// errIs reports whether got matches want, for failure messages.
func errIs(got, want error) bool { return errors.Is(got, want) }
