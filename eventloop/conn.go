package eventloop

import (
	"bufio"
	"context"
	"io"
	"sync/atomic"
	"time"

	"github.com/cloudwego/netpoll"
	"github.com/valyala/fasthttp"
)

// States of a conn. The request loop moves idle→busy→idle; the idle timer
// moves idle→closed; onPrepare starts a connection over the cap in
// rejected. Only the CAS from idle decides who owns the connection, so the
// idle timer can never close a connection in the middle of a request.
const (
	connIdle int32 = iota
	connBusy
	connClosed
	connRejected
)

// conn is the Server's state for one client connection, from accept to
// close. It is netpoll's per-connection context as well, so the request
// loop finds it with a type assertion. While the connection is idle this
// struct and its timer are all the Server holds: parser and writer buffers
// are borrowed from pools only while requests are being answered.
type conn struct {
	context.Context // context.Background; netpoll wants a Context

	s     *Server
	nc    netpoll.Connection
	state atomic.Int32 // one of the conn* states above
	idle  *time.Timer  // closes the connection when idle; nil without IdleTimeout
}

// newIdleTimer returns a running timer that calls f after d.
func newIdleTimer(d time.Duration, f func()) *time.Timer {
	return time.AfterFunc(d, f)
}

// onIdle runs when the idle timer fires; it closes the connection unless a
// request claimed it first.
func (c *conn) onIdle() {
	if c.state.CompareAndSwap(connIdle, connClosed) {
		_ = c.nc.Close()
	}
}

// onClose is the connection's close callback.
func (c *conn) onClose(netpoll.Connection) error {
	c.state.Store(connClosed)
	if c.idle != nil {
		c.idle.Stop()
	}
	c.s.open.Add(-1)
	return nil
}

// serve answers the requests buffered on nc until its input is drained,
// with pooled parser state. It reports whether nc stays open.
func (s *Server) serve(nc netpoll.Connection) bool {
	br := s.acquireReader(nc)
	bw := s.acquireWriter(nc)
	rc := s.acquireCtx(nc)
	keep := s.loop(nc, br, bw, rc)
	s.releaseCtx(rc)
	s.releaseWriter(bw)
	s.releaseReader(br)
	return keep
}

// loop is the request loop of one connection. Each turn reads one request
// (answering 100-continue on the way), runs the handler and buffers the
// response. Exits:
//   - input drained: flush the buffered responses and keep the connection;
//   - a request or the handler asked for Connection: close, or Shutdown
//     began: flush and close;
//   - a read error: answer 4xx when the peer is still there, then close;
//   - a write error: close.
//
// Pipelined requests stay in br or in netpoll's buffer and are answered in
// the next turn, their responses flushed together.
func (s *Server) loop(nc netpoll.Connection, br *bufio.Reader, bw *bufio.Writer,
	rc *fasthttp.RequestCtx,
) bool {
	for {
		if err := s.readRequest(nc, br, bw, rc); err != nil {
			s.writeError(nc, bw, rc, err)
			return false
		}

		closeConn := s.handle(rc)
		if rc.Response.Write(bw) != nil {
			return false
		}
		rc.Request.Reset()
		rc.Response.Reset()
		rc.ResetUserValues()

		if closeConn {
			_ = bw.Flush()
			return false
		}
		if br.Buffered() == 0 && nc.Reader().Len() == 0 {
			return bw.Flush() == nil
		}
	}
}

// readRequest reads one request, headers and body, into rc.Request.
func (s *Server) readRequest(nc netpoll.Connection, br *bufio.Reader, bw *bufio.Writer,
	rc *fasthttp.RequestCtx,
) error {
	// ReadTimeout runs from the first byte; the request's first byte is
	// already buffered, since the loop only reads when input is pending.
	if s.cfg.ReadTimeout > 0 {
		_ = nc.SetReadDeadline(time.Now().Add(s.cfg.ReadTimeout))
	}
	if err := rc.Request.Header.Read(br); err != nil {
		return err
	}
	if rc.Request.MayContinue() {
		if err := s.sendContinue(bw, rc); err != nil {
			return err
		}
	}
	if s.cfg.StreamRequestBody {
		return rc.Request.ContinueReadBodyStream(br, s.maxBody)
	}
	return rc.Request.ContinueReadBody(br, s.maxBody)
}

