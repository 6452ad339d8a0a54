package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// Limits on key material read from files and URLs.
const (
	// maxJWKSBytes bounds a JWKS document; real sets are a few KiB.
	maxJWKSBytes = 1 << 20
	// minRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3).
	minRSABits = 2048
	// jwksTimeout bounds one JWKS fetch, connection included.
	jwksTimeout = 10 * time.Second
)

// errNoKeys is returned when a JWKS holds no key this package can use;
// it counts as a failed refresh, so the last good set is kept.
var errNoKeys = errors.New("auth: jwks has no usable signature key")

// verifyKey is one key that can check signatures. key is []byte (HMAC),
// *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey, the types the
// JWT library's signing methods expect.
type verifyKey struct {
	kid string
	// alg, when set, is the only algorithm this key verifies (the JWK
	// "alg" member).
	alg string
	key any
}

// keySet is an immutable list of keys, swapped whole on refresh.
type keySet struct {
	keys []verifyKey
}

// jwk is the subset of a JSON Web Key (RFC 7517 §4, RFC 7518 §6, RFC 8037
// §2) that describes public signature keys.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS reads a JSON Web Key Set. Keys of unknown types, for
// encryption, or that fail to decode (a 1024-bit RSA key, a point off
// its curve) are skipped, so one odd key in an issuer's set does not
// disable the others; a set left with no usable key is an error that
// names the first problem.
func parseJWKS(data []byte) (*keySet, error) {
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("auth: jwks: %w", err)
	}
	ks := &keySet{}
	var first error
	for i, k := range doc.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		key, err := k.publicKey()
		if err != nil && first == nil {
			first = fmt.Errorf("key %d (kid %q): %w", i, k.Kid, err)
		}
		if key != nil && err == nil {
			ks.keys = append(ks.keys, verifyKey{kid: k.Kid, alg: k.Alg, key: key})
		}
	}
	if len(ks.keys) == 0 {
		if first != nil {
			return nil, fmt.Errorf("%w: %w", errNoKeys, first)
		}
		return nil, errNoKeys
	}
	return ks, nil
}

// publicKey decodes the key, or returns nil for a key type it skips.
func (k *jwk) publicKey() (any, error) {
	switch k.Kty {
	case "RSA":
		return k.rsaKey()
	case "EC":
		return k.ecKey()
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, nil
		}
		x, err := b64(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad ed25519 x")
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, nil
}

// rsaKey decodes an RSA public key (RFC 7518 §6.3.1).
func (k *jwk) rsaKey() (any, error) {
	n, err := b64(k.N)
	if err != nil || len(n) == 0 {
		return nil, errors.New("bad rsa modulus")
	}
	e, err := b64(k.E)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("bad rsa exponent")
	}
	exp := 0
	for _, b := range e {
		exp = exp<<8 | int(b)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}
	if pub.N.BitLen() < minRSABits || exp < 3 || exp&1 == 0 {
		return nil, errors.New("rsa key too small or bad exponent")
	}
	return pub, nil
}

// ecKey decodes an ECDSA public key (RFC 7518 §6.2.1), checking that
// the point is on the curve.
func (k *jwk) ecKey() (any, error) {
	var c elliptic.Curve
	switch k.Crv {
	case "P-256":
		c = elliptic.P256()
	case "P-384":
		c = elliptic.P384()
	case "P-521":
		c = elliptic.P521()
	default:
		return nil, nil
	}
	size := (c.Params().BitSize + 7) / 8
	x, errX := b64(k.X)
	y, errY := b64(k.Y)
	if errX != nil || errY != nil || len(x) != size || len(y) != size {
		return nil, errors.New("bad ec coordinates")
	}
	point := append(append([]byte{4}, x...), y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(c, point)
	if err != nil {
		return nil, errors.New("ec point not on curve")
	}
	return pub, nil
}

// b64 decodes base64url without padding, the JOSE encoding (RFC 7515 §2).
func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(s)
}

// parsePublicKeyPEM reads the first PEM block of a public key file.
func parsePublicKeyPEM(data []byte) (any, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = cert.PublicKey
		}
	default:
		return nil, fmt.Errorf("PEM block %q is not a public key", block.Type)
	}
	if err != nil {
		return nil, err
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return nil, errors.New("rsa key smaller than 2048 bits")
		}
	case *ecdsa.PublicKey, ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("unsupported key type %T", key)
	}
	return key, nil
}

// jwksSource is one place a key set comes from (a file or a URL) and the
// last set read from it successfully. Its set is read on the request
// path without locks.
type jwksSource struct {
	file   string
	url    string
	client *http.Client
	set    atomic.Pointer[keySet]
	// digest is the SHA-256 of the document behind set, to tell whether
	// a refresh changed anything.
	digest [32]byte
	// failing is true from a failed refresh to the next good one; it
	// makes the Warn and Info logs once per transition.
	failing atomic.Bool
}

// name returns the file or URL, for logs and errors.
func (s *jwksSource) name() string {
	if s.file != "" {
		return s.file
	}
	return s.url
}

// load reads and parses the set; it does not install it.
func (s *jwksSource) load(ctx context.Context) (*keySet, [32]byte, error) {
	var data []byte
	var err error
	if s.file != "" {
		data, err = os.ReadFile(s.file)
	} else {
		data, err = s.fetch(ctx)
	}
	if err != nil {
		return nil, [32]byte{}, err
	}
	ks, err := parseJWKS(data)
	return ks, sha256.Sum256(data), err
}

// fetch GETs the URL, insisting on 200 and a bounded body.
func (s *jwksSource) fetch(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, jwksTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("auth: jwks %s: status %d", s.url, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err == nil && len(data) > maxJWKSBytes {
		err = fmt.Errorf("auth: jwks %s: larger than %d bytes", s.url, maxJWKSBytes)
	}
	return data, err
}

// refresh loads the set and installs it, reporting whether it differs
// from the one before; on failure the last good set stays in place.
// Transitions are logged once each. Refreshes of one source must not run
// concurrently.
func (s *jwksSource) refresh(ctx context.Context, logger *slog.Logger) (changed bool, err error) {
	ks, digest, err := s.load(ctx)
	if err != nil {
		if !s.failing.Swap(true) {
			logger.LogAttrs(ctx, slog.LevelWarn, "jwks refresh failed, keeping last good set",
				slog.String(logKeySource, s.name()), slog.String(logKeyError, err.Error()),
				slog.Bool(logKeyHaveKeys, s.set.Load() != nil))
		}
		return false, err
	}
	changed = digest != s.digest
	s.digest = digest
	s.set.Store(ks)
	if s.failing.Swap(false) {
		logger.LogAttrs(ctx, slog.LevelInfo, "jwks refresh recovered",
			slog.String(logKeySource, s.name()), slog.Int(logKeyKeys, len(ks.keys)))
	}
	return changed, nil
}

// readPublicKeyFile reads public_key_file.
func readPublicKeyFile(path string) (any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := parsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}
