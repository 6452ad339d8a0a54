package auth

import (
	"testing"
)

// FuzzParseJWKS checks that any document either fails or yields keys of
// the types the JWT library's verifiers accept.
func FuzzParseJWKS(f *testing.F) {
	seeds := []string{
		`{"keys":[]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",` +
			`"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`,
		`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`,
		`{"keys":[{"kty":"RSA","use":"enc"},{"kty":"oct","k":"AAAA"}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"","y":""}]}`,
		`[]`, `{`, ``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ks, err := parseJWKS(data)
		if err != nil {
			return
		}
		if len(ks.keys) == 0 {
			t.Fatal("parseJWKS returned an empty set without an error")
		}
		for _, k := range ks.keys {
			fits := false
			for _, alg := range allAlgs {
				fits = fits || keyFits(alg, k.key)
			}
			if !fits {
				t.Fatalf("parseJWKS key %T fits no algorithm", k.key)
			}
		}
	})
}

func TestCacheBounded(t *testing.T) {
	c := newCache(cacheShards * 4)
	cons := &consumer{name: "x"}
	now := int64(1000)
	for i := range uint64(10000) {
		c.put(i, []byte{byte(i)}, cons, now+10, now)
	}
	if n := c.len(); n > cacheShards*4 {
		t.Errorf("cache holds %d entries, want at most %d", n, cacheShards*4)
	}
	tests := []struct {
		name  string
		h     uint64
		check []byte
		now   int64
		want  *consumer
	}{
		{name: "hit", h: 9999, check: []byte{byte(9999 % 256)}, now: now, want: cons},
		{name: "wrong bytes", h: 9999, check: []byte{1, 2}, now: now},
		{name: "expired", h: 9999, check: []byte{byte(9999 % 256)}, now: now + 10},
		{name: "absent", h: 1 << 40, check: nil, now: now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.get(tt.h, tt.check, tt.now); got != tt.want {
				t.Errorf("get(%d) = %v, want %v", tt.h, got, tt.want)
			}
		})
	}
}

func TestSplitAuthorization(t *testing.T) {
	tests := []struct {
		name, in string
		scheme   int
		cred     string
	}{
		{name: "bearer", in: "Bearer abc", scheme: schemeBearer, cred: "abc"},
		{name: "case and spaces", in: "BASIC   dXM6cA==", scheme: schemeBasic, cred: "dXM6cA=="},
		{name: "no credentials", in: "Bearer ", scheme: schemeNone},
		{name: "no space", in: "Bearerabc", scheme: schemeNone},
		{name: "other scheme", in: "Digest x=1", scheme: schemeNone},
		{name: "empty", in: "", scheme: schemeNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := splitAuthorization([]byte(tt.in))
			if s != tt.scheme || string(c) != tt.cred {
				t.Errorf("splitAuthorization(%q) = %d %q, want %d %q", tt.in, s, c, tt.scheme, tt.cred)
			}
		})
	}
}
