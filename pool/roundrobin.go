package pool

import "sync/atomic"

// roundRobin hands requests to the targets in turn, ignoring weights.
type roundRobin struct {
	targets []*Target
	next    atomic.Uint64
}

var _ balancer = (*roundRobin)(nil)

// pick starts at the next position and walks on past unusable targets.
// The counter then moves past the skipped ones too, so the target after
// a down one does not get twice its share.
func (rr *roundRobin) pick(_ uint64, tried uint64) *Target {
	return pickInTurn(rr.targets, &rr.next, tried)
}

// pickInTurn returns the next usable target in round-robin order.
func pickInTurn(targets []*Target, next *atomic.Uint64, tried uint64) *Target {
	n := uint64(len(targets))
	start := next.Add(1) - 1
	for i := range n {
		if t := targets[(start+i)%n]; usable(t, tried) {
			if i > 0 {
				next.Add(i)
			}
			return t
		}
	}
	return nil
}
