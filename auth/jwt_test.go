package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/portico-gw/portico/auth"
	"github.com/portico-gw/portico/config"
)

// rsaPEM returns the PKIX PEM encoding of an RSA public key.
func rsaPEM(t testing.TB, pub *rsa.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// writeFile writes data to a new file in the test's temp dir.
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// b64u is base64url without padding, the JOSE encoding.
func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwkOf renders a public key as a JWK (RFC 7517, 7518 §6, 8037 §2).
func jwkOf(t testing.TB, kid string, pub any) map[string]string {
	t.Helper()
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "kid": kid, "use": "sig",
			"n": b64u(k.N.Bytes()), "e": b64u(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PublicKey:
		raw, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		size := (len(raw) - 1) / 2
		crv := map[int]string{32: "P-256", 48: "P-384", 66: "P-521"}[size]
		return map[string]string{"kty": "EC", "kid": kid, "crv": crv,
			"x": b64u(raw[1 : 1+size]), "y": b64u(raw[1+size:])}
	case ed25519.PublicKey:
		return map[string]string{"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64u(k)}
	}
	t.Fatalf("jwkOf: unsupported %T", pub)
	return nil
}

// jwks renders a key set document.
func jwks(t testing.TB, keys ...map[string]string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jwtConfig returns baseConfig with every kind of JWT key: the secret,
// an RSA public key file, and a JWKS file with EC and Ed25519 keys.
func jwtConfig(t testing.TB) *config.File {
	k := testKeys()
	f := baseConfig()
	f.Auth.JWT.PublicKeyFile = writeFile(t, "rsa.pem", rsaPEM(t, &k.rsa.PublicKey))
	f.Auth.JWT.JWKSFile = writeFile(t, "jwks.json", jwks(t,
		jwkOf(t, "ec256", &k.ec256.PublicKey),
		jwkOf(t, "ec384", &k.ec384.PublicKey),
		jwkOf(t, "ed", k.ed.Public()),
		map[string]string{"kty": "oct", "k": "c2VjcmV0"}, // skipped
	))
	return f
}

func TestJWT(t *testing.T) {
	k := testKeys()
	f := jwtConfig(t)
	f.Auth.JWT.Leeway = 30 * time.Second
	a := newAuth(t, f)
	now := time.Now()

	with := func(edit func(c jwt.MapClaims)) jwt.MapClaims {
		c := claims("bob")
		edit(c)
		return c
	}
	pubPEM := rsaPEM(t, &k.rsa.PublicKey)
	tests := []struct {
		name  string
		token string
		want  string // consumer; "" means 401
	}{
		{"HS256", sign(t, jwt.SigningMethodHS256, []byte(secret), "", claims("bob")), "bob"},
		{"HS384", sign(t, jwt.SigningMethodHS384, []byte(secret), "", claims("bob")), "bob"},
		{"HS512", sign(t, jwt.SigningMethodHS512, []byte(secret), "", claims("bob")), "bob"},
		{"RS256", sign(t, jwt.SigningMethodRS256, k.rsa, "", claims("bob")), "bob"},
		{"RS384", sign(t, jwt.SigningMethodRS384, k.rsa, "", claims("bob")), "bob"},
		{"RS512", sign(t, jwt.SigningMethodRS512, k.rsa, "", claims("bob")), "bob"},
		{"ES256 kid", sign(t, jwt.SigningMethodES256, k.ec256, "ec256", claims("bob")), "bob"},
		{"ES256 no kid", sign(t, jwt.SigningMethodES256, k.ec256, "", claims("bob")), "bob"},
		{"ES384", sign(t, jwt.SigningMethodES384, k.ec384, "ec384", claims("bob")), "bob"},
		{"EdDSA", sign(t, jwt.SigningMethodEdDSA, k.ed, "ed", claims("bob")), "bob"},
		{"within leeway", sign(t, jwtHS256, []byte(secret), "", with(func(c jwt.MapClaims) {
			c["exp"] = now.Add(-10 * time.Second).Unix()
		})), "bob"},
		{"audience list", sign(t, jwtHS256, []byte(secret), "", with(func(c jwt.MapClaims) {
			c["aud"] = []string{"other", "api"}
		})), "bob"},

		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claims("bob")), ""},
		{"HS256 with RSA public key as secret", sign(t, jwtHS256, pubPEM, "", claims("bob")), ""},
		{"ES256 wrong kid", sign(t, jwt.SigningMethodES256, k.ec256, "ec384", claims("bob")), ""},
		{"wrong RSA key", sign(t, jwt.SigningMethodRS256, k.rsa2, "", claims("bob")), ""},
		{"wrong secret", sign(t, jwtHS256, []byte(secret+"x"), "", claims("bob")), ""},
		{"expired", sign(t, jwtHS256, []byte(secret), "", with(func(c jwt.MapClaims) {
			c["exp"] = now.Add(-time.Minute).Unix()
		})), ""},
		{"no expiry", sign(t, jwtHS256, []byte(secret), "", with(func(c jwt.MapClaims) {
			delete(c, "exp")
		})), ""},
		{"not yet valid", sign(t, jwtHS256, []byte(secret), "", with(func(c jwt.MapClaims) {
			c["nbf"] = now.Add(time.Minute).Unix()
		})), ""},
		{"wrong issuer", sign(t, jwtHS256, []byte(secret), "", with(func(c jwt.MapClaims) {
			c["iss"] = "https://evil.test"
		})), ""},
		{"missing issuer", sign(t, jwtHS256, []byte(secret), "", with(func(c jwt.MapClaims) {
			delete(c, "iss")
		})), ""},
		{"wrong audience", sign(t, jwtHS256, []byte(secret), "", with(func(c jwt.MapClaims) {
			c["aud"] = "web"
		})), ""},
		{"unknown consumer", sign(t, jwtHS256, []byte(secret), "", claims("mallory")), ""},
		{"no consumer claim", sign(t, jwtHS256, []byte(secret), "", with(func(c jwt.MapClaims) {
			delete(c, "sub")
		})), ""},
		{"tampered payload", tamper(sign(t, jwtHS256, []byte(secret), "", claims("bob"))), ""},
		{"garbage", "not-a-token", ""},
		{"oversized", strings.Repeat("a", 9000), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Twice: the second check runs on the cache when the first
			// succeeded, and must agree.
			for i := range 2 {
				r := newRequest("/x", "Authorization", bearer(tt.token))
				got := a.CheckAt(a.Route("jwtonly"), &r.v, now)
				if got.Consumer != tt.want || (tt.want == "") != (got.Status == 401) {
					t.Fatalf("check %d: CheckAt = %d %q %q, want consumer %q",
						i, got.Status, got.Reason, got.Consumer, tt.want)
				}
			}
		})
	}
}

