//go:build !race

package auth_test

import (
	"testing"
	"time"
)

// TestCheckAllocs proves that the request path allocates nothing when no
// credential is needed or the credential is an API key or was verified
// before (cached). Each run puts the credential and a forged identity
// header back, as a new request would carry them.
func TestCheckAllocs(t *testing.T) {
	a := newAuth(t, jwtConfig(t))
	k := testKeys()
	tokHS := sign(t, jwtHS256, []byte(secret), "", claims("alice"))
	tokES := sign(t, jwtES256, k.ec256, "ec256", claims("alice"))
	tests := []struct {
		name, route, hdr, value string
		status                  int
	}{
		{name: "no route", route: "none", hdr: "X-Consumer", value: "forged"},
		{name: "open route", route: "open", hdr: "X-Consumer", value: "forged"},
		{name: "api key", route: "any", hdr: "X-API-Key", value: aliceKey},
		{name: "bad api key", route: "any", hdr: "X-API-Key", value: "nope", status: 401},
		{name: "no credentials", route: "any", hdr: "X-Other", value: "1", status: 401},
		{name: "cached HS256", route: "any", hdr: "Authorization", value: bearer(tokHS)},
		{name: "cached ES256", route: "any", hdr: "Authorization", value: bearer(tokES)},
		{name: "cached basic", route: "any", hdr: "Authorization", value: basic(carolUser, carolPass)},
		{name: "forbidden", route: "bobonly", hdr: "X-API-Key", value: aliceKey, status: 403},
		{name: "ip denied", route: "ipv4", hdr: "X-API-Key", value: aliceKey, status: 403},
	}
	now := time.Now()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest("/x")
			rp := a.Route(tt.route)
			run := func() {
				r.req.Header.Set(tt.hdr, tt.value)
				r.req.Header.Set("X-Consumer", "forged")
				if got := a.CheckAt(rp, &r.v, now); got.Status != tt.status {
					t.Fatalf("CheckAt = %d %q, want %d", got.Status, got.Reason, tt.status)
				}
			}
			run() // fill the cache and the header buffers
			if n := testing.AllocsPerRun(200, run); n != 0 {
				t.Errorf("CheckAt allocates %v times per run, want 0", n)
			}
		})
	}
}
