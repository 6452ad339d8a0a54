package auth_test

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/portico-gw/portico/config"
)

// BenchmarkCheck measures the cost of Check per request for each way of
// authenticating. "cold" cases defeat the cache by moving the clock past
// cache_ttl on every call (tokens expire in a century), so each call pays
// the full signature or bcrypt check; "cached" cases present the same
// credential again. "off" is the baseline of a route without access
// rules: the global IP lists and the identity header removal only.
//
// basic-cold uses bcrypt's default cost, tens of milliseconds per call:
// run it with -benchtime=200ms, not a fixed large count.
func BenchmarkCheck(b *testing.B) {
	k := testKeys()
	f := jwtConfig(b)
	f.Auth.CacheTTL = time.Second
	// A realistic bcrypt cost for the cold Basic case.
	hash, err := bcrypt.GenerateFromPassword([]byte(carolPass), bcrypt.DefaultCost)
	if err != nil {
		b.Fatal(err)
	}
	f.Consumers["carol"] = config.Consumer{Groups: []string{"staff"}, BasicUser: carolUser,
		BasicHash: string(hash)}
	a := newAuth(b, f)

	c := claims("alice")
	c["exp"] = time.Now().AddDate(100, 0, 0).Unix()
	tok := func(m jwt.SigningMethod, key any, kid string) string {
		return bearer(sign(b, m, key, kid, c))
	}
	cases := []struct {
		name, route, hdr, value string
		cold                    bool
	}{
		{name: "off", route: "open", hdr: "X-Other", value: "1"},
		{name: "key", route: "any", hdr: "X-API-Key", value: aliceKey},
		{name: "jwt-HS256-cached", route: "any", hdr: "Authorization",
			value: tok(jwt.SigningMethodHS256, []byte(secret), "")},
		{name: "jwt-HS256-cold", route: "any", hdr: "Authorization", cold: true,
			value: tok(jwt.SigningMethodHS256, []byte(secret), "")},
		{name: "jwt-RS256-cached", route: "any", hdr: "Authorization",
			value: tok(jwt.SigningMethodRS256, k.rsa, "")},
		{name: "jwt-RS256-cold", route: "any", hdr: "Authorization", cold: true,
			value: tok(jwt.SigningMethodRS256, k.rsa, "")},
		{name: "jwt-ES256-cold", route: "any", hdr: "Authorization", cold: true,
			value: tok(jwt.SigningMethodES256, k.ec256, "ec256")},
		{name: "jwt-EdDSA-cold", route: "any", hdr: "Authorization", cold: true,
			value: tok(jwt.SigningMethodEdDSA, k.ed, "ed")},
		{name: "basic-cached", route: "any", hdr: "Authorization", value: basic(carolUser, carolPass)},
		{name: "basic-cold", route: "any", hdr: "Authorization", cold: true,
			value: basic(carolUser, carolPass)},
	}
	// One clock for every case and every -count round, only ever moved
	// forward, so that a cold case never finds an entry cached by an
	// earlier round.
	now := time.Now()
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			r := newRequest("/x")
			rp := a.Route(bc.route)
			r.req.Header.Set(bc.hdr, bc.value)
			a.CheckAt(rp, &r.v, now) // fill the cache for the cached cases
			b.ReportAllocs()
			for b.Loop() {
				if bc.cold {
					now = now.Add(2 * time.Second)
				}
				r.req.Header.Set(bc.hdr, bc.value)
				if got := a.CheckAt(rp, &r.v, now); got.Status != 0 {
					b.Fatalf("CheckAt = %d %q", got.Status, got.Reason)
				}
			}
		})
	}
}

// BenchmarkCheckParallel measures cached checks from every core at once,
// the contention on the cache shards' read locks.
func BenchmarkCheckParallel(b *testing.B) {
	a := newAuth(b, baseConfig())
	cases := []struct{ name, hdr, value string }{
		{"key", "X-API-Key", aliceKey},
		{"jwt-cached", "Authorization", bearer(sign(b, jwtHS256, []byte(secret), "", claims("alice")))},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			rp := a.Route("any")
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := newRequest("/x")
				for pb.Next() {
					r.req.Header.Set(bc.hdr, bc.value)
					if got := a.Check(rp, &r.v); got.Status != 0 {
						b.Errorf("Check = %d %q", got.Status, got.Reason)
						return
					}
				}
			})
		})
	}
}
