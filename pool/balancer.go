package pool

import "fmt"

// balancer picks the target for one attempt. pick skips targets that are
// unavailable (unhealthy or ejected) and those whose bit is set in tried;
// it returns nil when none is left. hash is the request's key, used by
// consistent_hash only (0 means no key). Implementations are safe for
// concurrent use and allocate nothing.
type balancer interface {
	pick(hash uint64, tried uint64) *Target
}

// newBalancer builds the balancer named by policy over targets.
func newBalancer(policy string, targets []*Target) (balancer, error) {
	switch policy {
	case BalanceRoundRobin:
		return &roundRobin{targets: targets}, nil
	case BalanceWeighted:
		return newWeighted(targets), nil
	case BalanceLeastOutstanding:
		return &leastOutstanding{targets: targets}, nil
	case BalanceConsistentHash:
		return newConsistentHash(targets), nil
	}
	return nil, fmt.Errorf("pool: balance %q: want %s, %s, %s or %s", policy,
		BalanceRoundRobin, BalanceWeighted, BalanceLeastOutstanding, BalanceConsistentHash)
}

// usable reports whether t may take this attempt.
func usable(t *Target, tried uint64) bool {
	return t.bit&tried == 0 && t.available()
}
