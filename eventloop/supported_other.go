//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package eventloop

import (
	"errors"
	"io"
	"runtime"
)

// errUnsupported names the platform; it is built once, at start-up.
var errUnsupported = errors.New(`eventloop: netpoll has no poller on ` + runtime.GOOS +
	`; use server.transport = "standard"`)

// Supported returns an error naming the platform: netpoll has no epoll or
// kqueue poller here, only stubs that would fail at run time.
func Supported() error { return errUnsupported }

// setNetpollLog does nothing: netpoll's stubs here have no logger.
func setNetpollLog(io.Writer) {}
