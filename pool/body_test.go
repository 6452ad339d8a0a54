package pool

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// scripted is a raw TCP upstream whose answers a test writes by hand, so
// that it controls the framing byte for byte.
type scripted struct {
	addr string
	// accepted counts the connections the upstream accepted.
	accepted atomic.Int32
}

// scriptBackend starts a scripted upstream. answer gets each request
// read from a connection, writes the response to c and reports whether
// the connection stays open for another request. Connections are closed
// when the test ends.
func scriptBackend(t testing.TB, answer func(c net.Conn, req *fasthttp.Request) bool) *scripted {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &scripted{addr: ln.Addr().String()}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serveScript(c, answer)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

func serveScript(c net.Conn, answer func(net.Conn, *fasthttp.Request) bool) {
	br := bufio.NewReader(c)
	var req fasthttp.Request
	for {
		_ = c.SetDeadline(time.Now().Add(ioTimeout))
		if req.Read(br) != nil || !answer(c, &req) {
			return
		}
	}
}

// writeAnswer returns an answer that writes raw and keeps the
// connection open if keep is true.
func writeAnswer(raw string, keep bool) func(net.Conn, *fasthttp.Request) bool {
	b := []byte(raw)
	return func(c net.Conn, _ *fasthttp.Request) bool {
		_, err := c.Write(b)
		return err == nil && keep
	}
}

// readBody returns resp's body, reading the stream if there is one, and
// the error that ended the stream.
func readAll(resp *fasthttp.Response) (string, error) {
	s := resp.BodyStream()
	if s == nil {
		return string(resp.Body()), nil
	}
	b, err := io.ReadAll(s)
	return string(b), err
}

func TestStreamFraming(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 5000) // 80000 bytes, over the buffered cap
	tests := []struct {
		name       string
		raw        string
		keep       bool // the upstream keeps the connection open
		wantBody   string
		wantStream bool
		wantReuse  bool
	}{
		{name: "fixed length over the cap is streamed", keep: true,
			raw:      "HTTP/1.1 200 OK\r\nContent-Length: 80000\r\n\r\n" + big,
			wantBody: big, wantStream: true, wantReuse: true},
		{name: "small fixed length is buffered", keep: true,
			raw:      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
			wantBody: "hello", wantReuse: true},
		{name: "chunked with extensions and trailers", keep: true,
			raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
				"5;name=value\r\nhello\r\n6 ; x\r\n world\r\nA\r\n, chunked!\r\n" +
				"0\r\nX-Checksum: 42\r\nX-More: yes\r\n\r\n",
			wantBody: "hello world, chunked!", wantStream: true, wantReuse: true},
		{name: "until close", keep: false,
			raw:      "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
			wantBody: "until the end", wantStream: true},
		{name: "HTTP/1.0 until close", keep: false,
			raw:      "HTTP/1.0 200 OK\r\n\r\nold style",
			wantBody: "old style", wantStream: true},
		{name: "interim responses are skipped", keep: true,
			raw: "HTTP/1.1 100 Continue\r\n\r\n" +
				"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
				"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
			wantBody: "ok", wantReuse: true},
		{name: "204 has no body", keep: true,
			raw: "HTTP/1.1 204 No Content\r\n\r\n", wantReuse: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := scriptBackend(t, writeAnswer(tt.raw, tt.keep))
			u := newTestUpstream(t, Config{Targets: targets(b.addr), StreamResponseBody: true})
			req, resp := get("/f"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for i := range 2 {
				if _, err := u.Do(req, resp, 0, ioTimeout); err != nil {
					t.Fatalf("request %d: Do = %v", i, err)
				}
				if got := resp.IsBodyStream(); got != tt.wantStream {
					t.Errorf("request %d: IsBodyStream = %v, want %v", i, got, tt.wantStream)
				}
				body, err := readAll(resp)
				if err != nil || body != tt.wantBody {
					t.Fatalf("request %d: body = %.40q, %v, want %.40q", i, body, err,
						tt.wantBody)
				}
				if err := resp.CloseBodyStream(); err != nil {
					t.Fatalf("request %d: CloseBodyStream = %v", i, err)
				}
				idle := u.targets[0].hc.IdleConnsCount()
				if reused := idle == 1; reused != tt.wantReuse {
					t.Errorf("request %d: idle connections = %d, want reuse %v", i, idle,
						tt.wantReuse)
				}
			}
			want := int32(2)
			if tt.wantReuse {
				want = 1
			}
			if got := b.accepted.Load(); got != want {
				t.Errorf("upstream accepted %d connections, want %d", got, want)
			}
			if n := u.Status()[0].Outstanding; n != 0 {
				t.Errorf("outstanding = %d after the bodies were closed, want 0", n)
			}
		})
	}
}

