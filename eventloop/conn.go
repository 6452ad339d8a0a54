package eventloop

import (
	"bufio"
	"bytes"
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
	r     connReader   // what the loop's bufio.Reader reads from
	w     connWriter   // what the loop's bufio.Writer writes to
	state atomic.Int32 // one of the conn* states above
	idle  *time.Timer  // closes the connection when idle; nil without IdleTimeout
}

// newConn returns the state for a new connection nc, in connIdle.
func newConn(s *Server, nc netpoll.Connection) *conn {
	c := &conn{Context: context.Background(), s: s, nc: nc}
	c.r.nc = nc
	c.w.reset(nc)
	return c
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

// serve answers the requests buffered on c until its input is drained,
// with pooled parser state. It reports whether c stays open.
func (s *Server) serve(c *conn) bool {
	br := s.acquireReader(&c.r)
	bw := s.acquireWriter(&c.w)
	rc := s.acquireCtx(c.nc)
	keep := s.loop(c.nc, br, bw, rc)
	s.releaseCtx(rc)
	s.releaseWriter(bw)
	s.releaseReader(br)
	return keep
}

// loop is the request loop of one connection. Each turn reads one request
// (answering 100-continue on the way), runs the handler and writes the
// response. Exits:
//   - input drained: keep the connection;
//   - a request or the handler asked for Connection: close, or Shutdown
//     began: close;
//   - a read error: answer 4xx unless no request had begun, then close;
//   - a write error: close.
//
// Pipelined requests stay in br or in netpoll's buffer and are answered in
// the next turn. Each response is flushed before the next request is
// read: that request may be incomplete, and its client may wait for the
// earlier answers before sending the rest.
func (s *Server) loop(nc netpoll.Connection, br *bufio.Reader, bw *bufio.Writer,
	rc *fasthttp.RequestCtx,
) bool {
	for {
		if err := s.readRequest(nc, br, bw, rc); err != nil {
			// io.EOF means the client closed before a request began
			// (blank lines only); there is nothing to answer.
			if err != io.EOF {
				s.writeError(bw, rc, err)
			}
			return false
		}

		closeConn := s.handle(rc)
		err := rc.Response.Write(bw)
		if err == nil {
			err = bw.Flush()
		}
		rc.Request.Reset()
		rc.Response.Reset()
		rc.ResetUserValues()

		if err != nil || closeConn {
			return false
		}
		if br.Buffered() == 0 && nc.Reader().Len() == 0 {
			return true
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
	if err := checkTarget(&rc.Request); err != nil {
		return err
	}
	if rc.Request.MayContinue() {
		if err := s.sendContinue(bw, rc); err != nil {
			return err
		}
	}
	if s.cfg.StreamRequestBody {
		// TODO: return the request stream to fasthttp's pool; only
		// fasthttp.Server can, so each request with a body allocates
		// one when StreamRequestBody is set.
		return rc.Request.ContinueReadBodyStream(br, s.maxBody)
	}
	return rc.Request.ContinueReadBody(br, s.maxBody)
}

// checkTarget rejects a request whose Host or target fasthttp.Server would
// answer with 400 before running the handler. fasthttp parses the URI
// lazily and keeps the error to itself, so it is parsed here once more,
// into the request's own URI, to see the error.
func checkTarget(req *fasthttp.Request) error {
	host := req.Header.Host()
	if bytes.IndexByte(host, '@') >= 0 {
		return fasthttp.ErrorInvalidURI
	}
	return req.URI().Parse(host, req.Header.RequestURI())
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

// writeError answers a request that could not be read and leaves the
// connection to be closed. A request cut short by the client's FIN gets
// 400 like any other malformed one, as with fasthttp.Server; when the
// client is gone entirely the write just fails.
func (s *Server) writeError(bw *bufio.Writer, rc *fasthttp.RequestCtx, err error) {
	rc.Response.Reset()
	if s.cfg.ErrorHandler != nil {
		s.cfg.ErrorHandler(rc, err)
	} else {
		ErrorHandler(rc, err)
	}
	if len(s.name) > 0 {
		rc.Response.Header.SetServerBytes(s.name)
	}
	rc.Response.SetConnectionClose()
	if rc.Response.Write(bw) == nil {
		_ = bw.Flush()
	}
}
