package pool

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gw/portico/config"
)

func TestEjectionDoubles(t *testing.T) {
	u := newTestUpstream(t, Config{Targets: targets("127.0.0.1:1", "127.0.0.1:2"),
		Outlier: &config.Outlier{ConsecutiveFailures: 2, EjectionTime: time.Minute}})
	tg := u.targets[0]
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute,
		MaxEjectionTime, MaxEjectionTime}
	for i, w := range want {
		tg.failed()
		if tg.ejectedUntil.Load() != 0 {
			t.Fatalf("ejection %d: ejected after one failure, want two", i)
		}
		before := time.Now()
		tg.failed()
		got := time.Duration(tg.ejectedUntil.Load() - before.UnixNano())
		if got < w-time.Second || got > w+time.Second {
			t.Fatalf("ejection %d lasts %v, want %v", i, got, w)
		}
		if tg.available() {
			t.Fatalf("ejection %d: target still available", i)
		}
		// End the ejection early, as if its time had passed.
		tg.ejectedUntil.Store(1)
		if !tg.available() {
			t.Fatalf("ejection %d: target not back after its time", i)
		}
	}
}

func TestEjectionLimit(t *testing.T) {
	tests := []struct {
		name    string
		targets int
		pct     int
		want    int
	}{
		{name: "default 50% of 4", targets: 4, want: 2},
		{name: "50% of 3", targets: 3, pct: 50, want: 2},
		{name: "10% of 4 still allows one", targets: 4, pct: 10, want: 1},
		{name: "100% of 3", targets: 3, pct: 100, want: 3},
		{name: "single target", targets: 1, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var addrs []string
			for i := range tt.targets {
				addrs = append(addrs, "127.0.0.1:"+string(rune('1'+i)))
			}
			u := newTestUpstream(t, Config{Targets: targets(addrs...),
				Outlier: &config.Outlier{ConsecutiveFailures: 1, MaxEjectedPercent: tt.pct}})
			for _, tg := range u.targets {
				tg.failed()
			}
			out := 0
			for _, st := range u.Status() {
				if !st.EjectedUntil.IsZero() {
					out++
				}
			}
			if out != tt.want {
				t.Errorf("ejected %d of %d, want %d", out, tt.targets, tt.want)
			}
		})
	}
}

func TestEjectionOn5xx(t *testing.T) {
	var status atomic.Int32
	status.Store(503)
	addr := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		ctx.SetStatusCode(int(status.Load()))
	})
	tests := []struct {
		name     string
		statuses []int
		ejected  bool
	}{
		{name: "three 5xx in a row", statuses: []int{503, 500, 502}, ejected: true},
		{name: "a success resets the count", statuses: []int{503, 500, 200, 502, 503}},
		{name: "4xx is not a failure", statuses: []int{404, 429, 400, 403}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newTestUpstream(t, Config{Targets: targets(addr),
				Outlier: &config.Outlier{ConsecutiveFailures: 3}})
			req, resp := get("/"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for _, s := range tt.statuses {
				status.Store(int32(s))
				if _, err := u.Do(req, resp, 0, time.Second); err != nil {
					t.Fatalf("Do = %v, want a %d response", err, s)
				}
				if resp.StatusCode() != s {
					t.Fatalf("status = %d, want %d", resp.StatusCode(), s)
				}
			}
			_, err := u.Do(req, resp, 0, time.Second)
			if got := err == ErrNoTarget; got != tt.ejected {
				t.Errorf("Do after %v = %v, want ejected %v", tt.statuses, err, tt.ejected)
			}
		})
	}
}
