//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package eventloop

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// halfCloseWriteMillis bounds each wait for a half-closed client to take
// more of its answer.
const halfCloseWriteMillis = 5000

// errHalfCloseTimeout is returned when a half-closed client stops reading.
var errHalfCloseTimeout = timeoutError("eventloop: write to half-closed client timed out")

// writeFD writes all of p to the non-blocking socket fd, waiting in poll(2)
// while the socket buffer is full.
func writeFD(fd int, p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := syscall.Write(fd, p[written:])
		if n > 0 {
			written += n
		}
		switch {
		case err == nil, err == syscall.EINTR:
			continue
		case err != syscall.EAGAIN:
			return written, err
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		ready, perr := unix.Poll(fds, halfCloseWriteMillis)
		switch {
		case perr != nil && perr != unix.EINTR:
			return written, perr
		case ready == 0:
			return written, errHalfCloseTimeout
		}
	}
	return written, nil
}

// timeoutError is a sentinel error that reports itself as a timeout.
type timeoutError string

func (e timeoutError) Error() string { return string(e) }

// Timeout reports whether the error is a timeout; it always is.
func (e timeoutError) Timeout() bool { return true }
