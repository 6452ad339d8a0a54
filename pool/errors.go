package pool

import (
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/valyala/fasthttp"
)

// Error is the type of the sentinel errors Do returns. Each one carries
// the HTTP status the gateway answers with. Compare with == or errors.Is.
type Error struct {
	msg     string
	status  int
	timeout bool
}

// Error returns the message.
func (e *Error) Error() string { return e.msg }

// Timeout reports whether the error is a timeout, as net.Error does.
func (e *Error) Timeout() bool { return e.timeout }

// Status returns the HTTP status the gateway answers with.
func (e *Error) Status() int { return e.status }

// The errors Do returns. The cause (a fasthttp, syscall or transport
// error) is classified once and dropped, so that the request path never
// builds an error value.
var (
	// ErrNoTarget means every target is down, ejected or already tried.
	ErrNoTarget = &Error{msg: "pool: no healthy upstream", status: http.StatusServiceUnavailable}
	// ErrPoolFull means the target's connection cap was reached and no
	// connection came free within the queue timeout.
	ErrPoolFull = &Error{msg: "pool: upstream connection limit reached",
		status: http.StatusServiceUnavailable}
	// ErrConnect means no usable connection to the target could be had
	// (refused, unreachable, or found closed before writing). The
	// request never left.
	ErrConnect = &Error{msg: "pool: upstream connect failed", status: http.StatusBadGateway}
	// ErrConnectTimeout means the connection was not made within the
	// connect timeout. It maps to 504, as nginx does for a connect timeout.
	ErrConnectTimeout = &Error{msg: "pool: upstream connect timed out",
		status: http.StatusGatewayTimeout, timeout: true}
	// ErrTimeout means the response did not arrive within the timeout.
	ErrTimeout = &Error{msg: "pool: upstream response timed out",
		status: http.StatusGatewayTimeout, timeout: true}
	// ErrClosed means the upstream closed or reset the connection before
	// the response was complete.
	ErrClosed = &Error{msg: "pool: upstream closed the connection", status: http.StatusBadGateway}
	// ErrBadResponse means the upstream's response could not be parsed or
	// was over a size limit.
	ErrBadResponse = &Error{msg: "pool: invalid upstream response", status: http.StatusBadGateway}
)

// StatusFor returns the status the gateway answers with when Do fails:
// 503 for ErrNoTarget and ErrPoolFull, 504 for timeouts (including the
// connect timeout), 502 for everything else. It accepts the raw errors
// of fasthttp and syscall too. It returns 0 for a nil error.
func StatusFor(err error) int {
	if err == nil {
		return 0
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.status
	}
	return classify(err, nil).status
}

// dialError marks an error that happened while connecting, so that Do
// can tell "the request never left" from a failure after sending.
type dialError struct{ err error }

func (e *dialError) Error() string { return "pool: dial: " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// classify maps an error from fasthttp, the dialer or the transport to
// one of the package's sentinels. hook is Config.Classify, or nil.
func classify(err error, hook func(error) int) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	if de, ok := err.(*dialError); ok {
		if isTimeout(de.err) || errors.Is(de.err, fasthttp.ErrDialTimeout) ||
			(hook != nil && hook(de.err) == http.StatusGatewayTimeout) {
			return ErrConnectTimeout
		}
		return ErrConnect
	}
	switch {
	case err == errStale:
		// Nothing was written: as safe to retry elsewhere as a failed
		// connect. It reaches Do when the fresh connection of the
		// same-target retry was found closed too.
		return ErrConnect
	case errors.Is(err, fasthttp.ErrNoFreeConns):
		return ErrPoolFull
	case errors.Is(err, fasthttp.ErrDialTimeout):
		return ErrConnectTimeout
	case isTimeout(err):
		return ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrConnect
	case isClosed(err):
		return ErrClosed
	}
	if hook != nil {
		switch hook(err) {
		case http.StatusGatewayTimeout:
			return ErrTimeout
		case http.StatusBadGateway:
			return ErrClosed
		}
	}
	return ErrBadResponse
}

// isTimeout reports whether err or an error it wraps has Timeout() true.
// It walks the chain by hand: errors.As would need a heap target.
func isTimeout(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if t, ok := e.(interface{ Timeout() bool }); ok && t.Timeout() {
			return true
		}
	}
	return false
}

// isClosed reports whether err means the peer closed or reset the
// connection: fasthttp reports any failure on the first response byte as
// io.EOF (ErrConnectionClosed once Do returns); a write to a closed
// connection gives EPIPE or ECONNRESET.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) ||
		errors.Is(err, fasthttp.ErrConnectionClosed) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, net.ErrClosed)
}
