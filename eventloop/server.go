package eventloop

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudwego/netpoll"
	"github.com/valyala/fasthttp"
)

// ErrClosed is returned by Serve when Shutdown ran before it.
var ErrClosed = errors.New("eventloop: server closed")

// Server serves HTTP/1.1 on netpoll's event loop. Build one with New. Serve
// may be called once; Shutdown may be called from any goroutine.
type Server struct {
	handler  fasthttp.RequestHandler
	cfg      Config
	maxBody  int    // cfg.MaxBodyBytes as fasthttp wants it
	name     []byte // cfg.ServerName, ready for SetServerBytes
	el       netpoll.EventLoop
	flog     fasthttp.Logger
	stopping atomic.Bool   // set by Shutdown; answers then carry Connection: close
	serving  atomic.Bool   // set while Serve runs
	served   chan struct{} // closed when Serve returns
	open     atomic.Int64  // connections accepted and not yet closed

	readers sync.Pool // *bufio.Reader of cfg.MaxHeaderBytes
	writers sync.Pool // *bufio.Writer of defaultWriteBufferBytes
	ctxs    sync.Pool // *fasthttp.RequestCtx
	scratch sync.Pool // *[scratchBytes]byte for draining streamed bodies
}

// New returns a Server that runs h for every request. It fails where
// netpoll has no poller (see Supported), with GOMAXPROCS=1 unless
// cfg.AllowSingleProc is set, and on an invalid cfg.
func New(h fasthttp.RequestHandler, cfg Config) (*Server, error) {
	if err := Supported(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("eventloop: nil handler")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkProcs(cfg); err != nil {
		return nil, err
	}

	s := &Server{handler: h, cfg: cfg, name: []byte(cfg.ServerName),
		served: make(chan struct{})}
	s.maxBody = math.MaxInt
	if cfg.MaxBodyBytes < math.MaxInt {
		s.maxBody = int(cfg.MaxBodyBytes)
	}
	s.flog = printfLogger{cfg.Logger}

	opts := []netpoll.Option{netpoll.WithOnPrepare(s.onPrepare)}
	if cfg.MaxConnections > 0 {
		// Only a rejected connection needs work before its first byte,
		// so the per-connection OnConnect task runs only with a cap.
		opts = append(opts, netpoll.WithOnConnect(s.onConnect))
	}
	// netpoll logs to stderr by itself, mostly peer resets; those are not
	// worth more than Debug (they are counted per request elsewhere). Its
	// log output is one unsynchronised variable, so it is set only once.
	netpollLogOnce.Do(func() { setNetpollLog(logWriter{cfg.Logger}) })

	s.el, err = netpoll.NewEventLoop(s.onRequest, opts...)
	if err != nil {
		return nil, fmt.Errorf("eventloop: create event loop: %w", err)
	}
	return s, nil
}

// Serve accepts connections on ln until Shutdown, then returns nil. ln must
// be a TCP or Unix listener from package net (netpoll takes over its file
// descriptor); TLS listeners are not supported (ErrTLS). Serve runs once:
// a second call, or one after Shutdown, returns ErrClosed.
func (s *Server) Serve(ln net.Listener) error {
	// Mark serving before checking stopping: Shutdown sets stopping before
	// it looks at serving, so one of the two always sees the other.
	if !s.serving.CompareAndSwap(false, true) {
		return ErrClosed
	}
	defer close(s.served)
	if s.stopping.Load() {
		return ErrClosed
	}
	s.cfg.Logger.LogAttrs(context.Background(), slog.LevelInfo, "eventloop serving",
		slog.String(keyAddr, ln.Addr().String()))
	if err := s.el.Serve(ln); err != nil {
		return fmt.Errorf("eventloop: serve %s: %w", ln.Addr(), err)
	}
	return nil
}

// Shutdown stops accepting, closes idle connections, and waits until every
// in-flight request has been answered (with Connection: close) or ctx ends,
// whichever is first. It returns ctx.Err() when ctx ended first; requests
// still running then are left to finish, as netpoll does not force their
// connections closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopping.Store(true)
	err := s.shutdownLoop(ctx)
	s.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "eventloop shut down",
		slog.Int64(keyOpen, s.open.Load()))
	return err
}

