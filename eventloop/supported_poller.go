//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package eventloop

// Supported returns nil: netpoll has an epoll (Linux) or kqueue (BSD,
// macOS) poller on this platform.
func Supported() error { return nil }
