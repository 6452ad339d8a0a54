package eventloop_test

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gw/portico/eventloop"
)

// BenchmarkKeepAlive measures one request on a keep-alive loopback
// connection, client included, on both transports. On the event loop it
// reports netpoll's dispatch allocations (its task closure and gopool's
// worker start); the request loop itself is BenchmarkServe.
func BenchmarkKeepAlive(b *testing.B) {
	for _, tr := range transports {
		b.Run(tr.name, func(b *testing.B) {
			addr, _ := tr.start(b, fixed, eventloop.Config{
				ReadTimeout: time.Minute, ServerName: "portico",
			})
			rt := newRoundTripper(b, addr, get("/bench"))
			b.ReportAllocs()
			for b.Loop() {
				rt.do(b)
			}
		})
	}
}

// fixedBody is the body fixed answers with.
var fixedBody = []byte("hello from the event loop")

// fixed answers every request with fixedBody, without allocating.
func fixed(ctx *fasthttp.RequestCtx) {
	ctx.SetBody(fixedBody)
}

// roundTripper sends one prepared request on a keep-alive connection and
// reads the response into a fixed buffer, allocating nothing itself.
type roundTripper struct {
	c    net.Conn
	req  []byte
	buf  []byte
	want int // length of one full response
}

// newRoundTripper dials addr and learns the response length once.
func newRoundTripper(tb testing.TB, addr string, req string) *roundTripper {
	tb.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	rt := &roundTripper{c: c, req: []byte(req), buf: make([]byte, 4096)}
	if _, err := c.Write(rt.req); err != nil {
		tb.Fatalf("write: %v", err)
	}
	// Later responses differ only in the Date value, of fixed width.
	n, err := c.Read(rt.buf)
	if err != nil || !bytes.HasSuffix(rt.buf[:n], fixedBody) {
		tb.Fatalf("first response = %q, %v", rt.buf[:n], err)
	}
	rt.want = n
	return rt
}

// do runs one round trip.
func (rt *roundTripper) do(tb testing.TB) {
	if _, err := rt.c.Write(rt.req); err != nil {
		tb.Fatalf("write: %v", err)
	}
	if _, err := io.ReadFull(rt.c, rt.buf[:rt.want]); err != nil {
		tb.Fatalf("read: %v", err)
	}
}