// tamper changes the payload of a token, keeping its signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), `"bob"`, `"alice"`, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

func TestJWTRestrictedAlgorithms(t *testing.T) {
	k := testKeys()
	f := jwtConfig(t)
	f.Auth.JWT.Algorithms = []string{"RS256"}
	a := newAuth(t, f)
	tests := []struct {
		name, token string
		status      int
	}{
		{"allowed", sign(t, jwt.SigningMethodRS256, k.rsa, "", claims("bob")), 0},
		{"HS256 refused", sign(t, jwtHS256, []byte(secret), "", claims("bob")), 401},
		{"RS512 refused", sign(t, jwt.SigningMethodRS512, k.rsa, "", claims("bob")), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest("/x", "Authorization", bearer(tt.token))
			if got := a.Check(a.Route("jwtonly"), &r.v); got.Status != tt.status {
				t.Errorf("Check = %d %q, want %d", got.Status, got.Reason, tt.status)
			}
		})
	}
}

func TestJWTCacheExpiry(t *testing.T) {
	f := baseConfig()
	f.Auth.CacheTTL = 10 * time.Minute
	f.Auth.JWT.AllowNoExpiry = true // tokens without exp live for the cache TTL
	a := newAuth(t, f)
	now := time.Now()
	c := claims("bob")
	c["exp"] = now.Add(time.Minute).Unix()
	tok := sign(t, jwtHS256, []byte(secret), "", c)
	noExp := claims("bob")
	delete(noExp, "exp")
	tokNoExp := sign(t, jwtHS256, []byte(secret), "", noExp)

	tests := []struct {
		name   string
		token  string
		at     time.Duration
		status int
	}{
		{"fresh", tok, 0, 0},
		{"cached", tok, 30 * time.Second, 0},
		{"past exp", tok, 2 * time.Minute, 401},
		{"no exp fresh", tokNoExp, 0, 0},
		{"no exp within ttl", tokNoExp, 9 * time.Minute, 0},
		{"no exp past ttl, checked again", tokNoExp, 11 * time.Minute, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest("/x", "Authorization", bearer(tt.token))
			if got := a.CheckAt(a.Route("jwtonly"), &r.v, now.Add(tt.at)); got.Status != tt.status {
				t.Errorf("CheckAt(+%v) = %d %q, want %d", tt.at, got.Status, got.Reason, tt.status)
			}
		})
	}
}

