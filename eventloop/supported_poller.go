//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package eventloop

import (
	"io"

	"github.com/cloudwego/netpoll"
)

// Supported returns nil: netpoll has an epoll (Linux) or kqueue (BSD,
// macOS) poller on this platform.
func Supported() error { return nil }

// setNetpollLog sends netpoll's log lines to w.
func setNetpollLog(w io.Writer) { netpoll.SetLoggerOutput(w) }