// TestStreamBrokenBody cuts or garbles a streamed body: the reader sees
// the package's error and the connection is not pooled.
func TestStreamBrokenBody(t *testing.T) {
	const fixedHead = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
	const chunkedHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	tests := []struct {
		name     string
		raw      string
		wantBody string
		wantErr  error
	}{
		{name: "fixed length cut mid-way", raw: fixedHead + "partial",
			wantBody: "partial", wantErr: ErrClosed},
		{name: "chunked cut inside a chunk", raw: chunkedHead + "10000\r\npart",
			wantBody: "part", wantErr: ErrClosed},
		{name: "chunked cut before the last chunk", raw: chunkedHead + "4\r\npart\r\n",
			wantBody: "part", wantErr: ErrClosed},
		{name: "chunk size not hex", raw: chunkedHead + "4\r\npart\r\nzz\r\n",
			wantBody: "part", wantErr: ErrBadResponse},
		{name: "no CRLF after chunk data", raw: chunkedHead + "4\r\npartXX4\r\n",
			wantBody: "part", wantErr: ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := scriptBackend(t, writeAnswer(tt.raw, false))
			u := newTestUpstream(t, Config{Targets: targets(b.addr), StreamResponseBody: true})
			req, resp := get("/cut"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			if _, err := u.Do(req, resp, 0, ioTimeout); err != nil {
				t.Fatalf("Do = %v", err)
			}
			body, err := readAll(resp)
			if body != tt.wantBody || err != tt.wantErr {
				t.Errorf("body = %q, %v, want %q, %v", body, err, tt.wantBody, tt.wantErr)
			}
			if err := resp.CloseBodyStream(); err != nil {
				t.Errorf("CloseBodyStream = %v", err)
			}
			if n := u.Status()[0].Conns; n != 0 {
				t.Errorf("connections = %d after a broken body, want 0", n)
			}
		})
	}
}

// TestStreamCloseEarly stops reading before the end: the connection is
// closed, never pooled, and the next request gets a fresh one.
func TestStreamCloseEarly(t *testing.T) {
	body := strings.Repeat("x", 200000)
	tests := []struct {
		name string
		raw  string
	}{
		{name: "fixed length",
			raw: "HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n" + body},
		{name: "chunked", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
			strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n0\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := scriptBackend(t, writeAnswer(tt.raw, true))
			u := newTestUpstream(t, Config{Targets: targets(b.addr), StreamResponseBody: true})
			req, resp := get("/early"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for i := range 2 {
				if _, err := u.Do(req, resp, 0, ioTimeout); err != nil {
					t.Fatalf("request %d: Do = %v", i, err)
				}
				var buf [100]byte
				if _, err := io.ReadFull(resp.BodyStream(), buf[:]); err != nil {
					t.Fatalf("request %d: read = %v", i, err)
				}
				if err := resp.CloseBodyStream(); err != nil {
					t.Fatalf("request %d: CloseBodyStream = %v", i, err)
				}
				if st := u.Status()[0]; st.Conns != 0 || st.Outstanding != 0 {
					t.Errorf("request %d: connections %d, outstanding %d, want 0, 0", i,
						st.Conns, st.Outstanding)
				}
			}
			if got := b.accepted.Load(); got != 2 {
				t.Errorf("upstream accepted %d connections, want 2", got)
			}
		})
	}
}

