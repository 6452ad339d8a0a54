package limiter

import (
	"errors"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// Slot keys 0 and 1 are reserved: an empty slot and a tombstone. A key
// hash that happens to be one of them is moved by 2 (see fixKey).
const (
	keyEmpty = 0
	keyTomb  = 1

	// wrapWindows is how long after its expiry a counter's 8-bit window
	// index may have wrapped around (256 windows after its last use, 2
	// of them before expiry). Sweeping frees such counters long before;
	// the check keeps a Table that is never swept correct too. Checking
	// expiry itself instead would race with the first decision of a
	// window, which stores the new expiry after its compare-and-swap.
	wrapWindows = 254

	// maxProbe bounds the linear probe of one lookup, so a decision costs
	// a bounded number of cache lines even in a crowded shard.
	maxProbe = 32
)

// Defaults applied by New for zero Config fields, and bounds.
const (
	DefaultMaxKeys = 100_000
	DefaultShards  = 64
	// MaxShards bounds Config.Shards: every shard has at least 64 slots
	// (4 KiB), so more shards cost memory without spreading contention
	// any further on real machines.
	MaxShards = 4096
)

// Errors returned by New.
var (
	ErrShards  = errors.New("limiter: shards must be a power of two between 1 and 4096")
	ErrMaxKeys = errors.New("limiter: max keys must be between 1 and 1<<28")
)

// Config sizes a Table. The zero value means the documented defaults.
type Config struct {
	// MaxKeys is the most keys counted at once over all shards. Zero
	// means DefaultMaxKeys. Memory is 128 to 256 bytes per key (64-byte
	// slots, shards at most half full), allocated up front.
	MaxKeys int
	// Shards is the number of shards, a power of two up to MaxShards.
	// Zero means DefaultShards. More shards mean less lock contention when keys are
	// added; counting itself takes no lock.
	Shards int
}

// entry is one counter, padded to a 64-byte cache line so that counters
// of different keys never share a line. All fields are atomics: readers
// never lock.
//
// TODO: idx, pushed and remote serve only fleet syncing, yet every entry
// carries them; a side array allocated only for synced mode would halve
// local tables and the cache misses of traffic over many keys, where a
// mutex-and-map baseline is faster on a two-core machine today.
type entry struct {
	key    atomic.Uint64 // key hash, keyEmpty or keyTomb
	state  atomic.Uint64 // packed counts, see pack
	expire atomic.Int64  // Unix ns after which the counts mean nothing
	idx    atomic.Int64  // full window index of state, for Collect
	pushed atomic.Uint64 // packed counts already sent to other processes
	remote atomic.Uint64 // packed counts of other processes
	// seen is set by every decision and cleared by CollectAt, which
	// skips keys nobody asked about since the last exchange.
	seen atomic.Uint32
	_    [12]byte
}

// shard is an open-addressing table of entries with linear probing. A
// slot's key goes from empty to a key and then only between keys and
// tombstones, so a lookup may stop at the first empty slot.
type shard struct {
	slots []entry
	mask  uint64
	mu    sync.Mutex // held while adding or sweeping keys
	live  int        // occupied slots; under mu
	max   int        // live keys allowed in this shard
	// used mirrors live for readers that take no lock (CollectAt skips
	// empty shards with it).
	used atomic.Int64
	_    [64]byte
}

// Table is a fixed-size set of sliding-window counters. All methods are
// safe for concurrent use. The zero value is not usable; call New.
type Table struct {
	shards    []shard
	shardMask uint64
	full      atomic.Int64
}

// New returns a Table sized by cfg.
func New(cfg Config) (*Table, error) {
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	if cfg.Shards == 0 {
		cfg.Shards = DefaultShards
	}
	if cfg.Shards < 1 || cfg.Shards > MaxShards || cfg.Shards&(cfg.Shards-1) != 0 {
		return nil, ErrShards
	}
	if cfg.MaxKeys < 1 || cfg.MaxKeys > 1<<28 {
		return nil, ErrMaxKeys
	}

	// Keep every shard at most half full so probes stay short.
	per := (cfg.MaxKeys + cfg.Shards - 1) / cfg.Shards
	size := 1 << bits.Len(uint(2*per-1))
	size = max(size, 2*maxProbe)
	t := &Table{shards: make([]shard, cfg.Shards), shardMask: uint64(cfg.Shards - 1)}
	for i := range t.shards {
		s := &t.shards[i]
		s.slots = make([]entry, size)
		s.mask = uint64(size - 1)
		s.max = per
	}
	return t, nil
}

// fixKey moves the two reserved key values out of the way.
func fixKey(key uint64) uint64 {
	if key <= keyTomb {
		key += 2
	}
	return key
}

// home returns the shard of key and the first slot of its probe.
func (t *Table) home(key uint64) (*shard, uint64) {
	s := &t.shards[key&t.shardMask]
	return s, (key >> 32) & s.mask
}

// lookup returns the entry of key, or nil when the key has none.
func (t *Table) lookup(key uint64) *entry {
	s, i := t.home(key)
	for p := uint64(0); p < maxProbe; p++ {
		e := &s.slots[(i+p)&s.mask]
		switch e.key.Load() {
		case key:
			return e
		case keyEmpty:
			return nil
		}
	}
	return nil
}

// add returns the entry of key, adding one if needed, or nil when the
// probe range holds no free slot. A slot is free when it is empty or a
// tombstone (while the shard is under its key limit, or always when
// shared) or its counts have expired (it is then taken over, so the live
// count does not change).
func (t *Table) add(key uint64, now, expire int64, shared bool) *entry {
	s, i := t.home(key)
	s.mu.Lock()
	defer s.mu.Unlock()

	var expired, free *entry
	for p := uint64(0); p < maxProbe; p++ {
		e := &s.slots[(i+p)&s.mask]
		k := e.key.Load()
		if k == key {
			return e
		}
		if k == keyEmpty {
			if free == nil {
				free = e
			}
			break
		}
		switch {
		case k == keyTomb && free == nil:
			free = e
		case k != keyTomb && expired == nil && e.expire.Load() <= now:
			expired = e
		}
	}

	e := expired
	switch {
	case e != nil:
		// Hide the old key first so its in-flight decisions retry.
		e.key.Store(keyTomb)
	case free != nil && (s.live < s.max || shared):
		e = free
		s.live++
		s.used.Store(int64(s.live))
	default:
		return nil
	}
	e.state.Store(0)
	e.pushed.Store(0)
	e.remote.Store(0)
	e.seen.Store(0)
	e.idx.Store(0)
	e.expire.Store(expire)
	e.key.Store(key)
	return e
}

// TakeAt counts one request for key in window w at now if the window has
// room for it, and reports the outcome. It never blocks on other keys'
// decisions; adding a new key takes the shard's lock briefly.
func (t *Table) TakeAt(key uint64, w Window, now time.Time) Result {
	return t.takeAt(key, w, now, false)
}

// TakeSharedAt is TakeAt for a counter shared by the callers that found
// the table full (Result.Full). It may add its key past MaxKeys, in the
// spare half of the shard, so that the shared counter exists even when
// the table is full; callers must keep such keys few (one per limit).
func (t *Table) TakeSharedAt(key uint64, w Window, now time.Time) Result {
	return t.takeAt(key, w, now, true)
}

// takeAt runs TakeAt and TakeSharedAt.
func (t *Table) takeAt(key uint64, w Window, now time.Time, shared bool) Result {
	key = fixKey(key)
	n := now.UnixNano()
	exp := w.expiry()
	for {
		e := t.lookup(key)
		if e == nil {
			if e = t.add(key, n, exp, shared); e == nil {
				t.full.Add(1)
				return Result{Full: true, Limit: w.Limit}
			}
		}
		r, ok := take(e, key, &w, n)
		if !ok {
			// The slot changed hands while we counted; start over.
			continue
		}
		return r
	}
}

// take runs one decision on e. It reports false when e no longer belongs
// to key afterwards; a count made meanwhile then lands on the slot's new
// key, which only ever over-counts that key by one.
func take(e *entry, key uint64, w *Window, now int64) (Result, bool) {
	var r Result
	for {
		old := e.state.Load()
		curr, prev := countsAt(old, w.Index)
		if now-e.expire.Load() >= wrapWindows*w.Length {
			// The 8-bit index wrapped: the word is 256 windows old.
			curr, prev = 0, 0
		}
		rc, rp := countsAt(e.remote.Load(), w.Index)
		r = decide(w, now, curr+rc, prev+rp)
		if !r.Allowed || curr >= countMask {
			r.Allowed = false
			break
		}
		if e.state.CompareAndSwap(old, pack(w.Index, curr+1, prev)) {
			break
		}
	}
	if e.key.Load() != key {
		return r, false
	}

	// Keep the expiry, the full index and the seen mark current; all
	// change rarely, so the common case only reads them.
	if e.seen.Load() == 0 {
		e.seen.Store(1)
	}
	if exp := w.expiry(); e.expire.Load() != exp {
		e.expire.Store(exp)
	}
	if e.idx.Load() != w.Index {
		e.idx.Store(w.Index)
	}
	return r, true
}

// RefundAt takes back one request counted for key in window w, for a
// caller that counted it under one limit and then refused it under
// another. It does nothing when the window has moved on.
func (t *Table) RefundAt(key uint64, w Window) {
	key = fixKey(key)
	e := t.lookup(key)
	if e == nil {
		return
	}
	for {
		old := e.state.Load()
		if uint8(old>>idxShift) != uint8(w.Index) {
			return
		}
		curr, prev := countsAt(old, w.Index)
		if curr == 0 {
			return
		}
		if e.state.CompareAndSwap(old, pack(w.Index, curr-1, prev)) {
			return
		}
	}
}

// SweepAt turns every expired key into a tombstone, freeing its slot for
// any new key. It locks one shard at a time; callers run it from a
// background goroutine every few seconds. It returns the number of keys
// removed.
func (t *Table) SweepAt(now time.Time) int {
	n, removed := now.UnixNano(), 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for j := range s.slots {
			e := &s.slots[j]
			if k := e.key.Load(); k > keyTomb && e.expire.Load() <= n {
				e.key.Store(keyTomb)
				s.live--
				removed++
			}
		}
		s.used.Store(int64(s.live))
		s.mu.Unlock()
	}
	return removed
}

// Stats is a snapshot of a Table's occupancy.
type Stats struct {
	// Live is the number of slots holding a key, expired or not.
	Live int
	// MaxKeys is the configured maximum of live keys.
	MaxKeys int
	// Full counts decisions refused because the table had no room.
	Full int64
}

// Stats returns the table's occupancy. It locks each shard briefly.
func (t *Table) Stats() Stats {
	st := Stats{Full: t.full.Load()}
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		st.Live += s.live
		st.MaxKeys += s.max
		s.mu.Unlock()
	}
	return st
}
