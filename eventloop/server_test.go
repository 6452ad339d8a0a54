package eventloop_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gw/portico/eventloop"
)

// echo answers "METHOD PATH BODYLEN"; /ip answers the client's IP and
// /stream answers three chunks from a body stream.
func echo(ctx *fasthttp.RequestCtx) {
	switch string(ctx.Path()) {
	case "/ip":
		ctx.SetBodyString(ctx.RemoteIP().String())
	case "/count":
		n := len(ctx.PostBody())
		if r := ctx.RequestBodyStream(); r != nil {
			m, _ := io.Copy(io.Discard, r)
			n = int(m)
		}
		ctx.SetBodyString("counted " + strconv.Itoa(n))
	case "/huge":
		ctx.SetBody(hugeBody)
	case "/ignore":
		ctx.SetBodyString("ignored")
	case "/stream":
		ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
			for i := range 3 {
				_, _ = w.WriteString("chunk" + strconv.Itoa(i) + ";")
				_ = w.Flush()
			}
		})
	default:
		ctx.SetBodyString(string(ctx.Method()) + " " + string(ctx.Path()) + " " +
			strconv.Itoa(len(ctx.PostBody())))
	}
}

// hugeBody is more than loopback socket buffers hold, so a client that
// does not read stalls the server's write.
var hugeBody = make([]byte, 64<<20)

// baseConfig is the Config most cases use.
func baseConfig() eventloop.Config {
	return eventloop.Config{
		ReadTimeout:    5 * time.Second,
		MaxHeaderBytes: 4096,
		MaxBodyBytes:   1 << 20,
		ServerName:     "portico-test",
	}
}

