//go:build !race

package limits

import (
	"testing"
	"time"
)

func TestCheckAtAllocs(t *testing.T) {
	e := newEngine(t, plansTOML+`
[routes.tenant]
path = "/tenant"
upstream = "app"
limits = [{ rate = "1000 per 1s", key = ["header:X-Tenant", "api_key", "route"] }]
`, nil)
	tests := []struct {
		name, route, consumer string
		n                     int // requests before measuring, to reach a state
	}{
		{name: "admitted with quota", route: "api", consumer: "alice"},
		{name: "refused", route: "api", consumer: "carol", n: 10},
		{name: "hidden and legacy headers", route: "api", consumer: "bob"},
		{name: "anonymous", route: "api"},
		{name: "combined key", route: "tenant", consumer: "mallory"},
		{name: "consumer met at run time", route: "open", consumer: "zed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := request("10.0.0.7", "X-Tenant", "t1", "X-Api-Key", "secret")
			rp := e.Route(tt.route)
			admitN(e, tt.route, v, tt.consumer, t0, tt.n+1)
			d := new(Decision)
			var body []byte
			var h nopHeader
			got := testing.AllocsPerRun(500, func() {
				*d = e.CheckAt(rp, v, tt.consumer, t0.Add(time.Millisecond))
				d.WriteHeaders(h)
				body = d.AppendBody(body[:0], []byte("req-1"))
			})
			if got != 0 {
				t.Errorf("CheckAt+WriteHeaders+AppendBody allocs = %v, want 0", got)
			}
		})
	}
}

// TestCheckAtAllocsSynced checks that synced mode keeps Redis off the
// request path: decisions allocate nothing.
func TestCheckAtAllocsSynced(t *testing.T) {
	rs := startRedis(t)
	e := newRedisEngine(t, redisTOML(rs, "synced", "alloc:", "1000000 per 1m"), nil)
	rp, v := e.Route("api"), request("10.0.0.7")
	d := new(Decision)
	var h nopHeader
	got := testing.AllocsPerRun(500, func() {
		*d = e.CheckAt(rp, v, "alice", time.Now())
		d.WriteHeaders(h)
	})
	if got != 0 {
		t.Errorf("synced CheckAt allocs = %v, want 0", got)
	}
}