// sendContinue answers Expect: 100-continue (RFC 9110, section 10.1.1),
// refusing a declared body over the limit before the client sends it.
func (s *Server) sendContinue(bw *bufio.Writer, rc *fasthttp.RequestCtx) error {
	if cl := rc.Request.Header.ContentLength(); cl > s.maxBody && !s.cfg.StreamRequestBody {
		return fasthttp.ErrBodyTooLarge
	}
	if _, err := bw.Write(continueLine); err != nil {
		return err
	}
	return bw.Flush()
}

// continueLine is the interim response to Expect: 100-continue.
var continueLine = []byte("HTTP/1.1 100 Continue\r\n\r\n")

// keepAlive is the Connection value an HTTP/1.0 client needs to keep the
// connection (RFC 9112, appendix C.2.2).
const keepAlive = "keep-alive"

// handle runs the handler on the request in rc and prepares the response
// headers around it. It reports whether the connection closes after this
// response.
func (s *Server) handle(rc *fasthttp.RequestCtx) bool {
	// The handler may rewrite the request's Connection header (a proxy
	// strips hop-by-hop headers), so read what the client asked first.
	closeConn := rc.Request.Header.ConnectionClose()
	http11 := rc.Request.Header.IsHTTP11()
	head := rc.IsHead()

	s.handler(rc)
	if rc.Request.IsBodyStream() && !s.drainBody(rc) {
		closeConn = true
	}

	// A hijack cannot be handed over on the event loop; the handler's
	// response is sent and the connection closed instead.
	closeConn = closeConn || rc.Response.ConnectionClose() || s.stopping.Load() ||
		rc.Hijacked()
	if head {
		rc.Response.SkipBody = true
	}
	if len(s.name) > 0 && len(rc.Response.Header.Server()) == 0 {
		rc.Response.Header.SetServerBytes(s.name)
	}
	switch {
	case closeConn:
		rc.Response.SetConnectionClose()
	case !http11 && rc.Response.IsBodyStream():
		// TODO: send an HTTP/1.0 stream unframed instead of closing; an
		// HTTP/1.0 client streaming many responses reconnects each time.
		closeConn = true
		rc.Response.SetConnectionClose()
	case !http11:
		rc.Response.Header.Set(fasthttp.HeaderConnection, keepAlive)
	}
	return closeConn
}

// maxDrainBytes is how much of a streamed request body the Server reads
// and discards after the handler, to keep the connection for the next
// request. A longer rest closes the connection instead.
const maxDrainBytes = 64 << 10

// drainBody discards what the handler left of a streamed request body. It
// reports whether the body ended within maxDrainBytes, so that the next
// request on the connection can be parsed.
//
// TODO: drain after writing the response, as fasthttp.Server does; a
// response stream that reads the request body sees it drained already.
func (s *Server) drainBody(rc *fasthttp.RequestCtx) bool {
	buf := s.acquireScratch()
	defer s.releaseScratch(buf)
	r := rc.Request.BodyStream()
	for left := maxDrainBytes; left > 0; {
		n, err := r.Read(buf[:])
		left -= n
		if err == io.EOF {
			_ = rc.Request.CloseBodyStream()
			return true
		}
		if err != nil {
			break
		}
	}
	_ = rc.Request.CloseBodyStream()
	return false
}

// writeError answers a request that could not be read, unless the peer is
// already gone, and leaves the connection to be closed.
func (s *Server) writeError(nc netpoll.Connection, bw *bufio.Writer, rc *fasthttp.RequestCtx,
	err error,
) {
	if !nc.IsActive() || isPeerGone(err) {
		return
	}
	rc.Response.Reset()
	ErrorHandler(rc, err)
	if len(s.name) > 0 {
		rc.Response.Header.SetServerBytes(s.name)
	}
	rc.Response.SetConnectionClose()
	if rc.Response.Write(bw) == nil {
		_ = bw.Flush()
	}
}
