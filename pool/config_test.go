package pool

import (
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gw/portico/config"
)

func TestFromConfig(t *testing.T) {
	zero, two := 0, 2
	tests := []struct {
		name        string
		in          config.Upstream
		wantRetries int
	}{
		{name: "retries unset is the default", in: config.Upstream{}, wantRetries: 1},
		{name: "retries 0 disables", in: config.Upstream{Retries: &zero}, wantRetries: 0},
		{name: "retries 2", in: config.Upstream{Retries: &two}, wantRetries: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Targets = []config.Target{{Address: "127.0.0.1:1", Weight: 4},
				{Address: "127.0.0.1:2"}}
			tt.in.HashKey = "path"
			tt.in.Balance = BalanceConsistentHash
			tt.in.MaxResponseHeaders = 4096
			cfg := FromConfig("api", tt.in, slog.New(slog.DiscardHandler))
			u := newTestUpstream(t, cfg)
			if u.set.retries != tt.wantRetries {
				t.Errorf("retries = %d, want %d", u.set.retries, tt.wantRetries)
			}
			if u.Name() != "api" || len(u.Targets()) != 2 || u.Targets()[0].Weight() != 4 ||
				u.Targets()[1].Weight() != 1 || u.set.hashSource != hashPath ||
				u.set.MaxResponseHeaderBytes != 4096 {
				t.Errorf("upstream from config = %+v", u.set)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{name: "no targets", cfg: Config{}, want: "no targets"},
		{name: "no port", cfg: Config{Targets: targets("localhost")}, want: "host:port"},
		{name: "weight", cfg: Config{Targets: []TargetConfig{{Addr: "a:1", Weight: 1001}}},
			want: "weight"},
		{name: "balance", cfg: Config{Targets: targets("a:1"), Balance: "fastest"},
			want: "balance"},
		{name: "hash key", cfg: Config{Targets: targets("a:1"), HashKey: "cookie"},
			want: "hash_key"},
		{name: "health path", cfg: Config{Targets: targets("a:1"),
			Health: &config.HealthCheck{Path: "healthz"}}, want: "health_check.path"},
		{name: "outlier percent", cfg: Config{Targets: targets("a:1"),
			Outlier: &config.Outlier{MaxEjectedPercent: 150}}, want: "outlier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Name = "api"
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) ||
				!strings.HasPrefix(err.Error(), "pool: ") {
				t.Errorf("New = %v, want an error about %s", err, tt.want)
			}
		})
	}
}

func TestNewDefaultsDoNotWriteConfig(t *testing.T) {
	hc := &config.HealthCheck{Path: "/h"}
	if _, err := New(Config{Targets: targets("a:1"), Health: hc}); err != nil {
		t.Fatalf("New: %v", err)
	}
	if hc.Interval != 0 || hc.HealthyThreshold != 0 {
		t.Errorf("New wrote defaults into the caller's health check: %+v", hc)
	}
}

func TestDialHooks(t *testing.T) {
	addr := okBackend(t)
	tests := []struct {
		name string
		set  func(*Config, *atomic.Int32)
	}{
		{name: "Dial", set: func(c *Config, n *atomic.Int32) {
			c.Dial = func(a string) (net.Conn, error) {
				n.Add(1)
				return net.DialTimeout("tcp", a, time.Second)
			}
		}},
		{name: "DialTimeout", set: func(c *Config, n *atomic.Int32) {
			c.DialTimeout = func(a string, d time.Duration) (net.Conn, error) {
				n.Add(1)
				if d <= 0 || d > DefaultConnectTimeout {
					t.Errorf("DialTimeout got %v, want (0, %v]", d, DefaultConnectTimeout)
				}
				return net.DialTimeout("tcp", a, d)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dials atomic.Int32
			cfg := Config{Targets: targets(addr)}
			tt.set(&cfg, &dials)
			u := newTestUpstream(t, cfg)
			req, resp := get("/"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for range 3 {
				if _, err := u.Do(req, resp, 0, time.Second); err != nil {
					t.Fatalf("Do = %v", err)
				}
			}
			if n := dials.Load(); n != 1 {
				t.Errorf("dials = %d, want 1 (keep-alive reuse)", n)
			}
		})
	}
}

func TestDoConnectTimeout(t *testing.T) {
	live := okBackend(t)
	const slow = "127.0.0.1:9" // never dialled: the hook stands in for a black hole
	tests := []struct {
		name    string
		retries int
		wantErr error
	}{
		{name: "retried on the next target", retries: 1},
		{name: "504 without retries", retries: -1, wantErr: ErrConnectTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newTestUpstream(t, Config{
				Targets:        targets(slow, live),
				Retries:        tt.retries,
				ConnectTimeout: 50 * time.Millisecond,
				DialTimeout: func(a string, d time.Duration) (net.Conn, error) {
					if a == slow {
						// A SYN that is never answered ends like this.
						return nil, fasthttp.ErrDialTimeout
					}
					return net.DialTimeout("tcp", a, d)
				},
			})
			req, resp := get("/"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.Header.SetMethod("POST")
			_, err := u.Do(req, resp, 0, time.Second)
			if err != tt.wantErr {
				t.Fatalf("Do = %v, want %v", err, tt.wantErr)
			}
			if err != nil && StatusFor(err) != 504 {
				t.Errorf("StatusFor(%v) = %d, want 504", err, StatusFor(err))
			}
		})
	}
}

func TestPickAndDial(t *testing.T) {
	live := okBackend(t)
	dead := deadAddr(t)
	u := newTestUpstream(t, Config{Targets: targets(dead, live), HostHeader: "ws.internal"})

	// The dead target fails to dial; once it is down, Pick skips it.
	tg := u.Pick(0)
	if tg.Addr() != dead {
		t.Fatalf("first Pick = %s, want %s", tg.Addr(), dead)
	}
	if _, err := tg.Dial(); err != ErrConnect {
		t.Fatalf("Dial(%s) = %v, want %v", dead, err, ErrConnect)
	}
	tg.healthy.Store(false)
	for range 3 {
		tg := u.Pick(0)
		if tg == nil || tg.Addr() != live {
			t.Fatalf("Pick with %s down = %v, want %s", dead, tg, live)
		}
		c, err := tg.Dial()
		if err != nil {
			t.Fatalf("Dial(%s) = %v", live, err)
		}
		if _, ok := c.(*checkedConn); ok {
			t.Errorf("Dial returned a checked connection; tunnels need the bare one")
		}
		c.Close()
	}

	var h fasthttp.RequestHeader
	h.SetHost("client.example")
	u.SetHost(&h, tg)
	if got := string(h.Host()); got != "ws.internal" {
		t.Errorf("SetHost gave Host %q, want ws.internal", got)
	}
	u.targets[1].healthy.Store(false)
	if tg := u.Pick(0); tg != nil {
		t.Errorf("Pick with all down = %s, want nil", tg.Addr())
	}
}
