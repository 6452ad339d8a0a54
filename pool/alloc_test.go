//go:build !race

package pool

import (
	"net/netip"
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