func TestJWTUnknownConsumers(t *testing.T) {
	f := baseConfig()
	f.Auth.JWT.AllowUnknown = true
	f.Auth.JWT.ConsumerClaim = "client_id"
	a := newAuth(t, f)
	tests := []struct {
		name, id, want string
		status         int
	}{
		{name: "known", id: "alice", want: "alice"},
		{name: "unknown", id: "svc-42", want: "svc-42"},
		{name: "header injection", id: "x\r\nX-Admin: 1", status: 401},
		{name: "comma", id: "a,b", status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := claims("ignored")
			c["client_id"] = tt.id
			r := newRequest("/x", "Authorization", bearer(sign(t, jwtHS256, []byte(secret), "", c)))
			got := a.Check(a.Route("any"), &r.v)
			if got.Status != tt.status || got.Consumer != tt.want {
				t.Fatalf("Check = %d %q, want %d %q", got.Status, got.Consumer, tt.status, tt.want)
			}
			if tt.want != "" {
				assertHeader(t, r, "X-Consumer", tt.want)
			}
		})
	}
}

// jwksServer serves a key set that the test swaps, or a failure status,
// and reports each request on hits.
type jwksServer struct {
	body   atomic.Pointer[[]byte]
	status atomic.Int32
	hits   chan struct{}
}

func newJWKSServer(t *testing.T, body []byte) (*jwksServer, string) {
	s := &jwksServer{hits: make(chan struct{}, 64)}
	s.set(body, http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(s.status.Load()))
		w.Write(*s.body.Load())
		select {
		case s.hits <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func (s *jwksServer) set(body []byte, status int) {
	s.body.Store(&body)
	s.status.Store(int32(status))
}

func TestJWKSURL(t *testing.T) {
	k := testKeys()
	srv, url := newJWKSServer(t, jwks(t, jwkOf(t, "a", &k.rsa.PublicKey)))
	f := baseConfig()
	f.Auth.JWT = &config.JWT{JWKSURL: url}
	a := newAuth(t, f)
	// A unique jti makes each token new, so the cache cannot answer.
	jti := 0
	fresh := func() jwt.MapClaims {
		jti++
		c := claims("bob")
		c["jti"] = jti
		return c
	}
	tokA := func() string { return sign(t, jwt.SigningMethodRS256, k.rsa, "a", fresh()) }
	tokB := func() string { return sign(t, jwt.SigningMethodRS256, k.rsa2, "b", fresh()) }
	ctx := context.Background()

	steps := []struct {
		name string
		// serve is what the server answers from this step on; nil keeps
		// the previous answer.
		serve  []byte
		status int
		// refreshErr says whether RefreshJWKS must fail.
		refreshErr bool
		tokA, tokB int // expected status of a fresh token of each key
	}{
		{name: "initial set", tokA: 0, tokB: 401},
		{name: "rotated to b", serve: jwks(t, jwkOf(t, "b", &k.rsa2.PublicKey)), status: 200,
			tokA: 401, tokB: 0},
		{name: "server error keeps last good", serve: []byte("oops"), status: 500,
			refreshErr: true, tokA: 401, tokB: 0},
		{name: "garbage keeps last good", serve: []byte(`{"keys": 1}`), status: 200,
			refreshErr: true, tokA: 401, tokB: 0},
		{name: "empty set keeps last good", serve: []byte(`{"keys": []}`), status: 200,
			refreshErr: true, tokA: 401, tokB: 0},
		{name: "both", serve: jwks(t, jwkOf(t, "a", &k.rsa.PublicKey), jwkOf(t, "b", &k.rsa2.PublicKey)),
			status: 200, tokA: 0, tokB: 0},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if i > 0 {
				srv.set(st.serve, st.status)
				if err := a.RefreshJWKS(ctx); (err != nil) != st.refreshErr {
					t.Fatalf("RefreshJWKS = %v, want error %v", err, st.refreshErr)
				}
			}
			for _, c := range []struct {
				name string
				tok  string
				want int
			}{{"a", tokA(), st.tokA}, {"b", tokB(), st.tokB}} {
				r := newRequest("/x", "Authorization", bearer(c.tok))
				if got := a.Check(a.Route("jwtonly"), &r.v); got.Status != c.want {
					t.Errorf("token of key %s: Check = %d %q, want %d", c.name, got.Status, got.Reason, c.want)
				}
			}
		})
	}
}

func TestJWKSURLDownAtStart(t *testing.T) {
	k := testKeys()
	srv, url := newJWKSServer(t, []byte("down"))
	srv.status.Store(503)
	f := baseConfig()
	f.Auth.JWT = &config.JWT{JWKSURL: url}
	a := newAuth(t, f)
	tok := sign(t, jwt.SigningMethodRS256, k.rsa, "a", claims("bob"))

	r := newRequest("/x", "Authorization", bearer(tok))
	if got := a.Check(a.Route("jwtonly"), &r.v); got.Status != 401 {
		t.Fatalf("Check before any key set = %d, want 401", got.Status)
	}
	srv.set(jwks(t, jwkOf(t, "a", &k.rsa.PublicKey)), 200)
	if err := a.RefreshJWKS(context.Background()); err != nil {
		t.Fatalf("RefreshJWKS = %v", err)
	}
	r = newRequest("/x", "Authorization", bearer(tok))
	if got := a.Check(a.Route("jwtonly"), &r.v); got.Status != 0 {
		t.Fatalf("Check after the set arrived = %d %q, want 0", got.Status, got.Reason)
	}
}

