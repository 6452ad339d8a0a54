package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"net/http"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/portico-gw/portico/config"
)

// maxTokenBytes bounds a bearer token; longer ones get 401 before any
// decoding work.
const maxTokenBytes = 8 << 10

// allAlgs are the JWS algorithms this package accepts (RFC 7518 §3.1, RFC
// 8037 §3.1). "none" and the RSASSA-PSS family are not among them.
var allAlgs = []string{
	"HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
	"ES256", "ES384", "ES512", "EdDSA",
}

// jwtVerifier checks bearer tokens. Its fields are set by newJWTVerifier
// and read-only after that, except the key sets inside sources. It is
// safe for concurrent use.
type jwtVerifier struct {
	// parser checks the header, the algorithm against the configured
	// list, and the signature. Claims are checked separately (verify).
	parser *jwt.Parser
	// claimOpts configure the claims check: leeway, iss, aud.
	claimOpts []jwt.ParserOption
	// static holds keys from the secret and the public key file.
	static  keySet
	sources []*jwksSource
	keyfunc jwt.Keyfunc

	claim        string
	allowUnknown bool
	leeway       time.Duration
	ttl          time.Duration
	cache        *cache
	consumers    map[string]*consumer
}

// verify returns the consumer a token names if the token is valid at now,
// or nil.
//
// A token seen before is found in the cache by its xxhash and compared
// byte for byte with the stored copy: no decoding, no signature check,
// no allocation. A 64-bit non-cryptographic hash is enough here because
// a collision can never authenticate (the bytes are compared) and only
// verified tokens are cached, so the worst an attacker holding many valid
// tokens can do is evict entries and make their owners pay one more
// signature check.
func (j *jwtVerifier) verify(tok []byte, now time.Time) *consumer {
	h := xxhash.Sum64(tok)
	if c := j.cache.get(h, tok, now.UnixNano()); c != nil {
		return c
	}
	if len(tok) > maxTokenBytes {
		return nil
	}
	return j.verifyCold(h, tok, now)
}

// verifyCold does the full check and caches a success until the earlier
// of the token's exp (plus leeway) and now plus the cache TTL.
//
// This path allocates: the token string, the JSON decoding of header and
// claims into maps, the base64 buffers, the signing input, the claims
// validator (built per call so that exp and nbf use the caller's clock)
// and big-number arithmetic for RSA and ECDSA. BenchmarkCheck measures
// 65 allocations (about 3.3 KB) for HS256, 63 for EdDSA, 70 for RS256
// and 86 for ES256; the signature check dominates the time (about 35 us
// for RS256, more for ES256 on this hardware). It runs once per token per
// cache lifetime.
//
// TODO: failed verifications are not cached; a client sending many
// distinct bad RS256 or ES256 tokens costs a signature check each, so a
// route that accepts JWTs should also carry a per-IP limit.
func (j *jwtVerifier) verifyCold(h uint64, tok []byte, now time.Time) *consumer {
	claims := jwt.MapClaims{}
	if _, err := j.parser.ParseWithClaims(string(tok), claims, j.keyfunc); err != nil {
		return nil
	}

	// The validator is built per call so that exp and nbf are compared
	// with the caller's clock (CheckAt), the one the cache uses.
	opts := append(j.claimOpts[:len(j.claimOpts):len(j.claimOpts)],
		jwt.WithTimeFunc(func() time.Time { return now }))
	if jwt.NewValidator(opts...).Validate(claims) != nil {
		return nil
	}

	name, _ := claims[j.claim].(string)
	c := j.consumers[name]
	if c == nil {
		if !j.allowUnknown || !validName(name) {
			return nil
		}
		c = newConsumer(name, config.Consumer{})
	}

	until := now.Add(j.ttl)
	if exp, err := claims.GetExpirationTime(); err == nil && exp != nil {
		if e := exp.Add(j.leeway); e.Before(until) {
			until = e
		}
	}
	j.cache.put(h, tok, c, until.UnixNano(), now.UnixNano())
	return c
}

// keyFor is the library's key callback: it returns the keys that fit the
// token's algorithm (and its "kid", when both sides name one). Matching
// on the key's Go type is what stops algorithm confusion: an HS256 token
// is only ever checked against the configured secret, never against the
// bytes of an RSA or EC public key.
func (j *jwtVerifier) keyFor(t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	kid, _ := t.Header["kid"].(string)
	var keys []jwt.VerificationKey
	keys = appendFitting(keys, &j.static, alg, kid)
	for _, s := range j.sources {
		if ks := s.set.Load(); ks != nil {
			keys = appendFitting(keys, ks, alg, kid)
		}
	}
	switch len(keys) {
	case 0:
		return nil, errNoKeys
	case 1:
		return keys[0], nil
	}
	return jwt.VerificationKeySet{Keys: keys}, nil
}

// appendFitting appends the keys of ks that can verify alg under kid.
func appendFitting(dst []jwt.VerificationKey, ks *keySet, alg, kid string) []jwt.VerificationKey {
	for _, k := range ks.keys {
		if k.alg != "" && k.alg != alg {
			continue
		}
		if kid != "" && k.kid != "" && k.kid != kid {
			continue
		}
		if keyFits(alg, k.key) {
			dst = append(dst, k.key)
		}
	}
	return dst
}

