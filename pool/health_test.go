package pool

import (
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gw/portico/config"
)

func TestHealthCheck(t *testing.T) {
	tests := []struct {
		name   string
		expect []int
		// okStatus and badStatus are what the backend answers while it is
		// meant to pass and to fail the probe.
		okStatus, badStatus int
	}{
		{name: "default 2xx-3xx", okStatus: 204, badStatus: 500},
		{name: "4xx fails by default", okStatus: 301, badStatus: 404},
		{name: "expect_status", expect: []int{418}, okStatus: 418, badStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var failing atomic.Bool
			probes := make(chan string, 64)
			addr := startBackend(t, func(ctx *fasthttp.RequestCtx) {
				if string(ctx.Path()) != "/healthz" {
					return
				}
				select {
				case probes <- string(ctx.Host()):
				default:
				}
				if failing.Load() {
					ctx.SetStatusCode(tt.badStatus)
				} else {
					ctx.SetStatusCode(tt.okStatus)
				}
			})
			rec := newLogRecorder()
			u := newTestUpstream(t, Config{
				Targets: targets(addr),
				Health: &config.HealthCheck{Path: "/healthz", Interval: 10 * time.Millisecond,
					Timeout: time.Second, HealthyThreshold: 2, UnhealthyThreshold: 3,
					ExpectStatus: tt.expect},
				Logger: slog.New(rec),
			})
			u.Start()
			if host := <-probes; host != addr {
				t.Errorf("probe Host = %q, want %q", host, addr)
			}

			failing.Store(true)
			rec.wait(t, "upstream target down", ioTimeout)
			if st := u.Status()[0]; st.Healthy {
				t.Errorf("Status after failing probes = %+v, want unhealthy", st)
			}
			req, resp := get("/"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			if _, err := u.Do(req, resp, 0, time.Second); err != ErrNoTarget {
				t.Errorf("Do on a down target = %v, want %v", err, ErrNoTarget)
			}

			failing.Store(false)
			rec.wait(t, "upstream target up", ioTimeout)
			if _, err := u.Do(req, resp, 0, time.Second); err != nil {
				t.Errorf("Do after recovery = %v, want nil", err)
			}
		})
	}
}

func TestHealthCheckCloseStops(t *testing.T) {
	addr := okBackend(t)
	u, err := New(Config{Name: "x", Targets: targets(addr, addr),
		Health: &config.HealthCheck{Path: "/", Interval: time.Millisecond}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	u.Start()
	u.Start()
	done := make(chan struct{})
	go func() {
		u.Close()
		u.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(ioTimeout):
		t.Fatal("Close did not return")
	}
}
