package eventloop_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// FuzzRequestBytes sends arbitrary bytes to both transports and checks
// that the event loop answers with well-formed responses, the same status
// codes in the same order as fasthttp.Server, and keeps serving.
func FuzzRequestBytes(f *testing.F) {
	for _, seed := range []string{
		get("/a"),
		get("/a") + post("/b", "xyz") + get("/c"),
		"GET /old HTTP/1.0\r\n\r\n",
		"POST /up HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
		"POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: t\r\nX: " + string(bytes.Repeat([]byte("b"), 5000)) + "\r\n\r\n",
		"\x00\x01garbage\r\n\r\n",
		"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"GET /a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" + get("/never"),
	} {
		f.Add([]byte(seed))
	}
	cfg := baseConfig()
	cfg.ReadTimeout = 2 * time.Second
	elAddr, _ := startEventLoop(f, echo, cfg)
	stdAddr, _ := startStandard(f, echo, cfg)

	f.Fuzz(func(t *testing.T, raw []byte) {
		got := exchange(t, elAddr, raw)
		want := exchange(t, stdAddr, raw)
		if !equalInts(got, want) {
			t.Fatalf("statuses for %.300q: eventloop %v, standard %v", raw, got, want)
		}
		cl := dial(t, elAddr)
		cl.send(get("/alive"))
		expectStatus(t, cl.response(), 200)
	})
}

// exchange sends raw, half-closes, and returns the status of every
// response read before the server closed the connection.
func exchange(t *testing.T, addr string, raw []byte) []int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := c.Write(raw); err != nil {
		return nil // the server may close before reading it all
	}
	_ = c.(*net.TCPConn).CloseWrite()

	var statuses []int
	br := bufio.NewReader(c)
	for {
		if _, err := br.Peek(1); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("%s kept the connection open after %v", addr, statuses)
			}
			return statuses
		}
		resp := new(fasthttp.Response)
		if err := resp.Read(br); err != nil {
			if err == io.EOF {
				return statuses
			}
			t.Fatalf("malformed response after %v: %v", statuses, err)
		}
		statuses = append(statuses, resp.StatusCode())
	}
}

// equalInts reports whether a and b hold the same values in order.
func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
