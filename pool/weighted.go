package pool

import "sync"

// weighted is nginx's smooth weighted round robin: on each pick every
// usable target's current weight grows by its weight, the largest wins
// and loses the sum of the weights. For weights 5, 1, 1 it gives
// a a b a c a a, spreading the heavy target instead of bunching it.
// The loop is a few additions, so a plain mutex is cheaper than any
// lock-free scheme would be.
type weighted struct {
	targets []*Target
	mu      sync.Mutex
	current []int // guarded by mu, one per target
}

var _ balancer = (*weighted)(nil)

func newWeighted(targets []*Target) *weighted {
	return &weighted{targets: targets, current: make([]int, len(targets))}
}

func (w *weighted) pick(_ uint64, tried uint64) *Target {
	// Availability reads atomics and maybe the clock: do it outside
	// the lock, at the cost of a decision a few nanoseconds stale.
	var ok [64]bool
	for i, t := range w.targets {
		if i < len(ok) {
			ok[i] = usable(t, tried)
		}
	}

	w.mu.Lock()
	best, total := -1, 0
	for i, t := range w.targets {
		if (i < len(ok) && !ok[i]) || (i >= len(ok) && !usable(t, tried)) {
			continue
		}
		w.current[i] += t.weight
		total += t.weight
		if best < 0 || w.current[i] > w.current[best] {
			best = i
		}
	}
	if best < 0 {
		w.mu.Unlock()
		return nil
	}
	w.current[best] -= total
	w.mu.Unlock()
	return w.targets[best]
}
