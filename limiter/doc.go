// Package limiter counts requests per key in sliding windows, in process.
//
// A Table holds a fixed number of counters spread over a power-of-two
// number of shards picked by the key's hash. Each counter keeps the count
// of the current and the previous window and estimates the count of the
// last window length by weighting the previous window with the part of it
// that still overlaps (the "sliding window counter"). A decision is a few
// atomic loads and one compare-and-swap; only adding a key takes a short
// shard-local lock. Nothing allocates after New.
//
// Memory is bounded: New sizes every shard once for Config.MaxKeys live
// keys. A key whose windows have passed is expired and its slot is taken
// by the next new key, or turned into a tombstone by Sweep. When a new key
// finds no slot, TakeAt reports Result.Full and admits nothing; the caller
// decides what a full table means (package limits counts such callers on
// one shared counter per limit, so they are limited together and never
// unlimited).
//
// Keys are 64-bit hashes (xxhash of the caller's key bytes). Two keys
// with the same hash share a counter; with 64 bits this is negligible for
// tables of millions of keys.
//
// The clock is always passed in. The package leaves policies (what a key
// is, which limits apply), HTTP headers and fleet-wide counting to its
// callers; for the latter a Table exposes the per-key deltas and accepts
// counts from other processes (Collect, Commit).
package limiter
