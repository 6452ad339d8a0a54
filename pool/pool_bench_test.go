package pool

import (
	"net"
	"strconv"
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
