//go:build !race

package cors_test

import (
	"testing"

	"github.com/portico-gw/portico/config"
)

// TestHandleAllocs proves that Handle allocates nothing once the response
// header buffers have grown.
func TestHandleAllocs(t *testing.T) {
	p := mustNew(t, config.CORS{
		Origins: []string{"https://app.example.com", "https://*.example.org"},
		Methods: []string{"PUT"}, Headers: []string{"X-A"}, ExposeHeaders: []string{"X-B"},
		Credentials: true, MaxAge: 600e9,
	})
	tests := []struct {
		name, method string
		hdr          []string
	}{
		{name: "simple", method: "GET", hdr: []string{"Origin", "https://app.example.com"}},
		{name: "pattern", method: "GET", hdr: []string{"Origin", "https://a.example.org"}},
		{name: "refused", method: "GET", hdr: []string{"Origin", "https://evil.test"}},
		{name: "preflight", method: "OPTIONS", hdr: []string{"Origin", "https://app.example.com",
			"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "x-a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newExchange(tt.method, tt.hdr...)
			run := func() {
				e.resp.Reset()
				p.Handle(&e.v, &e.resp)
			}
			run()
			if n := testing.AllocsPerRun(200, run); n != 0 {
				t.Errorf("Handle allocates %v times per run, want 0", n)
			}
		})
	}
}
