package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// maxBasicBytes bounds the decoded "user:password" of a Basic credential;
// longer ones get 401 without decoding. bcrypt reads at most 72 bytes of
// a password anyway.
const maxBasicBytes = 256

// dummyHashes holds one bcrypt hash per cost, compared against when the
// user name is unknown, so that an unknown user costs as much as a wrong
// password and timing does not reveal which user names exist. Made on
// first use: generating one costs as much as a check.
var dummyHashes sync.Map // int cost -> []byte

// dummyHash returns the dummy hash of the given cost.
func dummyHash(cost int) []byte {
	if h, ok := dummyHashes.Load(cost); ok {
		return h.([]byte)
	}
	h, err := bcrypt.GenerateFromPassword([]byte("portico-no-such-user"), cost)
	if err != nil {
		panic("BUG: bcrypt of a fixed password failed: " + err.Error())
	}
	dummyHashes.Store(cost, h)
	return h
}

// basicVerifier checks HTTP Basic credentials (RFC 7617) against bcrypt
// hashes. It is safe for concurrent use.
type basicVerifier struct {
	users map[string]*consumer
	// cost is the highest bcrypt cost among the users' hashes, the cost
	// of the dummy hash an unknown user is checked against.
	cost  int
	ttl   time.Duration
	cache *cache
}

// verify returns the consumer for the base64 part of an "Authorization:
// Basic" header, or nil.
//
// The cache is keyed by the SHA-256 digest of the credential, not the
// credential itself, so no password (even encoded) stays in memory; a hit
// costs one SHA-256 of a short string and allocates nothing. A miss costs
// a bcrypt compare, tens of milliseconds by design, and is not cached when
// it fails.
func (b *basicVerifier) verify(cred []byte, now time.Time) *consumer {
	sum := sha256.Sum256(cred)
	h := binary.LittleEndian.Uint64(sum[:8])
	if c := b.cache.get(h, sum[:], now.UnixNano()); c != nil {
		return c
	}
	c := b.verifyCold(cred)
	if c != nil {
		b.cache.put(h, sum[:], c, now.Add(b.ttl).UnixNano(), now.UnixNano())
	}
	return c
}

// verifyCold decodes the credential and runs bcrypt.
//
// TODO: failed Basic attempts are not rate limited or cached; a client
// sending many wrong passwords costs one bcrypt each, so a route that
// accepts Basic should also carry a per-IP limit.
func (b *basicVerifier) verifyCold(cred []byte) *consumer {
	var buf [maxBasicBytes]byte
	if base64.StdEncoding.DecodedLen(len(cred)) > len(buf) {
		return nil
	}
	n, err := base64.StdEncoding.Decode(buf[:], cred)
	if err != nil {
		return nil
	}
	user, pass, ok := cutColon(buf[:n])
	if !ok {
		return nil
	}
	c := b.users[string(user)]
	hash := dummyHash(b.cost)
	if c != nil {
		hash = c.basicHash
	}
	if bcrypt.CompareHashAndPassword(hash, pass) != nil || c == nil {
		return nil
	}
	return c
}

// cutColon splits "user:password" at the first colon (RFC 7617 §2: the
// user-id cannot contain one).
func cutColon(b []byte) (user, pass []byte, ok bool) {
	for i, ch := range b {
		if ch == ':' {
			return b[:i], b[i+1:], true
		}
	}
	return nil, nil, false
}
