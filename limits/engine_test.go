package limits

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// plansTOML is the policy most tests use.
const plansTOML = `
[auth]
key_header = "X-Api-Key"

[plans.free]
limits = [{ name = "free-min", rate = "3 per 1m" }]
quota = { requests = 5, period = "day" }

[plans.pro]
limits = [
  { name = "pro-sec", rate = "10 per 1s", headers = "both" },
  { name = "pro-guard", rate = "4 per 1m", key = ["ip"], hidden = true },
]

[plans.anonymous]
limits = [{ name = "anon", rate = "2 per 1m", key = ["ip"], headers = "legacy" }]

[plans.default]
limits = [{ name = "dflt", rate = "1 per 1m" }]

[consumers.alice]
plan = "free"

[consumers.bob]
plan = "pro"

[consumers.carol]
plan = "free"
`

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		keys  string
	}{
		{name: "bad rate", extra: `
[plans.free]
limits = [{ rate = "100 each second" }]`, keys: "plans.free.limits[0].rate"},
		{name: "bad key and headers", extra: `
[plans.free]
limits = [{ rate = "1 per 1s", key = ["ip", "cookie"], headers = "all" }]`,
			keys: "plans.free.limits[0].headers\nplans.free.limits[0].key[1]"},
		{name: "bad name", extra: `
[plans.free]
limits = [{ name = "has space", rate = "1 per 1s" }]`, keys: "plans.free.limits[0].name"},
		{name: "unknown plan of consumer", extra: `
[consumers.alice]
plan = "gold"`, keys: "consumers.alice.plan"},
		{name: "bad quota", extra: `
[plans.free]
quota = { requests = 0, period = "week" }`,
			keys: "plans.free.quota.requests\nplans.free.quota.period"},
		{name: "redis without table", extra: `
[limiter]
backend = "redis"`, keys: "limiter.redis"},
		{name: "bad shards", extra: `
[limiter]
shards = 12`, keys: "limiter.shards"},
		{name: "bad backend", extra: `
[limiter]
backend = "memcached"`, keys: "limiter.backend"},
		{name: "bad redis fields", extra: `
[limiter]
backend = "redis"
[limiter.redis]
address = "nowhere"
mode = "eventual"
timeout = "10s"`,
			keys: "limiter.redis.address\nlimiter.redis.mode\nlimiter.redis.timeout"},
		{name: "too many limits", extra: `
[plans.free]
limits = [
  { rate = "1 per 1s" }, { rate = "2 per 1s" }, { rate = "3 per 1s" },
  { rate = "4 per 1s" }, { rate = "5 per 1s" }, { rate = "6 per 1s" },
  { rate = "7 per 1s" }, { rate = "8 per 1s" },
]`, keys: "routes.api.limits\nroutes.open.limits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(parse(t, tt.extra), nil, quietLogger())
			if got := errorKeys(err); got != tt.keys {
				t.Errorf("New() errors at\n%s\nwant\n%s\n(%v)", got, tt.keys, err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "test.toml:") {
				t.Errorf("New() = %v, want located errors", err)
			}
		})
	}
}

func TestNoLimits(t *testing.T) {
	e := newEngine(t, "", nil)
	if rp := e.Route("api"); rp != nil {
		t.Errorf("Route(api) = %v, want nil without plans", rp)
	}
	d := e.CheckAt(nil, request("10.0.0.1"), "", t0)
	if !d.Allowed() {
		t.Errorf("CheckAt(nil) refused")
	}
}

func TestCheckAt(t *testing.T) {
	// step is n requests on route by consumer from ip, at t0+at.
	type step struct {
		route, consumer, ip string
		at                  time.Duration
		n, want             int
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "consumer plan", steps: []step{
			{route: "api", consumer: "alice", ip: "10.0.0.1", n: 5, want: 3},
			// Another consumer of the same plan has its own counter.
			{route: "api", consumer: "carol", ip: "10.0.0.1", n: 5, want: 3},
		}},
		{name: "counter shared across routes by default", steps: []step{
			{route: "api", consumer: "alice", ip: "10.0.0.1", n: 2, want: 2},
			{route: "open", consumer: "alice", ip: "10.0.0.2", n: 2, want: 1},
		}},
		{name: "anonymous by ip", steps: []step{
			{route: "api", ip: "10.0.0.1", n: 3, want: 2},
			{route: "api", ip: "10.0.0.2", n: 3, want: 2},
		}},
		{name: "unlisted consumer uses default plan", steps: []step{
			{route: "api", consumer: "mallory", ip: "10.0.0.1", n: 3, want: 1},
		}},
		{name: "hidden guard limit", steps: []step{
			{route: "api", consumer: "bob", ip: "10.0.0.1", n: 6, want: 4},
		}},
		{name: "quota counts only admitted requests", steps: []step{
			{route: "api", consumer: "alice", ip: "10.0.0.1", n: 5, want: 3},
			{route: "api", consumer: "alice", ip: "10.0.0.1", at: 2 * time.Minute, n: 5, want: 2},
			{route: "api", consumer: "alice", ip: "10.0.0.1", at: 4 * time.Minute, n: 5, want: 0},
			{route: "api", consumer: "alice", ip: "10.0.0.1", at: 24 * time.Hour, n: 5, want: 3},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, plansTOML, nil)
			for i, s := range tt.steps {
				got := admitN(e, s.route, request(s.ip), s.consumer, t0.Add(s.at), s.n)
				if got != s.want {
					t.Errorf("step %d: %d of %d admitted, want %d", i, got, s.n, s.want)
				}
			}
		})
	}
}

