//go:build linux

package pool

import (
	"syscall"
	"unsafe"
)

// canPeek reports whether checkedConn works on this platform.
const canPeek = true

// peek looks at the next byte without taking it and without waiting. It
// always returns true, so RawConn.Read never waits for readability. It
// calls recvfrom directly: syscall.Recvfrom builds a source address that
// escapes to the heap.
func (c *checkedConn) peek(fd uintptr) bool {
	c.ran = true
	n, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd,
		uintptr(unsafe.Pointer(&c.buf[0])), 1,
		syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	switch {
	case errno == syscall.EAGAIN || errno == syscall.EINTR:
		c.closed = false // nothing to read: the connection is idle and open
	case errno != 0:
		c.closed = true // reset or otherwise broken
	default:
		c.closed = true // n == 0 is the FIN; n > 0 is a stray response
		_ = n
	}
	return true
}
