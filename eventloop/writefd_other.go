//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package eventloop

import "github.com/cloudwego/netpoll"

// writeFD is never reached where netpoll has no poller (New refuses to
// build a Server there); it reports the connection closed.
func writeFD(int, []byte) (int, error) { return 0, netpoll.ErrConnClosed }
