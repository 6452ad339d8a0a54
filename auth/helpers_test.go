package auth_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"

	"github.com/portico-gw/portico/auth"
	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/view"
	"golang.org/x/crypto/bcrypt"
)

// Keys are generated once per test binary: RSA generation is slow.
var testKeys = sync.OnceValue(func() *keys {
	k := &keys{}
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.rsa2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.ec256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	if k.ec384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
		panic(err)
	}
	if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		panic(err)
	}
	return k
})

// keys are the signing keys of the tests.
type keys struct {
	rsa, rsa2    *rsa.PrivateKey
	ec256, ec384 *ecdsa.PrivateKey
	ed           ed25519.PrivateKey
}

// secret is the HMAC secret of the tests (32 bytes).
const secret = "0123456789abcdef0123456789abcdef"

// Credentials of the test consumers.
const (
	aliceKey   = "alice-key-1"
	bobKey     = "bob-key-1"
	carolUser  = "carol"
	carolPass  = "carol-password"
	testIssuer = "https://issuer.test"
)

// bcryptCarol is carol's password hash, at the lowest cost to keep tests
// fast.
var bcryptCarol = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(carolPass), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
})

// baseConfig returns consumers alice (key, plan pro, group staff), bob
// (key, plan free) and carol (basic, group staff), JWT with the secret,
// and routes:
//
//	open     no access table
//	any      every method, any consumer
//	staff    group staff only
//	bobonly  consumer bob only
//	anon     anonymous allowed, key only
//	jwtonly  jwt only
//	ipv4     allow 10.0.0.0/8, deny 10.9.0.0/16
func baseConfig() *config.File {
	return &config.File{
		Consumers: map[string]config.Consumer{
			"alice": {Plan: "pro", Groups: []string{"staff", "beta"},
				KeyHash: []string{auth.HashKey(aliceKey)}},
			"bob":   {Plan: "free", KeyHash: []string{"sha256:" + auth.HashKey(bobKey)}},
			"carol": {Groups: []string{"staff"}, BasicUser: carolUser, BasicHash: bcryptCarol()},
		},
		Auth: config.Auth{
			KeyQuery: "api_key",
			JWT:      &config.JWT{Secret: secret, Issuer: testIssuer, Audience: []string{"api"}},
		},
		Routes: map[string]config.Route{
			"open":    {},
			"any":     {Access: &config.Access{}},
			"staff":   {Access: &config.Access{Groups: []string{"staff"}}},
			"bobonly": {Access: &config.Access{Consumers: []string{"bob"}}},
			"anon":    {Access: &config.Access{Anonymous: true, Methods: []string{"key"}}},
			"jwtonly": {Access: &config.Access{Methods: []string{"jwt"}}},
			"ipv4": {Access: &config.Access{Anonymous: true,
				AllowCIDRs: []string{"10.0.0.0/8", "2001:db8::/32"}, DenyCIDRs: []string{"10.9.0.0/16"}}},
		},
	}
}

// newAuth builds an Authenticator and fails the test on error.
func newAuth(t testing.TB, f *config.File) *auth.Authenticator {
	t.Helper()
	a, err := auth.New(f, discard())
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	t.Cleanup(a.Close)
	return a
}

// discard returns a logger that drops everything.
func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// request is a fasthttp request seen through a view, as the proxy builds
// it.
type request struct {
	req fasthttp.Request
	v   view.Request
}

// newRequest builds a GET of uri from 192.0.2.1 with the given header
// name/value pairs.
func newRequest(uri string, hdr ...string) *request {
	r := &request{}
	r.req.SetRequestURI(uri)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.req.Header.Set(hdr[i], hdr[i+1])
	}
	r.v = view.Request{
		Method:   []byte("GET"),
		Path:     r.req.URI().Path(),
		ClientIP: netip.MustParseAddr("192.0.2.1"),
		Header:   &r.req.Header,
		Query:    r.req.URI().QueryArgs(),
	}
	return r
}

// basic returns an Authorization value for HTTP Basic.
func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// claims returns valid claims for consumer sub, expiring in an hour.
func claims(sub string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub": sub, "iss": testIssuer, "aud": "api",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
	}
}

// sign signs claims with method and key, adding kid when not empty.
func sign(t testing.TB, m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", m.Alg(), err)
	}
	return s
}

// bearer returns an Authorization value for a token.
func bearer(tok string) string { return "Bearer " + tok }

// jwtHS256 is the signing method most tests use.
var jwtHS256 = jwt.SigningMethodHS256

// jwtES256 is the ECDSA signing method of the allocation tests.
var jwtES256 = jwt.SigningMethodES256
