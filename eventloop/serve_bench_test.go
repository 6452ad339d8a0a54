//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package eventloop

import "testing"

// BenchmarkServe measures the request loop alone: parse, handler,
// response and flush on a netpoll connection, plus the peer's write and
// read.
func BenchmarkServe(b *testing.B) {
	for _, bc := range []struct {
		name string
		req  string
	}{
		{name: "GET", req: "GET /b HTTP/1.1\r\nHost: test\r\nUser-Agent: bench\r\n\r\n"},
		{name: "POST", req: "POST /b HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := newServeHarness(b, bc.req)
			b.ReportAllocs()
			for b.Loop() {
				h.roundTrip(b)
			}
		})
	}
}
