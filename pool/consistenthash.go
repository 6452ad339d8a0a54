package pool

import (
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
)

// vnodesPerWeight is how many points one unit of weight puts on the ring.
// 100 keeps the spread between targets within a few percent.
const vnodesPerWeight = 100

// maxRingWeight caps the sum of the weights that place points (2 MiB of
// ring); weights are reduced by their gcd first and scaled past it.
const maxRingWeight = 1 << 17 / vnodesPerWeight

// vnode is one point on the ring.
type vnode struct {
	hash   uint64
	target int32
}

// consistentHash maps a key to the first ring point at or after its hash
// and walks clockwise past unusable targets. A target that leaves (down,
// ejected or already tried) hands only its own keys to its ring
// successors; every other key stays where it was. The ring is built once
// and only read afterwards.
type consistentHash struct {
	targets []*Target
	ring    []vnode // sorted by hash
	next    atomic.Uint64
}

var _ balancer = (*consistentHash)(nil)

// newConsistentHash places weight*vnodesPerWeight points per target (with
// weights reduced by their gcd), each the xxhash of "addr#k", so the ring
// depends only on the addresses and their relative weights.
func newConsistentHash(targets []*Target) *consistentHash {
	weights, sum := scaledWeights(targets, maxRingWeight)
	ch := &consistentHash{targets: targets, ring: make([]vnode, 0, sum*vnodesPerWeight)}
	var buf []byte
	for i, t := range targets {
		for k := range weights[i] * vnodesPerWeight {
			buf = append(append(buf[:0], t.addr...), '#')
			buf = strconv.AppendInt(buf, int64(k), 10)
			ch.ring = append(ch.ring, vnode{hash: xxhash.Sum64(buf), target: int32(i)})
		}
	}
	slices.SortFunc(ch.ring, func(a, b vnode) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return int(a.target - b.target)
	})
	return ch
}

func (ch *consistentHash) pick(hash uint64, tried uint64) *Target {
	// Without a key the ring would send everything to one target:
	// spread such requests round robin instead.
	if hash == 0 {
		return pickInTurn(ch.targets, &ch.next, tried)
	}

	n := len(ch.ring)
	at := ch.search(hash)
	for i := range n {
		if t := ch.targets[ch.ring[(at+i)%n].target]; usable(t, tried) {
			return t
		}
	}
	return nil
}

// search returns the index of the first point with hash >= h, wrapping to
// 0 past the end.
func (ch *consistentHash) search(h uint64) int {
	lo, hi := 0, len(ch.ring)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if ch.ring[mid].hash < h {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(ch.ring) {
		return 0
	}
	return lo
}
