package pool

import (
	"errors"
	"net"
	"syscall"
	"time"
)

// peekIdleAfter is how long a connection must have gone without a new
// request before the next one checks it. Upstreams close idle keep-alive
// connections after seconds, so a connection reused sooner is alive for
// all practical purposes, and busy connections skip the extra syscall.
const peekIdleAfter = 250 * time.Millisecond

// errStale is what a checked connection returns when, just before a
// request is written, it finds that the upstream already closed it while
// it sat idle. Nothing was written, so a retry is safe for any method.
var errStale = errors.New("pool: idle connection closed by upstream")

// checkedConn wraps a pooled TCP connection so that a request is not
// written to a connection the upstream has already closed. The exchange
// sets the write deadline once before writing each request; on a
// connection whose last request started at least idleAfter ago, that
// call first peeks at the socket without blocking. A FIN (or stray bytes,
// or an error) there means the upstream is gone.
//
// Without this check the request goes into the dead socket, which shows
// the close only when the response is read, when nobody can tell whether
// the upstream acted on the request; a POST would then get a 502.
type checkedConn struct {
	net.Conn
	raw       syscall.RawConn
	idleAfter time.Duration
	used      bool
	// lastStart is when the previous request began (unix nano).
	lastStart int64
	// peekFn is c.peek bound once, so a check builds no closure.
	peekFn func(fd uintptr) bool
	// ran and closed are the result of the last peek.
	ran, closed bool
	buf         [1]byte
}

// checkConn wraps c when the platform can peek at its socket, and
// returns c unchanged otherwise (for example for a netpoll connection).
// Requests after an idle time of at least idleAfter check the socket.
func checkConn(c net.Conn, idleAfter time.Duration) net.Conn {
	if !canPeek {
		return c
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	cc := &checkedConn{Conn: c, raw: raw, idleAfter: idleAfter}
	cc.peekFn = cc.peek
	return cc
}

// SetWriteDeadline checks a reused, idle connection before passing the
// deadline on; the exchange calls it before writing each request.
func (c *checkedConn) SetWriteDeadline(t time.Time) error {
	now := time.Now().UnixNano()
	check := c.used && now-c.lastStart >= int64(c.idleAfter)
	c.used, c.lastStart = true, now
	if check && c.peerClosed() {
		return errStale
	}
	return c.Conn.SetWriteDeadline(t)
}

// peerClosed reports whether the upstream has closed the connection or
// sent something unasked. When the peek cannot run (a read deadline from
// the previous request has passed, say) the answer is no: the request
// then goes out as it would without the check.
func (c *checkedConn) peerClosed() bool {
	c.ran, c.closed = false, false
	if err := c.raw.Read(c.peekFn); err != nil || !c.ran {
		return false
	}
	return c.closed
}
