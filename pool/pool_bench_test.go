package pool

import (
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

var benchBalancers = []string{BalanceRoundRobin, BalanceWeighted, BalanceLeastOutstanding,
	BalanceConsistentHash}

func BenchmarkPick(b *testing.B) {
	for _, policy := range benchBalancers {
		for _, n := range []int{3, 20} {
			b.Run(policy+"/"+strconv.Itoa(n), func(b *testing.B) {
				cfg := Config{Balance: policy}
				for i := range n {
					cfg.Targets = append(cfg.Targets, TargetConfig{
						Addr: "10.0.0." + strconv.Itoa(i+1) + ":80", Weight: 1 + i%3})
				}
				u := newTestUpstream(b, cfg)
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					h := uint64(1)
					for pb.Next() {
						h += 0x9e3779b97f4a7c15
						if u.bal.pick(h, 0) == nil {
							b.Fatal("pick = nil")
						}
					}
				})
			})
		}
	}
}

func BenchmarkDo(b *testing.B) {
	a, c := okBackend(b), okBackend(b)
	for _, policy := range benchBalancers {
		b.Run(policy, func(b *testing.B) {
			u := newTestUpstream(b, Config{Balance: policy, Targets: targets(a, c)})
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				req, resp := get("/bench"), fasthttp.AcquireResponse()
				defer fasthttp.ReleaseRequest(req)
				defer fasthttp.ReleaseResponse(resp)
				h := uint64(1)
				for pb.Next() {
					h += 0x9e3779b97f4a7c15
					if _, err := u.Do(req, resp, h, time.Second); err != nil {
						b.Fatalf("Do = %v", err)
					}
				}
			})
		})
	}
}

// BenchmarkHostClientDirect is the baseline: the same request through a
// bare HostClient, without balancing, host policy or accounting.
func BenchmarkHostClientDirect(b *testing.B) {
	addr := okBackend(b)
	hc := &fasthttp.HostClient{Addr: addr, ConnPoolStrategy: fasthttp.LIFO,
		NoDefaultUserAgentHeader: true}
	b.Cleanup(hc.CloseIdleConnections)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, resp := get("/bench"), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		for pb.Next() {
			if err := hc.DoTimeout(req, resp, time.Second); err != nil {
				b.Fatalf("Do = %v", err)
			}
		}
	})
}

// BenchmarkDoStreamed measures a streamed Do with the body read to its
// end and closed, against the same exchange through a bare HostClient
// with fasthttp's own response streaming.
func BenchmarkDoStreamed(b *testing.B) {
	for _, size := range []int{128 << 10, 1 << 20} {
		raw := "HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n" +
			strings.Repeat("b", size)
		addr := scriptBackend(b, writeAnswer(raw, true)).addr
		name := strconv.Itoa(size>>10) + "KiB"
		b.Run("pool/"+name, func(b *testing.B) {
			u := newTestUpstream(b, Config{Targets: targets(addr), StreamResponseBody: true})
			benchStreamed(b, size, func(req *fasthttp.Request, resp *fasthttp.Response) error {
				_, err := u.Do(req, resp, 0, time.Second)
				return err
			})
		})
		b.Run("hostclient/"+name, func(b *testing.B) {
			hc := &fasthttp.HostClient{Addr: addr, ConnPoolStrategy: fasthttp.LIFO,
				NoDefaultUserAgentHeader: true, StreamResponseBody: true}
			b.Cleanup(hc.CloseIdleConnections)
			benchStreamed(b, size, func(req *fasthttp.Request, resp *fasthttp.Response) error {
				return hc.DoTimeout(req, resp, time.Second)
			})
		})
	}
}

// benchStreamed runs do in a loop, reading each body stream to its end
// into a fixed buffer and closing it.
func benchStreamed(b *testing.B, size int, do func(*fasthttp.Request, *fasthttp.Response) error) {
	req, resp := get("/stream"), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if err := do(req, resp); err != nil {
			b.Fatalf("Do = %v", err)
		}
		if n, err := readStream(resp.BodyStream(), buf); err != nil || n != size {
			b.Fatalf("read %d bytes, %v, want %d", n, err, size)
		}
		if err := resp.CloseBodyStream(); err != nil {
			b.Fatalf("CloseBodyStream = %v", err)
		}
	}
}

// readStream reads r to its end through buf and returns the byte count.
func readStream(r io.Reader, buf []byte) (int, error) {
	n := 0
	for {
		m, err := r.Read(buf)
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// BenchmarkCheckedConn measures the liveness peek HostClient triggers
// before each request on a reused connection, against the bare call.
func BenchmarkCheckedConn(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		s, err := ln.Accept()
		if err == nil {
			accepted <- s
		}
	}()
	raw, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
	if err != nil {
		b.Fatalf("dial: %v", err)
	}
	defer raw.Close()
	s := <-accepted
	defer s.Close()
	deadline := time.Now().Add(time.Hour)

	for _, bc := range []struct {
		name string
		c    net.Conn
	}{{"bare", raw}, {"checked-every-time", checkConn(raw, 0)},
		{"checked-busy", checkConn(raw, peekIdleAfter)}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.c.SetWriteDeadline(deadline); err != nil {
					b.Fatalf("SetWriteDeadline = %v", err)
				}
			}
		})
	}
}
