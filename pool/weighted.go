package pool

import "sync/atomic"

// maxWeightedSeq caps the precomputed sequence. Weights are first divided
// by their greatest common divisor; only sums above this are scaled down,
// which rounds the shares slightly.
const maxWeightedSeq = 1 << 16

// weighted is nginx's smooth weighted round robin, precomputed: on each
// step of nginx's algorithm every target's current weight grows by its
// weight, the largest wins and loses the sum of the weights. The result
// is periodic with period sum(weights), so one period is stored and an
// atomic counter walks it; a pick takes no lock. For weights 5, 1, 1 the
// period is a a b a c a a, spreading the heavy target instead of bunching
// it.
//
// Targets that cannot take a request are skipped in sequence order, and
// the counter moves past them. Unlike nginx's live algorithm, the shares
// of the remaining targets then follow the sequence, not a recomputation
// over the usable ones; a down target's turns go to the entries after it.
type weighted struct {
	targets []*Target
	seq     []int32 // one period of target indexes
	next    atomic.Uint64
}

var _ balancer = (*weighted)(nil)

func newWeighted(targets []*Target) *weighted {
	weights, sum := scaledWeights(targets, maxWeightedSeq)
	w := &weighted{targets: targets, seq: make([]int32, sum)}
	current := make([]int, len(targets))
	for k := range w.seq {
		best := 0
		for i, wt := range weights {
			current[i] += wt
			if current[i] > current[best] {
				best = i
			}
		}
		current[best] -= sum
		w.seq[k] = int32(best)
	}
	return w
}

func (w *weighted) pick(_ uint64, tried uint64) *Target {
	n := uint64(len(w.seq))
	start := w.next.Add(1) - 1

	// Walk the sequence, but only for a few entries per target: when
	// most targets are out, a long period would make this slow.
	limit := min(n, 2*uint64(len(w.targets)))
	for i := range limit {
		if t := w.targets[w.seq[(start+i)%n]]; usable(t, tried) {
			if i > 0 {
				w.next.Add(i)
			}
			return t
		}
	}

	// Few usable targets left: take them in turn.
	m := uint64(len(w.targets))
	for i := range m {
		if t := w.targets[(start+i)%m]; usable(t, tried) {
			return t
		}
	}
	return nil
}

// scaledWeights returns the targets' weights divided by their greatest
// common divisor and, if their sum is still over limit, scaled down in
// proportion (each at least 1), with their sum.
func scaledWeights(targets []*Target, limit int) ([]int, int) {
	weights := make([]int, len(targets))
	g := 0
	for i, t := range targets {
		weights[i] = t.weight
		g = gcd(g, t.weight)
	}
	sum := 0
	for i := range weights {
		weights[i] /= g
		sum += weights[i]
	}
	if sum <= limit {
		return weights, sum
	}
	scaled := 0
	for i, w := range weights {
		weights[i] = max(1, w*limit/sum)
		scaled += weights[i]
	}
	return weights, scaled
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
