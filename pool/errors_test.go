package pool

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/valyala/fasthttp"
)

// netpollLikeErr stands in for a transport error this package cannot
// know, like netpoll's.
var netpollLikeErr = errors.New("transport: peer closed")

func TestStatusFor(t *testing.T) {
	opErr := func(op string, err error) error {
		return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, err)}
	}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "nil", err: nil, want: 0},
		{name: "no target", err: ErrNoTarget, want: 503},
		{name: "pool full", err: ErrPoolFull, want: 503},
		{name: "fasthttp no free conns", err: fasthttp.ErrNoFreeConns, want: 503},
		{name: "wrapped sentinel", err: fmt.Errorf("proxy: %w", ErrTimeout), want: 504},
		{name: "timeout", err: ErrTimeout, want: 504},
		{name: "fasthttp timeout", err: fasthttp.ErrTimeout, want: 504},
		{name: "deadline exceeded", err: os.ErrDeadlineExceeded, want: 504},
		{name: "connect timeout", err: ErrConnectTimeout, want: 504},
		{name: "fasthttp dial timeout", err: fasthttp.ErrDialTimeout, want: 504},
		{name: "refused", err: opErr("dial", syscall.ECONNREFUSED), want: 502},
		{name: "reset", err: opErr("read", syscall.ECONNRESET), want: 502},
		{name: "broken pipe", err: opErr("write", syscall.EPIPE), want: 502},
		{name: "eof", err: io.EOF, want: 502},
		{name: "connection closed", err: fasthttp.ErrConnectionClosed, want: 502},
		{name: "body too large", err: fasthttp.ErrBodyTooLarge, want: 502},
		{name: "unknown", err: errors.New("x"), want: 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StatusFor(tt.err); got != tt.want {
				t.Errorf("StatusFor(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	hook := func(err error) int {
		if errors.Is(err, netpollLikeErr) {
			return 502
		}
		if errors.Is(err, errHookTimeout) {
			return 504
		}
		return 0
	}
	tests := []struct {
		name string
		err  error
		hook func(error) int
		want *Error
	}{
		{name: "dial refused", err: &dialError{err: syscall.ECONNREFUSED}, want: ErrConnect},
		{name: "dial timeout", err: &dialError{err: fasthttp.ErrDialTimeout},
			want: ErrConnectTimeout},
		{name: "dial timeout by hook", err: &dialError{err: errHookTimeout}, hook: hook,
			want: ErrConnectTimeout},
		{name: "transport error by hook", err: netpollLikeErr, hook: hook, want: ErrClosed},
		{name: "transport timeout by hook", err: errHookTimeout, hook: hook, want: ErrTimeout},
		{name: "transport error without hook", err: netpollLikeErr, want: ErrBadResponse},
		{name: "eof", err: io.EOF, hook: hook, want: ErrClosed},
		{name: "timeout", err: fasthttp.ErrTimeout, want: ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err, tt.hook); got != tt.want {
				t.Errorf("classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

var errHookTimeout = errors.New("transport: timed out")

func TestErrorTimeout(t *testing.T) {
	for _, e := range []*Error{ErrNoTarget, ErrPoolFull, ErrConnect, ErrConnectTimeout,
		ErrTimeout, ErrClosed, ErrBadResponse} {
		want := e == ErrTimeout || e == ErrConnectTimeout
		if got := e.Timeout(); got != want {
			t.Errorf("%v.Timeout() = %v, want %v", e, got, want)
		}
		if !errIs(fmt.Errorf("wrap: %w", e), e) {
			t.Errorf("errors.Is(wrapped %v) = false", e)
		}
	}
}
