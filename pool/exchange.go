package pool

import (
	"bufio"
	"io"
	"net"
	"time"

	"github.com/valyala/fasthttp"
)

// bufferedBodyMax is the largest body with a known Content-Length that a
// streaming upstream still reads into the response: the connection goes
// back to the pool at once and the caller gets a plain body, which is
// cheaper than a stream for the small answers most APIs give.
const bufferedBodyMax = 64 << 10

// maxInterim caps the 1xx interim responses skipped before the final one
// (RFC 9110 section 15.2), so a misbehaving upstream cannot keep a
// request busy with an endless run of them.
const maxInterim = 8

// roundTrip runs the exchange with t once, and once more on a fresh
// connection when the first one turned out stale: found closed before
// writing (any method), or failed before the first response byte on a
// reused keep-alive connection (idempotent requests without a streamed
// body only, since the upstream may have read a request it then dropped).
func (t *Target) roundTrip(req *fasthttp.Request, resp *fasthttp.Response,
	deadline time.Time, idle time.Duration, retryClosed bool) error {
	early, reused, err := t.exchange(req, resp, deadline, idle)
	if err == nil || !staleRetry(err, early, reused, retryClosed) {
		return err
	}
	// With LIFO the other idle connections are older than the one that
	// failed, so most likely stale as well: the retry gets a fresh one.
	t.hc.CloseIdleConnections()
	_, _, err = t.exchange(req, resp, deadline, idle)
	return err
}

// staleRetry reports whether a failed exchange may run again on the same
// target: see roundTrip.
func staleRetry(err error, early, reused, retryClosed bool) bool {
	if err == errStale {
		return true
	}
	return early && reused && retryClosed && !isTimeout(err)
}

// exchange sends req on one of t's connections and reads the response
// header into resp. The body is read into resp too, unless the upstream
// streams and the body is large or of unknown length: then resp gets a
// body stream that owns the connection until it is closed.
//
// early reports a failure before any response byte arrived (a write
// error, or a close before the first byte); reused reports that the
// connection had served a request before. err is raw: the caller
// classifies it.
func (t *Target) exchange(req *fasthttp.Request, resp *fasthttp.Response,
	deadline time.Time, idle time.Duration) (early, reused bool, err error) {
	hc := t.hc
	skip := resp.SkipBody
	resp.Reset()
	resp.SkipBody = skip || req.Header.IsHead()

	timeout := time.Until(deadline)
	if timeout <= 0 {
		return false, false, ErrTimeout
	}
	cc, err := hc.AcquireConn(timeout, false)
	if err != nil {
		return false, false, err
	}
	conn := cc.Conn()
	reused = !cc.LastUseTime().IsZero()

	// Send. On a checked connection SetWriteDeadline is where a close
	// by the upstream during the idle time shows (errStale).
	if err = send(hc, conn, req, deadline); err != nil {
		hc.CloseConn(cc)
		return true, reused, err
	}

	// The response header, after any interim responses.
	br := hc.AcquireReader(conn)
	if err = conn.SetReadDeadline(deadline); err == nil {
		err = readHeader(resp, br)
	}
	if err != nil {
		hc.ReleaseReader(br)
		hc.CloseConn(cc)
		return err == io.EOF, reused, err
	}
	resp.ParseNetConn(conn)

	// The body: none, buffered, or streamed.
	keep := !req.ConnectionClose() && !resp.ConnectionClose() &&
		resp.StatusCode() != fasthttp.StatusSwitchingProtocols
	size := resp.Header.ContentLength()
	switch {
	case bodyless(resp):
	case t.up.set.StreamResponseBody && (size < 0 || size > bufferedBodyMax):
		s := acquireBodyStream(t, cc, conn, br, idle, keep)
		s.start(size)
		resp.SetBodyStream(s, s.size())
		return false, reused, nil
	default:
		if err = readBody(resp, br, size); err != nil {
			hc.ReleaseReader(br)
			hc.CloseConn(cc)
			return false, reused, err
		}
		// Read until close leaves nothing to reuse.
		keep = keep && size >= -1
	}

	// Bytes past the response mean the upstream and this side disagree
	// about framing: the connection cannot be trusted with another one.
	keep = keep && br.Buffered() == 0 && !t.up.closed.Load()
	hc.ReleaseReader(br)
	if keep {
		hc.ReleaseConn(cc)
	} else {
		hc.CloseConn(cc)
	}
	return false, reused, nil
}

// send writes req to conn within deadline.
func send(hc *fasthttp.HostClient, conn net.Conn, req *fasthttp.Request,
	deadline time.Time) error {
	if err := conn.SetWriteDeadline(deadline); err != nil {
		return err
	}
	bw := hc.AcquireWriter(conn)
	err := req.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	hc.ReleaseWriter(bw)
	return err
}

// readHeader reads the final response header from br, skipping 1xx
// interim responses other than 101 Switching Protocols. Header names stay
// as the upstream spelled them.
//
// TODO: interim responses are dropped, not relayed; clients get no 103
// Early Hints through the gateway, so browsers start preloads later.
func readHeader(resp *fasthttp.Response, br *bufio.Reader) error {
	for range maxInterim + 1 {
		resp.Header.DisableNormalizing()
		if err := resp.Header.Read(br); err != nil {
			return err
		}
		code := resp.StatusCode()
		if code >= 200 || code < 100 || code == fasthttp.StatusSwitchingProtocols {
			return nil
		}
	}
	return ErrBadResponse
}

// bodyless reports whether the response has no body on the wire: an
// answer to HEAD (RFC 9110 section 9.3.2), 101, 204 or 304 (RFC 9112
// section 6.3).
func bodyless(resp *fasthttp.Response) bool {
	code := resp.StatusCode()
	return resp.SkipBody || code < 200 || code == fasthttp.StatusNoContent ||
		code == fasthttp.StatusNotModified
}

// readBody reads the whole body into resp: size bytes, chunked (size -1,
// trailers read and dropped) or up to the close (size -2).
func readBody(resp *fasthttp.Response, br *bufio.Reader, size int) error {
	if err := resp.ReadBody(br, 0); err != nil {
		return err
	}
	if size == -1 {
		return resp.Header.ReadTrailer(br)
	}
	return nil
}

// withConn applies op, HostClient.ReleaseConn or HostClient.CloseConn as
// a method expression, to a connection held as any: fasthttp does not
// export the connection's type, so a struct cannot name it, but C is
// inferred from op. The call builds no closure and allocates nothing.
func withConn[C any](op func(*fasthttp.HostClient, C), hc *fasthttp.HostClient, cc any) {
	op(hc, cc.(C))
}
