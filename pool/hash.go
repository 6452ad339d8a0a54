package pool

import (
	"errors"
	"strings"

	"github.com/cespare/xxhash/v2"

	"github.com/portico-gw/portico/view"
)

// hashSource is where the consistent hash key comes from.
type hashSource uint8

const (
	hashNone hashSource = iota
	hashClientIP
	hashPath
	hashHeader
	hashConsumer
)

// errHashKey is returned for a hash_key this package does not know.
var errHashKey = errors.New(
	`hash_key: want "client_ip", "path", "header:NAME" or "consumer"`)

// parseHashKey reads a hash_key value: "client_ip", "path",
// "header:NAME" or "consumer"; empty means none.
func parseHashKey(key string) (hashSource, string, error) {
	switch key {
	case "":
		return hashNone, "", nil
	case "client_ip":
		return hashClientIP, "", nil
	case "path":
		return hashPath, "", nil
	case "consumer":
		return hashConsumer, "", nil
	}
	name, ok := strings.CutPrefix(key, "header:")
	if !ok || name == "" || strings.ContainsAny(name, " \t\r\n:") {
		return hashNone, "", errHashKey
	}
	return hashHeader, name, nil
}

// Hash returns the xxhash of the request's hash_key source, or 0 when no
// hash_key is configured, the source is empty (a missing header) or the
// source is "consumer" (use HashWith). A 0 hash makes consistent_hash
// fall back to round robin. Hash allocates nothing.
func (u *Upstream) Hash(v *view.Request) uint64 {
	return u.HashWith(v, "")
}

// HashWith is Hash with the authenticated consumer's name, for
// hash_key = "consumer"; an empty consumer (anonymous) hashes to 0.
func (u *Upstream) HashWith(v *view.Request, consumer string) uint64 {
	var b []byte
	switch u.set.hashSource {
	case hashClientIP:
		if !v.ClientIP.IsValid() {
			return 0
		}
		ip := v.ClientIP.As16()
		return nonZero(xxhash.Sum64(ip[:]))
	case hashPath:
		b = v.Path
	case hashHeader:
		if v.Header == nil {
			return 0
		}
		b = v.Header.Peek(u.set.hashHeader)
	case hashConsumer:
		if consumer == "" {
			return 0
		}
		return nonZero(xxhash.Sum64String(consumer))
	}
	if len(b) == 0 {
		return 0
	}
	return nonZero(xxhash.Sum64(b))
}

// nonZero keeps a real key from colliding with "no key".
func nonZero(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}
