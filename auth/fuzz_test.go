package auth_test

import (
	"strings"
	"testing"
)

// FuzzCheck sends arbitrary Authorization and API key values through
// Check. It must never panic, never admit anything but the configured
// credentials, and never leave a credential or a client-sent identity
// header on an admitted request.
func FuzzCheck(f *testing.F) {
	a := newAuth(f, baseConfig())
	tok := sign(f, jwtHS256, []byte(secret), "", claims("alice"))
	seeds := [][2]string{
		{bearer(tok), ""},
		{bearer(tok[:len(tok)-2]), ""},
		{bearer(strings.Replace(tok, ".", "..", 1)), ""},
		{"Bearer " + strings.Repeat("A", 5000), ""},
		{basic(carolUser, carolPass), ""},
		{basic(carolUser, ""), ""},
		{"Basic " + strings.Repeat("=", 30), ""},
		{"Basic", ""},
		{"", aliceKey},
		{"", aliceKey + "\x00"},
		{"Negotiate abc", "x"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, authz, key string) {
		r := newRequest("/x")
		if authz != "" {
			r.req.Header.Set("Authorization", authz)
		}
		if key != "" {
			r.req.Header.Set("X-API-Key", key)
		}
		r.req.Header.Set("X-Consumer", "forged")
		// fasthttp may refuse or normalise odd values: decide from what
		// the gateway actually sees.
		sentKey := string(r.req.Header.Peek("X-API-Key"))
		sentAuth := string(r.req.Header.Peek("Authorization"))

		got := a.Check(a.Route("any"), &r.v)
		if got.Status != 0 {
			return
		}
		switch got.Consumer {
		case "alice":
			if sentKey != aliceKey && !strings.Contains(sentAuth, tok) {
				t.Fatalf("admitted alice with key %q, authorization %q", sentKey, sentAuth)
			}
		case "carol":
			if !strings.HasSuffix(sentAuth, basic(carolUser, carolPass)[len("Basic "):]) {
				t.Fatalf("admitted carol with authorization %q", sentAuth)
			}
		case "bob":
			t.Fatalf("admitted bob with key %q, authorization %q", sentKey, sentAuth)
		default:
			t.Fatalf("admitted %q on a route without anonymous access", got.Consumer)
		}
		if v := r.req.Header.Peek("X-Consumer"); string(v) != got.Consumer {
			t.Fatalf("X-Consumer = %q, want %q", v, got.Consumer)
		}
		if r.req.Header.Peek("X-API-Key") != nil && sentKey != "" {
			t.Fatal("API key left on an admitted request")
		}
	})
}