// TestStreamIdleTimeout shows that the response timeout is an idle
// timeout once the body streams: a stalled body ends with ErrTimeout,
// while a slow but steady one that takes longer in total is read whole.
func TestStreamIdleTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	t.Run("stalled body", func(t *testing.T) {
		release := make(chan struct{})
		b := scriptBackend(t, func(c net.Conn, _ *fasthttp.Request) bool {
			_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nstart"))
			<-release
			return false
		})
		t.Cleanup(func() { close(release) })
		u := newTestUpstream(t, Config{Targets: targets(b.addr), StreamResponseBody: true})
		req, resp := get("/stall"), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		if _, err := u.Do(req, resp, 0, timeout); err != nil {
			t.Fatalf("Do = %v", err)
		}
		start := time.Now()
		body, err := readAll(resp)
		if body != "start" || err != ErrTimeout {
			t.Errorf("body = %q, %v, want %q, %v", body, err, "start", ErrTimeout)
		}
		if took := time.Since(start); took > 10*timeout {
			t.Errorf("stalled read took %v, want about %v", took, timeout)
		}
		_ = resp.CloseBodyStream()
	})
	t.Run("slow but steady body", func(t *testing.T) {
		const pieces, piece = 6, 1000
		// The upstream paces itself: each piece comes well within the
		// idle timeout, the whole body well after it.
		slow := func(c net.Conn, _ *fasthttp.Request) bool {
			head := "HTTP/1.1 200 OK\r\nContent-Length: " +
				strconv.Itoa(bufferedBodyMax+pieces*piece) + "\r\n\r\n"
			if _, err := c.Write([]byte(head + strings.Repeat("s", bufferedBodyMax))); err != nil {
				return false
			}
			tick := time.NewTicker(timeout / 4)
			defer tick.Stop()
			for range pieces {
				<-tick.C
				if _, err := c.Write([]byte(strings.Repeat("s", piece))); err != nil {
					return false
				}
			}
			return true
		}
		b := scriptBackend(t, slow)
		u := newTestUpstream(t, Config{Targets: targets(b.addr), StreamResponseBody: true})
		req, resp := get("/slow"), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		start := time.Now()
		if _, err := u.Do(req, resp, 0, timeout); err != nil {
			t.Fatalf("Do = %v", err)
		}
		body, err := readAll(resp)
		if len(body) != bufferedBodyMax+pieces*piece || err != nil {
			t.Errorf("read %d bytes, %v, want %d, nil", len(body), err,
				bufferedBodyMax+pieces*piece)
		}
		if took := time.Since(start); took <= timeout {
			t.Errorf("body took %v, want longer than the %v timeout", took, timeout)
		}
		_ = resp.CloseBodyStream()
		if n := u.targets[0].hc.IdleConnsCount(); n != 1 {
			t.Errorf("idle connections = %d, want 1", n)
		}
	})
}

// TestStreamOutstanding checks that a streamed body counts as
// outstanding for least_outstanding until it is closed.
func TestStreamOutstanding(t *testing.T) {
	big := strings.Repeat("o", 2*bufferedBodyMax)
	addr := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString(big) })
	u := newTestUpstream(t, Config{Targets: targets(addr), StreamResponseBody: true,
		Balance: BalanceLeastOutstanding})
	req, resp := get("/o"), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	if _, err := u.Do(req, resp, 0, ioTimeout); err != nil {
		t.Fatalf("Do = %v", err)
	}
	if n := u.Status()[0].Outstanding; n != 1 {
		t.Errorf("outstanding while streaming = %d, want 1", n)
	}
	if err := resp.CloseBodyStream(); err != nil {
		t.Fatalf("CloseBodyStream = %v", err)
	}
	if n := u.Status()[0].Outstanding; n != 0 {
		t.Errorf("outstanding after close = %d, want 0", n)
	}
}

