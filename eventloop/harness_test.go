//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package eventloop

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/cloudwego/netpoll"
	"github.com/valyala/fasthttp"
)

// fixedBody is what the harness handler answers with.
var fixedBody = []byte("hello from the event loop")

// textPlain is the harness handler's Content-Type.
var textPlain = []byte("text/plain")

// fixed answers every request with fixedBody without allocating.
func fixed(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.SetContentTypeBytes(textPlain)
	ctx.SetBody(fixedBody)
}

// serveHarness runs Server.serve by hand on a netpoll connection whose
// peer is a plain loopback socket, with no event loop in between.
type serveHarness struct {
	s    *Server
	nc   netpoll.Connection
	c    *conn
	peer net.Conn
	req  []byte
	buf  []byte
	want int // bytes of the full answer to req
}

// newServeHarness connects a netpoll connection to a loopback peer and
// learns how long the answer to req is.
func newServeHarness(tb testing.TB, req string) *serveHarness {
	tb.Helper()
	s, err := New(fixed, Config{ReadTimeout: time.Minute, ServerName: "portico"})
	if err != nil {
		tb.Fatalf("New() = %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	nc, err := netpoll.DialConnection("tcp", ln.Addr().String(), time.Second)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	peer, err := ln.Accept()
	if err != nil {
		tb.Fatalf("accept: %v", err)
	}
	tb.Cleanup(func() { _ = nc.Close(); _ = peer.Close() })
	_ = peer.SetDeadline(time.Now().Add(time.Minute))

	h := &serveHarness{s: s, nc: nc, c: newConn(s, nc), peer: peer, req: []byte(req), buf: make([]byte, 8192)}
	h.send(tb)
	// Responses differ only in the Date value, which has a fixed width.
	n, err := peer.Read(h.buf)
	for err == nil && !bytes.HasSuffix(h.buf[:n], fixedBody) || bytes.Count(h.buf[:n], fixedBody) <
		bytes.Count(h.req, []byte("HTTP/1.")) {
		var m int
		m, err = peer.Read(h.buf[n:])
		n += m
	}
	if err != nil {
		tb.Fatalf("first answer: %v", err)
	}
	h.want = n
	return h
}

// send writes the request and runs serve until the input is drained.
func (h *serveHarness) send(tb testing.TB) {
	if _, err := h.peer.Write(h.req); err != nil {
		tb.Fatalf("write: %v", err)
	}
	// serve returns once its input is drained; make sure all of the
	// request is there first, as the event loop would.
	for h.nc.Reader().Len() < len(h.req) {
		if _, err := h.nc.Reader().Peek(len(h.req)); err != nil {
			tb.Fatalf("peek: %v", err)
		}
	}
	if !h.s.serve(h.c) {
		tb.Fatalf("serve closed the connection")
	}
}

// roundTrip sends the request, serves it and reads the full answer.
func (h *serveHarness) roundTrip(tb testing.TB) {
	h.send(tb)
	if _, err := io.ReadFull(h.peer, h.buf[:h.want]); err != nil {
		tb.Fatalf("read: %v", err)
	}
}
