package auth

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// HashKey returns the form in which an API key is stored in the config:
// the SHA-256 digest of the key's bytes as 64 lower-case hex digits, for
// a consumer's key_sha256 list. `portico hash-key` prints it. The config
// also accepts the digest with a "sha256:" prefix and in upper case.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// parseKeyHash decodes a key_sha256 entry: 64 hex digits, optionally
// after "sha256:".
func parseKeyHash(s string) ([32]byte, bool) {
	var d [32]byte
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) != 64 {
		return d, false
	}
	_, err := hex.Decode(d[:], []byte(s))
	return d, err == nil
}

// lookupKey returns the consumer owning the presented API key, or nil,
// and the key's hash for Result.KeyHash.
//
// The presented key is hashed with SHA-256 and the digest looked up in a
// map keyed by the whole [32]byte digest. This is why the lookup leaks
// nothing useful through timing: the work done on the presented key
// (hashing it) does not depend on any stored key, and the map compares
// digests, not keys. An attacker who measured how many leading digest
// bytes match a stored digest would learn bits of a SHA-256 output, from
// which no key can be recovered or nudged closer (preimage resistance).
// It also allocates nothing: the digest lives on the stack.
func (a *Authenticator) lookupKey(key []byte) (*consumer, uint64) {
	d := sha256.Sum256(key)
	return a.keys[d], binary.LittleEndian.Uint64(d[:8]) | 1
}
