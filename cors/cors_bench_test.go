package cors_test

import (
	"testing"

	"github.com/portico-gw/portico/config"
)

// BenchmarkHandle measures a simple cross-origin request and a preflight.
func BenchmarkHandle(b *testing.B) {
	p := mustNew(b, config.CORS{
		Origins: []string{"https://app.example.com", "https://*.example.org"},
		Methods: []string{"PUT"}, Headers: []string{"X-A"}, Credentials: true, MaxAge: 600e9,
	})
	cases := []struct {
		name, method string
		hdr          []string
	}{
		{name: "no-origin", method: "GET"},
		{name: "simple", method: "GET", hdr: []string{"Origin", "https://app.example.com"}},
		{name: "preflight", method: "OPTIONS", hdr: []string{"Origin", "https://a.example.org",
			"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "x-a"}},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			e := newExchange(bc.method, bc.hdr...)
			b.ReportAllocs()
			for b.Loop() {
				e.resp.Reset()
				p.Handle(&e.v, &e.resp)
			}
		})
	}
}