// keyFits reports whether key is of the type alg needs.
func keyFits(alg string, key any) bool {
	switch k := key.(type) {
	case []byte:
		return alg == "HS256" || alg == "HS384" || alg == "HS512"
	case *rsa.PublicKey:
		return alg == "RS256" || alg == "RS384" || alg == "RS512"
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return k.Curve.Params().BitSize == 256
		case "ES384":
			return k.Curve.Params().BitSize == 384
		case "ES512":
			return k.Curve.Params().BitSize == 521
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// newJWTVerifier compiles [auth.jwt]. Problems are appended to errs as
// config errors; the JWKS sources are read once (a URL failure is logged
// by refresh and not an error: the set arrives later).
func newJWTVerifier(a *Authenticator, jc *config.JWT, errs *[]error) *jwtVerifier {
	j := &jwtVerifier{
		claim:        jc.ConsumerClaim,
		allowUnknown: jc.AllowUnknown,
		leeway:       jc.Leeway,
		ttl:          a.ttl,
		cache:        newCache(a.cacheEntries),
		consumers:    a.byName,
	}
	if j.claim == "" {
		j.claim = "sub"
	}
	if j.leeway < 0 || j.leeway > 5*time.Minute {
		*errs = append(*errs, config.Errorf("auth.jwt.leeway", "must be between 0 and 5m"))
	}
	j.keyfunc = j.keyFor
	j.loadStaticKeys(jc, errs)
	j.addSources(a, jc, errs)

	algs := j.algorithms(jc, errs)
	j.parser = jwt.NewParser(jwt.WithValidMethods(algs), jwt.WithoutClaimsValidation())
	j.claimOpts = []jwt.ParserOption{jwt.WithLeeway(j.leeway)}
	if !jc.AllowNoExpiry {
		// A token without exp never expires; refuse it unless the
		// operator says their issuer works that way.
		j.claimOpts = append(j.claimOpts, jwt.WithExpirationRequired())
	}
	if jc.Issuer != "" {
		j.claimOpts = append(j.claimOpts, jwt.WithIssuer(jc.Issuer))
	}
	if len(jc.Audience) > 0 {
		j.claimOpts = append(j.claimOpts, jwt.WithAudience(jc.Audience...))
	}
	return j
}

// loadStaticKeys reads the secret and the public key file.
func (j *jwtVerifier) loadStaticKeys(jc *config.JWT, errs *[]error) {
	if jc.Secret != "" {
		if len(jc.Secret) < 32 {
			*errs = append(*errs, config.Errorf("auth.jwt.secret",
				"must be at least 32 bytes (RFC 7518 section 3.2)"))
		}
		j.static.keys = append(j.static.keys, verifyKey{key: []byte(jc.Secret)})
	}
	if jc.PublicKeyFile != "" {
		key, err := readPublicKeyFile(jc.PublicKeyFile)
		if err != nil {
			*errs = append(*errs, config.Errorf("auth.jwt.public_key_file", "%v", err))
		} else {
			j.static.keys = append(j.static.keys, verifyKey{key: key})
		}
	}
}

// addSources sets up the JWKS file and URL and reads each once.
func (j *jwtVerifier) addSources(a *Authenticator, jc *config.JWT, errs *[]error) {
	if jc.JWKSFile != "" {
		s := &jwksSource{file: jc.JWKSFile}
		if _, err := s.refresh(context.Background(), a.logger); err != nil {
			*errs = append(*errs, config.Errorf("auth.jwt.jwks_file", "%v", err))
		}
		j.sources = append(j.sources, s)
	}
	if jc.JWKSURL != "" {
		s := &jwksSource{url: jc.JWKSURL, client: &http.Client{Timeout: jwksTimeout}}
		req, err := http.NewRequest(http.MethodGet, jc.JWKSURL, nil)
		if err != nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
			*errs = append(*errs, config.Errorf("auth.jwt.jwks_url", "want an http or https URL"))
		} else {
			_, _ = s.refresh(context.Background(), a.logger)
		}
		j.sources = append(j.sources, s)
	}
	if len(j.static.keys) == 0 && len(j.sources) == 0 {
		*errs = append(*errs, config.Errorf("auth.jwt",
			"needs secret, public_key_file, jwks_file or jwks_url"))
	}
}

// algorithms returns the configured algorithm list, or by default every
// algorithm a configured key (or any JWKS key, which may rotate) fits.
func (j *jwtVerifier) algorithms(jc *config.JWT, errs *[]error) []string {
	if len(jc.Algorithms) > 0 {
		for i, alg := range jc.Algorithms {
			if !contains(allAlgs, alg) {
				*errs = append(*errs, config.Errorf(index("auth.jwt.algorithms", i),
					"unknown or refused algorithm %q", alg))
			}
		}
		return jc.Algorithms
	}
	var algs []string
	for _, alg := range allAlgs {
		fits := len(j.sources) > 0 && alg[0] != 'H'
		for _, k := range j.static.keys {
			fits = fits || keyFits(alg, k.key)
		}
		if fits {
			algs = append(algs, alg)
		}
	}
	return algs
}
