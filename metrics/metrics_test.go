package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestObserveAndScrape(t *testing.T) {
	r := New()
	rt := r.Route("users")
	tests := []struct {
		name     string
		status   int
		total    time.Duration
		upstream time.Duration
	}{
		{name: "proxied ok", status: 200, total: 900 * time.Microsecond, upstream: 800 * time.Microsecond},
		{name: "limited", status: 429, total: 30 * time.Microsecond},
		{name: "upstream down", status: 502, total: 2 * time.Millisecond, upstream: 2 * time.Millisecond},
	}
	for _, tt := range tests {
		rt.Observe(tt.status, tt.total, tt.upstream)
	}
	rt.UpstreamError(502)
	r.NoRoute().Observe(404, 10*time.Microsecond, 0)
	var nilRoute *Route
	nilRoute.Observe(200, time.Millisecond, 0) // must not panic

	var ctx fasthttp.RequestCtx
	r.Handler()(&ctx)
	body := string(ctx.Response.Body())
	for _, want := range []string{
		`portico_requests_total{class="2xx",route="users"} 1`,
		`portico_requests_total{class="4xx",route="users"} 1`,
		`portico_requests_total{class="5xx",route="users"} 1`,
		`portico_requests_total{class="4xx",route="(none)"} 1`,
		`portico_upstream_errors_total{route="users",status="502"} 1`,
		`portico_gateway_overhead_seconds_count 2`,
		`portico_upstream_duration_seconds_count{route="users"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}
