//go:build !linux

package pool

// canPeek reports whether checkedConn works on this platform.
//
// TODO: no peek outside Linux; there a POST on a keep-alive connection
// the upstream closed while idle fails with 502 instead of being retried.
const canPeek = false

func (c *checkedConn) peek(uintptr) bool { return true }