// TestBehaviour runs every case on both transports: the event loop must
// answer exactly as the standard transport does.
func TestBehaviour(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(*eventloop.Config)
		run  func(t *testing.T, addr string)
	}{
		{name: "keep-alive 200 requests", run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			for i := range 200 {
				cl.send(get("/k" + strconv.Itoa(i)))
				resp := cl.response()
				expectStatus(t, resp, 200)
				if want := "GET /k" + strconv.Itoa(i) + " 0"; string(resp.Body()) != want {
					t.Fatalf("request %d: body = %q, want %q", i, resp.Body(), want)
				}
			}
		}},
		{name: "three pipelined requests in one write", run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			cl.send(get("/a") + post("/b", "xyz") + get("/c"))
			for _, want := range []string{"GET /a 0", "POST /b 3", "GET /c 0"} {
				if got := string(cl.response().Body()); got != want {
					t.Fatalf("body = %q, want %q", got, want)
				}
			}
		}},
		{name: "half-closed client still gets its answers", run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			cl.send(get("/a") + post("/b", strings.Repeat("h", 64<<10)))
			_ = cl.c.(*net.TCPConn).CloseWrite()
			for _, want := range []string{"GET /a 0", "POST /b 65536"} {
				if got := string(cl.response().Body()); got != want {
					t.Fatalf("body = %q, want %q", got, want)
				}
			}
			cl.expectClosed(ioTimeout)
		}},
		{name: "header split over two writes", run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			raw := get("/split")
			cl.send(raw[:20])
			expectNothing(t, cl, 100*time.Millisecond)
			cl.send(raw[20:])
			if got := string(cl.response().Body()); got != "GET /split 0" {
				t.Fatalf("body = %q, want %q", got, "GET /split 0")
			}
		}},
		{name: "256 KiB POST", run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			body := strings.Repeat("p", 256<<10)
			cl.send(post("/big", body))
			if got, want := string(cl.response().Body()), "POST /big 262144"; got != want {
				t.Fatalf("body = %q, want %q", got, want)
			}
		}},
		{name: "Connection: close", run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			cl.send("GET /x HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
			resp := cl.response()
			expectStatus(t, resp, 200)
			if !resp.ConnectionClose() {
				t.Fatalf("response lacks Connection: close")
			}
			cl.expectClosed(ioTimeout)
		}},
		{name: "HTTP/1.0 closes by default", run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			cl.send("GET /old HTTP/1.0\r\n\r\n")
			expectStatus(t, cl.response(), 200)
			cl.expectClosed(ioTimeout)
		}},
		{name: "HTTP/1.0 keep-alive", run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			for range 2 {
				cl.send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
				resp := cl.response()
				expectStatus(t, resp, 200)
				if got := string(resp.Header.Peek("Connection")); got != "keep-alive" {
					t.Fatalf("Connection = %q, want keep-alive", got)
				}
			}
		}},
		{name: "Expect: 100-continue", run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			cl.send("POST /up HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\n" +
				"Content-Length: 5\r\n\r\n")
			line, err := cl.br.ReadString('\n')
			if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
				t.Fatalf("interim line = %q, %v, want 100 Continue", line, err)
			}
			if blank, _ := cl.br.ReadString('\n'); blank != "\r\n" {
				t.Fatalf("after 100 Continue = %q, want blank line", blank)
			}
			cl.send("hello")
			if got := string(cl.response().Body()); got != "POST /up 5" {
				t.Fatalf("body = %q, want %q", got, "POST /up 5")
			}
		}},
		{name: "431 over MaxHeaderBytes", run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			cl.send("GET / HTTP/1.1\r\nHost: test\r\nX-Big: " + strings.Repeat("b", 5000) +
				"\r\n\r\n")
			resp := cl.response()
			expectStatus(t, resp, 431)
			if !resp.ConnectionClose() {
				t.Fatalf("431 lacks Connection: close")
			}
		}},
		{name: "413 over MaxBodyBytes", cfg: func(c *eventloop.Config) { c.MaxBodyBytes = 1024 },
			run: func(t *testing.T, addr string) {
				cl := dial(t, addr)
				cl.send(post("/big", strings.Repeat("x", 2048)))
				expectStatus(t, cl.response(), 413)
			}},
		{name: "streamed request body over the limit", cfg: streaming,
			run: func(t *testing.T, addr string) {
				cl := dial(t, addr)
				cl.send(post("/count", strings.Repeat("s", 256<<10)) + post("/count", "small"))
				for _, want := range []string{"counted 262144", "counted 5"} {
					if got := string(cl.response().Body()); got != want {
						t.Fatalf("body = %q, want %q", got, want)
					}
				}
			}},
		{name: "chunked streamed request body", cfg: streaming,
			run: func(t *testing.T, addr string) {
				cl := dial(t, addr)
				cl.send("POST /count HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n" +
					"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" + get("/after"))
				for _, want := range []string{"counted 11", "GET /after 0"} {
					if got := string(cl.response().Body()); got != want {
						t.Fatalf("body = %q, want %q", got, want)
					}
				}
			}},
		{name: "unread streamed body is discarded", cfg: streaming,
			run: func(t *testing.T, addr string) {
				cl := dial(t, addr)
				cl.send(post("/ignore", strings.Repeat("i", 8<<10)) + get("/next"))
				for _, want := range []string{"ignored", "GET /next 0"} {
					if got := string(cl.response().Body()); got != want {
						t.Fatalf("body = %q, want %q", got, want)
					}
				}
			}},
		{name: "400 on garbage", run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			cl.send("\x00\x01garbage garbage\r\n\r\n")
			expectStatus(t, cl.response(), 400)
			cl.expectClosed(ioTimeout)
		}},
		{name: "idle timeout closes", cfg: func(c *eventloop.Config) {
			c.IdleTimeout = 200 * time.Millisecond
		}, run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			cl.send(get("/once"))
			expectStatus(t, cl.response(), 200)
			cl.expectClosed(ioTimeout)
		}},
		{name: "read timeout closes a silent new connection", cfg: func(c *eventloop.Config) {
			c.ReadTimeout = 200 * time.Millisecond
		}, run: func(t *testing.T, addr string) {
			// fasthttp.Server says 408 first; the event loop just closes.
			cl := dial(t, addr)
			if _, err := cl.br.Peek(1); err == nil {
				expectStatus(t, cl.response(), 408)
			}
			cl.expectClosed(ioTimeout)
		}},
		{name: "write timeout drops a client that stops reading", cfg: func(c *eventloop.Config) {
			c.WriteTimeout = 300 * time.Millisecond
		}, run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			cl.send(get("/huge"))
			// Once the answer has begun, the client stalls for longer
			// than WriteTimeout: that is the behaviour under test, not a
			// wait for the server. Then the connection must end before
			// the whole body.
			if _, err := cl.br.Peek(1); err != nil {
				t.Fatalf("no answer: %v", err)
			}
			stall := time.NewTimer(time.Second)
			<-stall.C
			n, _ := io.Copy(io.Discard, cl.br)
			if n >= int64(len(hugeBody)) {
				t.Fatalf("read %d bytes, want the connection cut short", n)
			}
		}},
		{name: "Date and Server headers", run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			cl.send(get("/h"))
			resp := cl.response()
			if got := string(resp.Header.Peek("Server")); got != "portico-test" {
				t.Fatalf("Server = %q, want portico-test", got)
			}
			date, err := time.Parse(time.RFC1123, string(resp.Header.Peek("Date")))
			if err != nil || time.Since(date).Abs() > time.Minute {
				t.Fatalf("Date = %q (%v), want the current time", resp.Header.Peek("Date"), err)
			}
		}},
		{name: "RemoteIP", run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			cl.send(get("/ip"))
			if got := string(cl.response().Body()); got != "127.0.0.1" {
				t.Fatalf("RemoteIP = %q, want 127.0.0.1", got)
			}
		}},
		{name: "HEAD has no body", run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			cl.send("HEAD /h HTTP/1.1\r\nHost: test\r\n\r\n" + get("/after"))
			head := new(fasthttp.Response)
			head.SkipBody = true
			if err := head.Read(cl.br); err != nil {
				t.Fatalf("read HEAD response: %v", err)
			}
			if got := string(cl.response().Body()); got != "GET /after 0" {
				t.Fatalf("after HEAD body = %q, want %q", got, "GET /after 0")
			}
		}},
		{name: "streamed response body", run: func(t *testing.T, addr string) {
			cl := dial(t, addr)
			cl.send(get("/stream") + get("/next"))
			if got := string(cl.response().Body()); got != "chunk0;chunk1;chunk2;" {
				t.Fatalf("stream body = %q", got)
			}
			if got := string(cl.response().Body()); got != "GET /next 0" {
				t.Fatalf("after stream body = %q", got)
			}
		}},
		{name: "reset peer does not break the server", run: func(t *testing.T, addr string) {
			for _, raw := range []string{"GET /half HTTP/1.1\r\nHo", get("/stream"), ""} {
				cl := dial(t, addr)
				cl.send(raw)
				_ = cl.c.(*net.TCPConn).SetLinger(0)
				_ = cl.c.Close()
			}
			cl := dial(t, addr)
			cl.send(get("/alive"))
			expectStatus(t, cl.response(), 200)
		}},
		{name: "MaxConnections honoured", cfg: func(c *eventloop.Config) { c.MaxConnections = 1 },
			run: func(t *testing.T, addr string) {
				first := dial(t, addr)
				first.send(get("/first"))
				expectStatus(t, first.response(), 200)

				second := dial(t, addr)
				second.send(get("/second"))
				expectStatus(t, second.response(), 503)
				second.expectClosed(ioTimeout)

				first.send(get("/first-again"))
				expectStatus(t, first.response(), 200)
			}},
	}
	for _, tr := range transports {
		for _, tt := range tests {
			t.Run(tr.name+"/"+tt.name, func(t *testing.T) {
				cfg := baseConfig()
				if tt.cfg != nil {
					tt.cfg(&cfg)
				}
				addr, _ := tr.start(t, echo, cfg)
				tt.run(t, addr)
			})
		}
	}
}

