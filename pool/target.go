package pool

import (
	"net"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Target is one upstream server and its connection pool. Its methods are
// safe for concurrent use.
type Target struct {
	addr   string
	weight int
	// bit is 1<<index, used to skip targets already tried by one request.
	// TODO: targets past the 64th get 0 and cannot be excluded, so a retry
	// may land on the target that just failed in upstreams that large.
	bit uint64
	up  *Upstream
	hc  *fasthttp.HostClient

	// outstanding counts requests in Do right now, and streamed bodies
	// not yet closed (least_outstanding).
	outstanding atomic.Int64
	// healthy is the active health check's verdict; true without checks.
	healthy atomic.Bool
	// ejectedUntil is the unix-nano end of a passive ejection, 0 if none.
	ejectedUntil atomic.Int64
	// fails counts consecutive failed requests for passive ejection.
	fails atomic.Int32
	// ejections counts back-to-back ejections, to double the time.
	ejections atomic.Int32
}

// Addr returns the target's host:port as configured.
func (t *Target) Addr() string { return t.addr }

// Weight returns the target's weight (1 if it was not configured).
func (t *Target) Weight() int { return t.weight }

// available reports whether the target may get a request: healthy and
// not ejected. It reads the clock only while an ejection is recorded.
func (t *Target) available() bool {
	if !t.healthy.Load() {
		return false
	}
	until := t.ejectedUntil.Load()
	if until == 0 {
		return true
	}
	if time.Now().UnixNano() < until {
		return false
	}
	// The ejection is over: clear it so later picks skip the clock.
	if t.ejectedUntil.CompareAndSwap(until, 0) {
		t.up.logReturned(t)
	}
	return true
}

// newHostClient builds the target's connection pool from the settings.
// Do runs the exchange itself (see exchange) on the connections, readers
// and writers the HostClient pools; the HostClient's own request methods
// are not used.
func newHostClient(s *settings, addr string,
	dial fasthttp.DialFuncWithTimeout) *fasthttp.HostClient {
	return &fasthttp.HostClient{
		Addr:                addr,
		DialTimeout:         dial,
		ConnPoolStrategy:    fasthttp.LIFO,
		MaxConns:            s.MaxConnsPerTarget,
		MaxIdleConnDuration: s.IdleTimeout,
		MaxConnWaitTimeout:  s.QueueTimeout,
		ReadBufferSize:      s.MaxResponseHeaderBytes,
		// A request's header and a typical API body leave in one
		// write(2); with fasthttp's 4 KiB default a 16 KiB POST took
		// five. Writers are pooled per request, not held per
		// connection, so idle connections do not pay for the size.
		WriteBufferSize: writeBufferBytes,
	}
}

// writeBufferBytes is the size of the buffered writer for requests.
const writeBufferBytes = 32 << 10

// Dial opens a new connection to the target with the upstream's dialer
// and connect timeout. The connection is the caller's to close; it never
// enters the pool, and its outcome does not count toward ejection. The
// error is ErrConnect or ErrConnectTimeout.
func (t *Target) Dial() (net.Conn, error) {
	c, err := t.dialRaw(t.addr, 0)
	if err != nil {
		return nil, classify(err, t.up.set.Classify)
	}
	return c, nil
}

// dial makes a pooled connection: dialRaw's, checked for an upstream
// close before each request written after an idle spell.
func (t *Target) dial(addr string, timeout time.Duration) (net.Conn, error) {
	c, err := t.dialRaw(addr, timeout)
	if err != nil {
		return nil, err
	}
	return checkConn(c, t.up.set.peekIdleAfter), nil
}

// dialRaw connects to the target within the connect timeout (or what is
// left of the request's budget, if less). Its errors are marked as
// dialError so that Do knows the request never left.
func (t *Target) dialRaw(addr string, timeout time.Duration) (net.Conn, error) {
	s := &t.up.set
	var (
		c   net.Conn
		err error
	)
	if timeout <= 0 || timeout > s.ConnectTimeout {
		timeout = s.ConnectTimeout
	}
	switch {
	case s.DialTimeout != nil:
		c, err = s.DialTimeout(addr, timeout)
	case s.Dial != nil:
		c, err = s.Dial(addr)
	default:
		c, err = fasthttp.DialTimeout(addr, timeout)
	}
	if err != nil {
		return nil, &dialError{err: err}
	}
	return c, nil
}

// succeeded records a request that got a response below 500.
func (t *Target) succeeded() {
	if t.fails.Load() != 0 {
		t.fails.Store(0)
	}
}

// failed records a connection failure or a 5xx response and ejects the
// target once the failures in a row reach the threshold.
func (t *Target) failed() {
	s := &t.up.set
	if t.fails.Add(1) < int32(s.failures) {
		return
	}
	t.up.eject(t)
}