func TestRouteOverrides(t *testing.T) {
	const extra = `
[routes.search]
path = "/search"
upstream = "app"
plan = "pro"
limits = [{ name = "search", rate = "2 per 1s", key = ["route"] }]
`
	e := newEngine(t, plansTOML+extra, nil)
	// alice is on free (3 per minute) but the route's plan is pro; the
	// route's own limit of 2 per second, keyed by route, binds first.
	if got := admitN(e, "search", request("10.0.0.1"), "alice", t0, 5); got != 2 {
		t.Errorf("search: %d admitted, want 2", got)
	}
	// The route key is shared by every caller.
	if got := admitN(e, "search", request("10.0.0.9"), "bob", t0, 5); got != 0 {
		t.Errorf("search, other caller: %d admitted, want 0", got)
	}
	// Refused requests were refunded on pro-sec: bob still has his pro
	// limits elsewhere.
	if got := admitN(e, "api", request("10.0.0.9"), "bob", t0, 3); got != 3 {
		t.Errorf("api after search: %d admitted, want 3", got)
	}
}

func TestKeys(t *testing.T) {
	const extra = `
[auth]
key_header = "X-Api-Key"
[plans.anonymous]
limits = [
  { name = "by-key", rate = "1 per 1m", key = ["api_key"] },
]
[routes.tenant]
path = "/tenant"
upstream = "app"
limits = [{ name = "tenant", rate = "1 per 1m", key = ["header:X-Tenant", "ip"] }]
`
	e := newEngine(t, extra, nil)
	tests := []struct {
		name  string
		route string
		ip    string
		kv    []string
		want  bool
	}{
		{name: "first key", route: "api", ip: "10.0.0.1", kv: []string{"X-Api-Key", "k1"}, want: true},
		{name: "same key other ip", route: "api", ip: "10.0.0.2",
			kv: []string{"X-Api-Key", "k1"}, want: false},
		{name: "other key", route: "api", ip: "10.0.0.2", kv: []string{"X-Api-Key", "k2"}, want: true},
		{name: "no key counts by ip", route: "api", ip: "10.0.0.3", want: true},
		{name: "no key same ip", route: "api", ip: "10.0.0.3", want: false},
		{name: "tenant a", route: "tenant", ip: "10.0.1.1",
			kv: []string{"X-Tenant", "a", "X-Api-Key", "t1"}, want: true},
		{name: "tenant b same ip", route: "tenant", ip: "10.0.1.1",
			kv: []string{"X-Tenant", "b", "X-Api-Key", "t2"}, want: true},
		{name: "tenant a again", route: "tenant", ip: "10.0.1.1",
			kv: []string{"X-Tenant", "a", "X-Api-Key", "t3"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := e.CheckAt(e.Route(tt.route), request(tt.ip, tt.kv...), "", t0)
			if d.Allowed() != tt.want {
				t.Errorf("Allowed() = %v, want %v", d.Allowed(), tt.want)
			}
		})
	}
}

// TestTableFull fills the counter table: callers without a counter of
// their own share one per limit, so they are limited together.
func TestTableFull(t *testing.T) {
	e := newEngine(t, `
[limiter]
max_keys = 16
shards = 1
[plans.anonymous]
limits = [{ name = "anon", rate = "2 per 1m", key = ["ip"] }]
`, nil)
	admitted := 0
	for i := range 100 {
		v := request("10.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250+1))
		admitted += admitN(e, "api", v, "", t0, 1)
	}
	// 16 callers have counters of their own (one request each fits); the
	// other 84 share one counter of 2.
	if admitted != 16+2 {
		t.Errorf("admitted %d of 100 single requests, want 18", admitted)
	}
	if st := e.Stats(); st.Keys != 17 || st.TableFull != 84 || st.MaxKeys != 16 {
		t.Errorf("Stats() = %+v, want 17 keys (16 and the shared one), 84 full", st)
	}
}

func TestMonthlyQuota(t *testing.T) {
	e := newEngine(t, `
[plans.metered]
quota = { requests = 2, period = "month" }
[consumers.dan]
plan = "metered"
`, nil)
	endOfMarch := time.Date(2026, 3, 31, 23, 59, 0, 0, time.UTC)
	tests := []struct {
		name  string
		at    time.Time
		want  bool
		retry int64
	}{
		{name: "first of March", at: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), want: true},
		{name: "last minute of March", at: endOfMarch, want: true},
		{name: "over the quota", at: endOfMarch, want: false, retry: 60},
		{name: "first of April", at: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := e.CheckAt(e.Route("api"), request("10.0.0.1"), "dan", tt.at)
			if d.Allowed() != tt.want || d.RetryAfter() != tt.retry {
				t.Errorf("CheckAt at %v: allowed %v retry %d, want %v %d",
					tt.at, d.Allowed(), d.RetryAfter(), tt.want, tt.retry)
			}
			if !tt.want && !d.QuotaExhausted() {
				t.Error("QuotaExhausted() = false, want true")
			}
		})
	}
}