// shutdownLoop shuts the event loop down until Serve has returned. netpoll
// ignores a Shutdown that comes before its Serve has registered the
// listener, so one that races a starting Serve is repeated.
func (s *Server) shutdownLoop(ctx context.Context) error {
	for {
		if err := s.el.Shutdown(ctx); err != nil || !s.serving.Load() {
			return err
		}
		select {
		case <-s.served:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(shutdownRetry):
		}
	}
}

// shutdownRetry is how often shutdownLoop repeats netpoll's Shutdown.
const shutdownRetry = 10 * time.Millisecond

// OpenConnections returns the number of client connections currently open.
func (s *Server) OpenConnections() int64 { return s.open.Load() }

// onPrepare runs on the poller for each accepted connection, before it is
// registered for reads. It creates the connection's state, counts it
// against MaxConnections and arms the idle timer.
func (s *Server) onPrepare(nc netpoll.Connection) context.Context {
	c := newConn(s, nc)
	n := s.open.Add(1)
	_ = nc.AddCloseCallback(c.onClose)
	if s.cfg.WriteTimeout > 0 {
		_ = nc.SetWriteTimeout(s.cfg.WriteTimeout)
	}

	if s.cfg.MaxConnections > 0 && n > int64(s.cfg.MaxConnections) {
		c.state.Store(connRejected)
		return c
	}
	// A new connection gets ReadTimeout for its first byte, as with
	// fasthttp.Server; IdleTimeout applies between requests.
	if first := s.firstByteTimeout(); first > 0 {
		c.idle = newIdleTimer(first, c.onIdle)
	}
	return c
}

// firstByteTimeout is how long a new connection may stay silent.
func (s *Server) firstByteTimeout() time.Duration {
	if s.cfg.ReadTimeout > 0 {
		return s.cfg.ReadTimeout
	}
	return s.cfg.IdleTimeout
}

// onConnect answers a connection over MaxConnections with 503 and closes
// it, as fasthttp.Server does over its Concurrency. Others pass through.
func (s *Server) onConnect(ctx context.Context, nc netpoll.Connection) context.Context {
	c, ok := ctx.(*conn)
	if !ok || c.state.Load() != connRejected {
		return ctx
	}
	bw := s.acquireWriter(nc)
	resp := fasthttp.AcquireResponse()
	resp.SetStatusCode(fasthttp.StatusServiceUnavailable)
	resp.SetBodyString("The connection cannot be served because the connection limit was reached")
	resp.SetConnectionClose()
	if len(s.name) > 0 {
		resp.Header.SetServerBytes(s.name)
	}
	if resp.Write(bw) == nil {
		_ = bw.Flush()
	}
	fasthttp.ReleaseResponse(resp)
	s.releaseWriter(bw)
	_ = nc.Close()
	return ctx
}

// onRequest is netpoll's OnRequest: it runs on a pooled goroutine when the
// connection has input, at most once at a time per connection.
//
// TODO: avoid netpoll's two allocations per wakeup (its task closure and
// the task pool's worker start) once netpoll can run a handler without
// them; until then each keep-alive round trip allocates about 50 bytes
// outside this package, which BenchmarkKeepAlive shows.
func (s *Server) onRequest(ctx context.Context, nc netpoll.Connection) error {
	c, ok := ctx.(*conn)
	if !ok {
		panic("BUG: eventloop: connection context is not *conn")
	}
	if !c.state.CompareAndSwap(connIdle, connBusy) {
		// Rejected, or closed by the idle timer: netpoll wants the
		// input drained or the connection closed.
		_ = nc.Close()
		return nil
	}
	defer s.recoverPanic(c)

	if !s.serve(c) {
		c.state.Store(connClosed)
		_ = nc.Close()
		return nil
	}

	// Arm the idle timer before publishing the idle state, so the
	// timer never sees an idle connection with a stale deadline.
	if c.idle != nil {
		c.idle.Reset(s.cfg.IdleTimeout)
	}
	c.state.Store(connIdle)
	return nil
}

