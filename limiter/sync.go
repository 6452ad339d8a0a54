package limiter

import "time"

// Delta is one key's counts not yet sent to other processes, as gathered
// by Collect. A caller adds Curr and Prev to the shared counts of windows
// Index and Index-1, reads back the totals and hands them to Commit.
type Delta struct {
	// Key is the key hash.
	Key uint64
	// Index is the window the counts belong to.
	Index int64
	// Curr and Prev are the counts of windows Index and Index-1 made here
	// since the last Commit; negative after refunds.
	Curr, Prev int64
	// TTL is how long the shared counts of window Index stay useful.
	TTL time.Duration

	e          *entry
	ownC, ownP uint64 // this process's counts when collected
}

// CollectAt appends to dst one Delta per live key that was decided on
// since the previous CollectAt, and returns the extended slice. It reads
// counters without locking and changes only the keys' seen marks, so a
// failed send loses no counts: a later CollectAt includes them. A key
// nobody asked about keeps the other processes' counts of its last
// exchange until it is asked about again.
//
// TODO: CollectAt scans every slot of every shard that holds a key, so
// its cost grows with MaxKeys, not with the keys that changed; a fleet
// with a large table and a short sync interval spends CPU on the scan.
func (t *Table) CollectAt(now time.Time, dst []Delta) []Delta {
	n := now.UnixNano()
	for i := range t.shards {
		s := &t.shards[i]
		if s.used.Load() == 0 {
			continue
		}
		for j := range s.slots {
			e := &s.slots[j]
			k := e.key.Load()
			if k <= keyTomb || e.expire.Load() <= n {
				continue
			}
			if e.seen.Load() == 0 && e.state.Load() == e.pushed.Load() {
				continue
			}
			e.seen.Store(0)
			st, idx := e.state.Load(), e.idx.Load()
			if uint8(idx) != uint8(st>>idxShift) {
				// A window turned over between the two loads; next round.
				continue
			}
			c, p := countsAt(st, idx)
			pc, pp := countsAt(e.pushed.Load(), idx)
			dst = append(dst, Delta{
				Key: k, Index: idx,
				Curr: int64(c) - int64(pc), Prev: int64(p) - int64(pp),
				TTL: time.Duration(e.expire.Load() - n),
				e:   e, ownC: c, ownP: p,
			})
		}
	}
	return dst
}

// Commit records that d's counts were sent and that the shared totals of
// windows d.Index and d.Index-1, including them, are curr and prev. Later
// decisions on the key count the other processes' part of those totals.
// Commit does nothing when the key lost its slot meanwhile.
func (t *Table) Commit(d *Delta, curr, prev int64) {
	e := d.e
	if e.key.Load() != d.Key {
		return
	}
	rc := max(curr-int64(d.ownC), 0)
	rp := max(prev-int64(d.ownP), 0)
	e.pushed.Store(pack(d.Index, d.ownC, d.ownP))
	e.remote.Store(pack(d.Index, min(uint64(rc), countMask), min(uint64(rp), countMask)))
}

// ForgetRemote drops every key's counts from other processes, for when
// they can no longer be refreshed; decisions then count local requests
// only.
func (t *Table) ForgetRemote() {
	for i := range t.shards {
		s := &t.shards[i]
		for j := range s.slots {
			if s.slots[j].remote.Load() != 0 {
				s.slots[j].remote.Store(0)
			}
		}
	}
}
