//go:build !race && (linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package eventloop

import (
	"testing"
)

// TestServeAllocs proves the request loop (parse, handler, response,
// flush) allocates nothing per request once its pools are warm. It drives
// serve directly on a netpoll connection; the event loop's own dispatch is
// measured in BenchmarkKeepAlive (netpoll allocates its task closure there).
func TestServeAllocs(t *testing.T) {
	tests := []struct {
		name string
		req  string
	}{
		{name: "GET", req: "GET /alloc HTTP/1.1\r\nHost: test\r\n\r\n"},
		{name: "POST", req: "POST /alloc HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello"},
		{name: "two pipelined", req: "GET /a HTTP/1.1\r\nHost: test\r\n\r\n" +
			"GET /b HTTP/1.1\r\nHost: test\r\nUser-Agent: x\r\n\r\n"},
		{name: "HTTP/1.0 keep-alive", req: "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newServeHarness(t, tt.req)
			for range 100 {
				h.roundTrip(t)
			}
			if n := testing.AllocsPerRun(1000, func() { h.roundTrip(t) }); n != 0 {
				t.Fatalf("allocs per round trip = %v, want 0", n)
			}
		})
	}
}
