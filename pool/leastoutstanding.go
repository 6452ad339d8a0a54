package pool

import (
	"math/rand/v2"
	"sync/atomic"
)

// leastOutstanding sends a request to the less busy of two targets
// (power of two choices): the first comes round robin, the second at
// random. Comparing two instead of all keeps the pick O(1) and avoids the
// herd that a global minimum causes when many picks see the same counts.
// Ties go to the round-robin one, so idle targets share the load.
type leastOutstanding struct {
	targets []*Target
	next    atomic.Uint64
}

var _ balancer = (*leastOutstanding)(nil)

func (lo *leastOutstanding) pick(_ uint64, tried uint64) *Target {
	n := uint64(len(lo.targets))
	start := lo.next.Add(1) - 1

	// First choice: the next usable target in round-robin order.
	var a *Target
	var ai uint64
	for i := range n {
		if t := lo.targets[(start+i)%n]; usable(t, tried) {
			a, ai = t, (start+i)%n
			break
		}
	}
	if a == nil || n == 1 {
		return a
	}

	// Second choice: a random other target; if it cannot take the
	// request, the first one wins.
	bi := (ai + 1 + rand.Uint64N(n-1)) % n
	b := lo.targets[bi]
	if !usable(b, tried) || a.outstanding.Load() <= b.outstanding.Load() {
		return a
	}
	return b
}
