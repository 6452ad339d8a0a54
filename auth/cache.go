package auth

import (
	"crypto/subtle"
	"sync"
)

// cacheShards is the number of independently locked parts of a cache; a
// power of two so a shard is picked by masking the key.
const cacheShards = 64

// cache remembers credentials that passed a costly check (a JWT signature,
// a bcrypt compare) so that the same credential presented again costs a
// map lookup. It is bounded: each shard holds at most perShard entries,
// and an insert into a full shard drops an expired entry or, failing
// that, an arbitrary one. It is safe for concurrent use.
//
// Keys are 64-bit hashes of the credential. A hit also compares the bytes
// stored with the entry (the token itself, or the SHA-256 digest of a
// Basic credential) in constant time, so a hash collision can never
// authenticate a different credential; at worst two credentials take
// turns in one slot. Only credentials that passed the full check are
// inserted, so filling the cache needs valid credentials.
type cache struct {
	perShard int
	shards   [cacheShards]cacheShard
}

// cacheShard is one locked map of a cache. The padding keeps the locks of
// neighbouring shards on different cache lines.
type cacheShard struct {
	mu sync.RWMutex
	m  map[uint64]cacheEntry
	_  [40]byte
}

// cacheEntry is one verified credential.
type cacheEntry struct {
	// check is compared with the presented credential on every hit.
	check []byte
	c     *consumer
	// until is the expiry in Unix nanoseconds; the entry is not used at
	// or after it.
	until int64
}

// newCache returns a cache for about max entries.
func newCache(max int) *cache {
	per := max / cacheShards
	if per < 1 {
		per = 1
	}
	c := &cache{perShard: per}
	for i := range c.shards {
		c.shards[i].m = make(map[uint64]cacheEntry, min(per, 64))
	}
	return c
}

// get returns the consumer cached under h if the entry's check bytes
// equal check and it has not expired at now (Unix nanoseconds), or nil.
func (c *cache) get(h uint64, check []byte, now int64) *consumer {
	s := &c.shards[h&(cacheShards-1)]
	s.mu.RLock()
	e, ok := s.m[h]
	s.mu.RUnlock()
	if !ok || now >= e.until {
		return nil
	}
	if subtle.ConstantTimeCompare(e.check, check) != 1 {
		return nil
	}
	return e.c
}

// put caches cons under h until the given time, keeping a copy of check.
func (c *cache) put(h uint64, check []byte, cons *consumer, until, now int64) {
	e := cacheEntry{check: append([]byte(nil), check...), c: cons, until: until}
	s := &c.shards[h&(cacheShards-1)]
	s.mu.Lock()
	if _, ok := s.m[h]; !ok && len(s.m) >= c.perShard {
		s.evict(now)
	}
	s.m[h] = e
	s.mu.Unlock()
}

// evict drops one entry: the first expired one among a few visited, or
// else the last visited. Map iteration starts at a random place, so the
// victim is arbitrary. The caller holds the write lock.
func (s *cacheShard) evict(now int64) {
	n := 0
	var last uint64
	for k, e := range s.m {
		last = k
		n++
		if now >= e.until || n == 8 {
			break
		}
	}
	delete(s.m, last)
}

// len returns the number of entries, expired ones included.
func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// clear drops every entry.
func (c *cache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.m)
		s.mu.Unlock()
	}
}