// streaming sets a small body limit and streams bodies over it.
func streaming(c *eventloop.Config) {
	c.MaxBodyBytes = 1024
	c.StreamRequestBody = true
}

// expectNothing fails if the server sends anything within d.
func expectNothing(t *testing.T, cl *client, d time.Duration) {
	t.Helper()
	_ = cl.c.SetReadDeadline(time.Now().Add(d))
	if _, err := cl.br.Peek(1); err == nil {
		t.Fatalf("server answered a partial request")
	}
	_ = cl.c.SetReadDeadline(time.Now().Add(ioTimeout))
}

// TestShutdownDrains checks that Shutdown waits for a slow in-flight
// request, which is answered with Connection: close, and closes idle
// connections.
func TestShutdownDrains(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			entered := make(chan struct{})
			release := make(chan struct{})
			h := func(ctx *fasthttp.RequestCtx) {
				if string(ctx.Path()) == "/slow" {
					close(entered)
					<-release
				}
				ctx.SetBodyString("done")
			}
			addr, srv := tr.start(t, h, baseConfig())

			idle := dial(t, addr)
			idle.send(get("/quick"))
			expectStatus(t, idle.response(), 200)

			busy := dial(t, addr)
			busy.send(get("/slow"))
			<-entered

			shut := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
				defer cancel()
				shut <- srv.Shutdown(ctx)
			}()
			idle.expectClosed(ioTimeout)
			select {
			case err := <-shut:
				t.Fatalf("Shutdown returned %v while a request was in flight", err)
			default:
			}

			close(release)
			resp := busy.response()
			expectStatus(t, resp, 200)
			if !resp.ConnectionClose() {
				t.Errorf("drained response lacks Connection: close")
			}
			if err := <-shut; err != nil {
				t.Fatalf("Shutdown() = %v, want nil", err)
			}
		})
	}
}

// TestHandlerPanic checks that a panicking handler costs its connection,
// not the process; fasthttp.Server has no such guard, so this runs on the
// event loop only.
func TestHandlerPanic(t *testing.T) {
	h := func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/panic" {
			panic("handler bug")
		}
		echo(ctx)
	}
	addr, _ := startEventLoop(t, h, baseConfig())
	bad := dial(t, addr)
	bad.send(get("/panic"))
	bad.expectClosed(ioTimeout)

	good := dial(t, addr)
	good.send(get("/fine"))
	expectStatus(t, good.response(), 200)
}