func TestJWKSBackgroundRefresh(t *testing.T) {
	k := testKeys()
	srv, url := newJWKSServer(t, jwks(t, jwkOf(t, "a", &k.rsa.PublicKey)))
	f := baseConfig()
	f.Auth.JWT = &config.JWT{JWKSURL: url, JWKSRefresh: time.Second}
	a := newAuth(t, f)
	<-srv.hits // the fetch in New

	srv.set(jwks(t, jwkOf(t, "b", &k.rsa2.PublicKey)), 200)
	a.Start()
	// The loop is sequential: once the second request after the swap has
	// arrived, the first one's set is installed.
	for range 2 {
		select {
		case <-srv.hits:
		case <-time.After(10 * time.Second):
			t.Fatal("no JWKS refresh within 10s")
		}
	}
	a.Close()
	r := newRequest("/x", "Authorization", bearer(sign(t, jwt.SigningMethodRS256, k.rsa2, "b", claims("bob"))))
	if got := a.Check(a.Route("jwtonly"), &r.v); got.Status != 0 {
		t.Fatalf("Check after background refresh = %d %q, want 0", got.Status, got.Reason)
	}
}

func TestJWKSFileErrors(t *testing.T) {
	k := testKeys()
	small := jwkOf(t, "s", &k.rsa.PublicKey)
	small["n"] = b64u(big.NewInt(1<<62 + 1).Bytes())
	badEC := jwkOf(t, "e", &k.ec256.PublicKey)
	badEC["y"] = badEC["x"]
	tests := []struct {
		name string
		data []byte
	}{
		{"not json", []byte("{")},
		{"no keys", []byte(`{"keys": []}`)},
		{"only encryption keys", jwks(t, map[string]string{"kty": "RSA", "use": "enc"})},
		{"small rsa", jwks(t, small)},
		{"ec point off curve", jwks(t, badEC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := baseConfig()
			f.Auth.JWT.JWKSFile = writeFile(t, "jwks.json", tt.data)
			_, err := auth.New(f, discard())
			if !hasConfigError(err, "auth.jwt.jwks_file", "") {
				t.Errorf("New = %v, want an error at auth.jwt.jwks_file", err)
			}
		})
	}
}

// TestConcurrentChecks runs cached and cold checks of every kind from
// several goroutines while the JWKS is refreshed, for the race detector.
func TestConcurrentChecks(t *testing.T) {
	k := testKeys()
	f := jwtConfig(t)
	a := newAuth(t, f)
	hdrs := [][2]string{
		{"X-API-Key", aliceKey},
		{"Authorization", bearer(sign(t, jwtHS256, []byte(secret), "", claims("alice")))},
		{"Authorization", bearer(sign(t, jwt.SigningMethodEdDSA, k.ed, "ed", claims("alice")))},
		{"Authorization", basic(carolUser, carolPass)},
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			if err := a.RefreshJWKS(context.Background()); err != nil {
				t.Errorf("RefreshJWKS = %v", err)
				return
			}
		}
	}()
	errc := make(chan error, 4)
	for g := range 4 {
		go func() {
			r := newRequest("/x")
			for i := range 200 {
				h := hdrs[(g+i)%len(hdrs)]
				r.req.Header.Set(h[0], h[1])
				if got := a.Check(a.Route("any"), &r.v); got.Status != 0 {
					errc <- fmt.Errorf("Check(%s) = %d %q", h[0], got.Status, got.Reason)
					return
				}
			}
			errc <- nil
		}()
	}
	for range 4 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	<-done
}

func TestJWKSSkipsOddKeys(t *testing.T) {
	k := testKeys()
	small := jwkOf(t, "old", &k.rsa.PublicKey)
	small["n"] = b64u(big.NewInt(1<<62 + 1).Bytes())
	f := baseConfig()
	f.Auth.JWT.JWKSFile = writeFile(t, "jwks.json", jwks(t, small, jwkOf(t, "ed", k.ed.Public())))
	a := newAuth(t, f)
	r := newRequest("/x", "Authorization", bearer(sign(t, jwt.SigningMethodEdDSA, k.ed, "ed", claims("bob"))))
	if got := a.Check(a.Route("jwtonly"), &r.v); got.Status != 0 {
		t.Errorf("Check with a set holding one odd key = %d %q, want 0", got.Status, got.Reason)
	}
}
