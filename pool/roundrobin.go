package pool

import "sync/atomic"

// roundRobin hands requests to the targets in turn, ignoring weights.
type roundRobin struct {
	targets []*Target
	next    atomic.Uint64
}

var _ balancer = (*roundRobin)(nil)

// pick starts at the next position and walks on past unusable targets.
func (rr *roundRobin) pick(_ uint64, tried uint64) *Target {
	n := uint64(len(rr.targets))
	start := rr.next.Add(1) - 1
	for i := range n {
		if t := rr.targets[(start+i)%n]; usable(t, tried) {
			return t
		}
	}
	return nil
}
