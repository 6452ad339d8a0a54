package pool

import (
	"bufio"
	"io"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// bodyStream is a response body read straight from the upstream
// connection, handed to the caller as the response's body stream when
// the upstream streams (Config.StreamResponseBody) and the body is large
// or of unknown length. It owns the connection and its reader until
// Close, which gives both back to the target's pool when the body was
// read to its end and the connection may serve another request, and
// closes the connection otherwise.
//
// Each Read that has to wait for the network first moves the read
// deadline to now plus the idle timeout, so a long download keeps going
// while a stalled one ends with ErrTimeout.
//
// Read and Close must not run concurrently, and neither may be called
// after Close: the object goes back to a pool. The fasthttp server and
// Response.CloseBodyStream both respect that.
type bodyStream struct {
	t *Target
	// cc is the HostClient's connection handle (*fasthttp.clientConn,
	// which cannot be named here); conn is its net.Conn.
	cc   any
	conn net.Conn
	br   *bufio.Reader
	// idle is the longest wait for body bytes; 0 means no deadline.
	idle time.Duration
	// keep reports whether the connection may serve another request
	// once the body is complete (no Connection: close on either side).
	keep bool

	mode streamMode
	// left is what remains of the body (fixed) or of the current chunk.
	left int64
	// state and trailer are the chunked decoder's (see chunked.go).
	state   chunkState
	trailer int
	// done reports whether the body was read to its end.
	done bool
	// err is the first read error as a package sentinel; it sticks.
	err error
}

// streamMode is how the end of a streamed body is found (RFC 9112
// section 6.3).
type streamMode uint8

const (
	// modeFixed reads Content-Length bytes.
	modeFixed streamMode = iota
	// modeChunked decodes the chunked transfer coding.
	modeChunked
	// modeUntilClose reads until the upstream closes the connection.
	modeUntilClose
)

var bodyStreamPool sync.Pool

// acquireBodyStream takes a stream from the pool, bound to connection
// cc of t; release it with releaseBodyStream (Close does).
func acquireBodyStream(t *Target, cc any, conn net.Conn, br *bufio.Reader,
	idle time.Duration, keep bool) *bodyStream {
	s, _ := bodyStreamPool.Get().(*bodyStream)
	if s == nil {
		s = &bodyStream{}
	}
	*s = bodyStream{t: t, cc: cc, conn: conn, br: br, idle: idle, keep: keep}
	return s
}

// releaseBodyStream clears s, so the pool holds no connection, and puts
// it back.
func releaseBodyStream(s *bodyStream) {
	*s = bodyStream{}
	bodyStreamPool.Put(s)
}

// start sets the framing from the response's Content-Length as fasthttp
// reports it: n >= 0 bytes, -1 chunked, -2 until the connection closes.
func (s *bodyStream) start(n int) {
	switch {
	case n >= 0:
		s.mode, s.left, s.done = modeFixed, int64(n), n == 0
	case n == -1:
		s.mode, s.state = modeChunked, chunkSize
	default:
		s.mode, s.keep = modeUntilClose, false
	}
}

// size returns the body size for Response.SetBodyStream: the length if
// known, -1 otherwise (the gateway then sends the body chunked).
func (s *bodyStream) size() int {
	if s.mode == modeFixed {
		return int(s.left)
	}
	return -1
}

// Read reads body bytes into p. It returns io.EOF at the end of the body
// and ErrClosed, ErrTimeout or ErrBadResponse when the upstream cut it
// short, stalled or broke the framing; such a failure counts toward the
// target's ejection.
func (s *bodyStream) Read(p []byte) (int, error) {
	switch {
	case s.err != nil:
		return 0, s.err
	case s.done:
		return 0, io.EOF
	case len(p) == 0:
		return 0, nil
	}
	var (
		n   int
		err error
	)
	switch s.mode {
	case modeFixed:
		n, err = s.readFixed(p)
	case modeChunked:
		n, err = s.readChunked(p)
	default:
		n, err = s.readUntilClose(p)
	}
	if err != nil && err != io.EOF {
		err = s.fail(err)
	}
	return n, err
}

// readFixed reads from a body of known length.
func (s *bodyStream) readFixed(p []byte) (int, error) {
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	if s.br.Buffered() == 0 {
		s.refresh()
	}
	n, err := s.br.Read(p)
	s.left -= int64(n)
	if s.left == 0 {
		s.done = true
		return n, nil
	}
	return n, unexpected(err)
}

// readUntilClose reads from a body that ends when the upstream closes.
func (s *bodyStream) readUntilClose(p []byte) (int, error) {
	if s.br.Buffered() == 0 {
		s.refresh()
	}
	n, err := s.br.Read(p)
	if err != nil && err != io.EOF && s.t.up.set.IsEOF != nil && s.t.up.set.IsEOF(err) {
		err = io.EOF
	}
	if err == io.EOF {
		s.done = true
	}
	return n, err
}

// refresh moves the read deadline to now plus the idle timeout. Callers
// run it only before a read that may wait for the network: setting a
// deadline costs a runtime timer update.
func (s *bodyStream) refresh() {
	if s.idle > 0 {
		_ = s.conn.SetReadDeadline(time.Now().Add(s.idle))
	}
}

// fail turns a read error into the package's sentinel, keeps it for
// later calls and records the failure against the target.
func (s *bodyStream) fail(err error) error {
	e := classify(err, s.t.up.set.Classify)
	s.err = e
	s.t.failed()
	return e
}

// Close ends the body. A body read to its end gives the connection back
// to the target's pool, unless either side asked for Connection: close,
// the upstream sent bytes past the body or the upstream was closed;
// otherwise the connection is closed, so an unread rest can never be
// taken for the next response. Close always returns nil.
//
// TODO: an unread rest is never drained, however short; a client that
// hangs up near the end of a download costs the upstream a connection
// and the next request a fresh connect.
func (s *bodyStream) Close() error {
	t := s.t
	if t == nil {
		return nil
	}
	if s.mode == modeChunked && !s.done && s.err == nil {
		// The caller may stop after the last data byte, with the final
		// chunk and trailers already buffered: take them if so.
		_ = s.settle()
	}
	hc := t.hc
	keep := s.done && s.keep && s.err == nil && s.br.Buffered() == 0 && !t.up.closed.Load()
	hc.ReleaseReader(s.br)
	if keep {
		withConn((*fasthttp.HostClient).ReleaseConn, hc, s.cc)
	} else {
		withConn((*fasthttp.HostClient).CloseConn, hc, s.cc)
	}
	t.outstanding.Add(-1)
	releaseBodyStream(s)
	return nil
}

// unexpected turns io.EOF inside a body into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