// recoverPanic, deferred by onRequest, turns a handler panic into a closed
// connection and one Error record, instead of netpoll's task pool logging
// it to stderr. The buffers the loop had borrowed are left to the GC.
func (s *Server) recoverPanic(c *conn) {
	r := recover()
	if r == nil {
		return
	}
	c.state.Store(connClosed)
	_ = c.nc.Close()
	s.cfg.Logger.LogAttrs(context.Background(), slog.LevelError, "eventloop handler panicked",
		slog.Any(keyPanic, r), slog.String(keyStack, string(debug.Stack())))
}

// acquireReader returns a pooled reader over r; pair with releaseReader.
func (s *Server) acquireReader(r io.Reader) *bufio.Reader {
	if v := s.readers.Get(); v != nil {
		br := v.(*bufio.Reader)
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, s.cfg.MaxHeaderBytes)
}

// releaseReader drops br's reference to its connection and pools it.
func (s *Server) releaseReader(br *bufio.Reader) {
	br.Reset(nil)
	s.readers.Put(br)
}

// acquireWriter returns a pooled writer over w; pair with releaseWriter.
func (s *Server) acquireWriter(w io.Writer) *bufio.Writer {
	if v := s.writers.Get(); v != nil {
		bw := v.(*bufio.Writer)
		bw.Reset(w)
		return bw
	}
	return bufio.NewWriterSize(w, defaultWriteBufferBytes)
}

// releaseWriter drops bw's reference to its connection and pools it.
func (s *Server) releaseWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	s.writers.Put(bw)
}

// acquireCtx returns a pooled RequestCtx bound to nc; pair with releaseCtx.
func (s *Server) acquireCtx(nc netpoll.Connection) *fasthttp.RequestCtx {
	rc, _ := s.ctxs.Get().(*fasthttp.RequestCtx)
	if rc == nil {
		rc = new(fasthttp.RequestCtx)
	}
	rc.Init2(nc, s.flog, false)
	return rc
}

// releaseCtx resets rc and pools it.
func (s *Server) releaseCtx(rc *fasthttp.RequestCtx) {
	rc.Request.Reset()
	rc.Response.Reset()
	rc.ResetUserValues()
	s.ctxs.Put(rc)
}

// scratchBytes is the size of the buffer drainBody reads into.
const scratchBytes = 4 << 10

// acquireScratch returns a pooled scratch buffer; pair with
// releaseScratch.
func (s *Server) acquireScratch() *[scratchBytes]byte {
	if b, ok := s.scratch.Get().(*[scratchBytes]byte); ok {
		return b
	}
	return new([scratchBytes]byte)
}

// releaseScratch pools b.
func (s *Server) releaseScratch(b *[scratchBytes]byte) { s.scratch.Put(b) }

// printfLogger adapts the Server's slog.Logger to fasthttp.Logger, which a
// handler reaches through RequestCtx.Logger.
type printfLogger struct{ l *slog.Logger }

// Printf logs the formatted message at Warn.
func (p printfLogger) Printf(format string, args ...any) {
	p.l.LogAttrs(context.Background(), slog.LevelWarn, fmt.Sprintf(format, args...))
}

// netpollLogOnce guards netpoll's process-wide log output.
var netpollLogOnce sync.Once

// logWriter turns netpoll's log lines into Debug records.
type logWriter struct{ l *slog.Logger }

// Write logs p, one line from netpoll's log.Logger, at Debug.
func (w logWriter) Write(p []byte) (int, error) {
	ctx := context.Background()
	if w.l.Enabled(ctx, slog.LevelDebug) {
		w.l.LogAttrs(ctx, slog.LevelDebug, "netpoll", slog.String(keyLine, string(p)))
	}
	return len(p), nil
}

// Log keys used by the Server.
const (
	keyAddr  = "addr"
	keyOpen  = "open_connections"
	keyLine  = "line"
	keyPanic = "panic"
	keyStack = "stack"
)
