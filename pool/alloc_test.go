//go:build !race

package pool

import (
	"io"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gw/portico/view"
)

var allBalancers = []string{BalanceRoundRobin, BalanceWeighted, BalanceLeastOutstanding,
	BalanceConsistentHash}

func TestDoAllocs(t *testing.T) {
	a, b := okBackend(t), okBackend(t)
	for _, policy := range allBalancers {
		for _, host := range []string{HostHeaderTarget, HostHeaderClient, "api.internal"} {
			t.Run(policy+"/"+host, func(t *testing.T) {
				u := newTestUpstream(t, Config{Balance: policy, HostHeader: host,
					Targets: []TargetConfig{{Addr: a, Weight: 3}, {Addr: b, Weight: 1}}})
				req, resp := get("/alloc?q=1"), fasthttp.AcquireResponse()
				defer fasthttp.ReleaseRequest(req)
				defer fasthttp.ReleaseResponse(resp)
				var hash uint64
				do := func() {
					hash++
					if _, err := u.Do(req, resp, hash, time.Second); err != nil {
						t.Fatalf("Do = %v", err)
					}
				}
				for range 20 {
					do()
				}
				if n := testing.AllocsPerRun(200, do); n != 0 {
					t.Errorf("Do allocs = %v, want 0", n)
				}
			})
		}
	}
}

// sinkBuf is where the streamed body alloc test reads to.
var sinkBuf [32 << 10]byte

// TestDoStreamedAllocs runs a streamed Do, reads the body to its end
// and closes it, as the proxy's front end does, for each framing a
// stream handles; the connection goes back to the pool every time.
func TestDoStreamedAllocs(t *testing.T) {
	body := strings.Repeat("0123456789abcdef", 8<<10) // 128 KiB
	chunk := strconv.FormatInt(int64(len(body)/2), 16) + "\r\n" + body[:len(body)/2] + "\r\n"
	tests := []struct {
		name string
		raw  string
	}{
		{name: "fixed length",
			raw: "HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(body)) +
				"\r\n\r\n" + body},
		{name: "chunked", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
			chunk + chunk + "0\r\nX-Sum: 1\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := scriptBackend(t, writeAnswer(tt.raw, true))
			u := newTestUpstream(t, Config{Targets: targets(b.addr), StreamResponseBody: true})
			req, resp := get("/stream"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			do := func() {
				if _, err := u.Do(req, resp, 0, time.Second); err != nil {
					t.Fatalf("Do = %v", err)
				}
				s := resp.BodyStream()
				n := 0
				for {
					m, err := s.Read(sinkBuf[:])
					n += m
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("read = %v", err)
					}
				}
				if n != len(body) {
					t.Fatalf("read %d bytes, want %d", n, len(body))
				}
				if err := resp.CloseBodyStream(); err != nil {
					t.Fatalf("CloseBodyStream = %v", err)
				}
			}
			for range 20 {
				do()
			}
			if n := testing.AllocsPerRun(200, do); n != 0 {
				t.Errorf("streamed Do allocs = %v, want 0", n)
			}
			if got := b.accepted.Load(); got != 1 {
				t.Errorf("upstream accepted %d connections, want 1", got)
			}
		})
	}
}

func TestPickAllocs(t *testing.T) {
	for _, policy := range allBalancers {
		t.Run(policy, func(t *testing.T) {
			u := newTestUpstream(t, Config{Balance: policy,
				Targets: targets("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3")})
			u.targets[1].healthy.Store(false)
			u.targets[2].ejectedUntil.Store(time.Now().Add(time.Hour).UnixNano())
			var h uint64
			if n := testing.AllocsPerRun(200, func() {
				h += 0x9e3779b97f4a7c15
				u.bal.pick(h, 0)
			}); n != 0 {
				t.Errorf("pick allocs = %v, want 0", n)
			}
		})
	}
}

func TestHashAllocs(t *testing.T) {
	var hdr fasthttp.RequestHeader
	hdr.Set("X-Tenant", "t1")
	v := &view.Request{Path: []byte("/p"), ClientIP: netip.MustParseAddr("2001:db8::1"),
		Header: &hdr}
	for _, key := range []string{"", "path", "client_ip", "header:X-Tenant", "consumer"} {
		t.Run(key, func(t *testing.T) {
			u := newTestUpstream(t, Config{Balance: BalanceConsistentHash, HashKey: key,
				Targets: targets("127.0.0.1:1")})
			if n := testing.AllocsPerRun(200, func() { u.HashWith(v, "carol") }); n != 0 {
				t.Errorf("HashWith allocs = %v, want 0", n)
			}
		})
	}
}