// TestStreamAfterUpstreamClose: a body that ends after the upstream was
// closed does not put its connection back.
func TestStreamAfterUpstreamClose(t *testing.T) {
	big := strings.Repeat("c", 2*bufferedBodyMax)
	addr := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString(big) })
	u := newTestUpstream(t, Config{Targets: targets(addr), StreamResponseBody: true})
	req, resp := get("/c"), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	if _, err := u.Do(req, resp, 0, ioTimeout); err != nil {
		t.Fatalf("Do = %v", err)
	}
	u.Close()
	if body, err := readAll(resp); len(body) != len(big) || err != nil {
		t.Fatalf("read %d bytes, %v, want %d, nil", len(body), err, len(big))
	}
	_ = resp.CloseBodyStream()
	if n := u.Status()[0].Conns; n != 0 {
		t.Errorf("connections after Close = %d, want 0", n)
	}
}

// TestStreamIsEOFHook runs a transport that reports the upstream's close
// with its own error, as netpoll does: with the IsEOF hook a body that
// runs until the close ends cleanly, without it the body fails.
func TestStreamIsEOFHook(t *testing.T) {
	b := scriptBackend(t, writeAnswer("HTTP/1.0 200 OK\r\n\r\nuntil the close", false))
	tests := []struct {
		name    string
		isEOF   func(error) bool
		wantErr error
	}{
		{name: "with hook", isEOF: func(err error) bool { return err == errOddEOF }},
		{name: "without hook", wantErr: ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newTestUpstream(t, Config{
				Targets:            targets(b.addr),
				StreamResponseBody: true,
				IsEOF:              tt.isEOF,
				Dial: func(addr string) (net.Conn, error) {
					c, err := net.DialTimeout("tcp", addr, ioTimeout)
					if err != nil {
						return nil, err
					}
					return oddEOFConn{c}, nil
				},
			})
			req, resp := get("/eof"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			if _, err := u.Do(req, resp, 0, ioTimeout); err != nil {
				t.Fatalf("Do = %v", err)
			}
			body, err := readAll(resp)
			if body != "until the close" || err != tt.wantErr {
				t.Errorf("body = %q, %v, want %q, %v", body, err, "until the close",
					tt.wantErr)
			}
			_ = resp.CloseBodyStream()
		})
	}
}

var errOddEOF = errors.New("odd transport: peer closed")

// oddEOFConn reports the peer's close as errOddEOF instead of io.EOF.
type oddEOFConn struct{ net.Conn }

func (c oddEOFConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err == io.EOF {
		err = errOddEOF
	}
	return n, err
}

// TestStreamConcurrent runs streamed requests from several goroutines
// at once, some read to the end and some closed early, for the race
// detector and the connection accounting.
func TestStreamConcurrent(t *testing.T) {
	big := strings.Repeat("r", 3*bufferedBodyMax)
	addr := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString(big) })
	u := newTestUpstream(t, Config{Targets: targets(addr), StreamResponseBody: true,
		MaxConnsPerTarget: 4, QueueTimeout: ioTimeout})
	const workers, rounds = 6, 10
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			req, resp := get("/r"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for i := range rounds {
				if _, err := u.Do(req, resp, 0, ioTimeout); err != nil {
					errs <- err
					return
				}
				if (w+i)%3 == 0 {
					var buf [10]byte
					_, _ = io.ReadFull(resp.BodyStream(), buf[:])
				} else if body, err := readAll(resp); err != nil || len(body) != len(big) {
					if err == nil {
						err = io.ErrUnexpectedEOF // short body
					}
					errs <- err
					return
				}
				_ = resp.CloseBodyStream()
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Errorf("worker: %v", err)
		}
	}
	st := u.Status()[0]
	if st.Outstanding != 0 || st.Conns > 4 {
		t.Errorf("after the workers: outstanding %d, connections %d, want 0, at most 4",
			st.Outstanding, st.Conns)
	}
}
