package pool

import (
	"strconv"
	"strings"
	"testing"

	"github.com/cespare/xxhash/v2"
)

// balancerUpstream builds an upstream over addresses that are never
// dialled: the balancer tests only pick.
func balancerUpstream(t *testing.T, policy string, weights ...int) *Upstream {
	t.Helper()
	cfg := Config{Balance: policy}
	for i, w := range weights {
		addr := "10.0.0." + strconv.Itoa(i+1) + ":80"
		cfg.Targets = append(cfg.Targets, TargetConfig{Addr: addr, Weight: w})
	}
	return newTestUpstream(t, cfg)
}

// sequence picks n times and names the picks a, b, c... by target index.
func sequence(u *Upstream, n int, hash uint64) string {
	var sb strings.Builder
	for range n {
		tg := u.bal.pick(hash, 0)
		if tg == nil {
			sb.WriteByte('-')
			continue
		}
		sb.WriteByte(byte('a' + u.index(tg)))
	}
	return sb.String()
}

func TestBalancerSequences(t *testing.T) {
	tests := []struct {
		name    string
		policy  string
		weights []int
		down    []int
		n       int
		want    string
	}{
		{name: "round robin", policy: BalanceRoundRobin, weights: []int{1, 1, 1}, n: 7,
			want: "abcabca"},
		{name: "round robin ignores weight", policy: BalanceRoundRobin, weights: []int{5, 1},
			n: 4, want: "abab"},
		{name: "round robin skips down", policy: BalanceRoundRobin, weights: []int{1, 1, 1},
			down: []int{1}, n: 6, want: "acacac"},
		{name: "round robin all down", policy: BalanceRoundRobin, weights: []int{1, 1},
			down: []int{0, 1}, n: 2, want: "--"},
		{name: "swrr nginx 5,1,1", policy: BalanceWeighted, weights: []int{5, 1, 1}, n: 14,
			want: "aabacaaaabacaa"},
		{name: "swrr equal weights", policy: BalanceWeighted, weights: []int{1, 1, 1}, n: 6,
			want: "abcabc"},
		{name: "swrr 2,1", policy: BalanceWeighted, weights: []int{2, 1}, n: 6,
			want: "abaaba"},
		{name: "swrr weights reduced by their gcd", policy: BalanceWeighted,
			weights: []int{200, 100}, n: 6, want: "abaaba"},
		{name: "swrr skips down", policy: BalanceWeighted, weights: []int{5, 1, 1},
			down: []int{0}, n: 4, want: "bcbc"},
		{name: "swrr all down", policy: BalanceWeighted, weights: []int{1}, down: []int{0},
			n: 1, want: "-"},
		{name: "consistent hash without key is round robin", policy: BalanceConsistentHash,
			weights: []int{1, 1, 1}, n: 6, want: "abcabc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := balancerUpstream(t, tt.policy, tt.weights...)
			for _, i := range tt.down {
				u.targets[i].healthy.Store(false)
			}
			if got := sequence(u, tt.n, 0); got != tt.want {
				t.Errorf("picks = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBalancerSkipsTried(t *testing.T) {
	for _, policy := range []string{BalanceRoundRobin, BalanceWeighted,
		BalanceLeastOutstanding, BalanceConsistentHash} {
		t.Run(policy, func(t *testing.T) {
			u := balancerUpstream(t, policy, 1, 1, 1)
			for range 20 {
				first := u.bal.pick(42, 0)
				second := u.bal.pick(42, first.bit)
				third := u.bal.pick(42, first.bit|second.bit)
				if second == first || third == first || third == second {
					t.Fatalf("picks %s %s %s repeat a tried target",
						first.addr, second.addr, third.addr)
				}
				if got := u.bal.pick(42, first.bit|second.bit|third.bit); got != nil {
					t.Fatalf("pick with all tried = %s, want nil", got.addr)
				}
			}
		})
	}
}

func TestWeightedShares(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
	}{
		{name: "3:1", weights: []int{3, 1}},
		{name: "1000:1:7", weights: []int{1000, 1, 7}},
		// 200 targets of weight 999 and 1 overflow the precomputed
		// period and are scaled; the shares stay within a percent.
		{name: "scaled", weights: append(repeat(999, 100), repeat(1, 100)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := balancerUpstream(t, BalanceWeighted, tt.weights...)
			w := u.bal.(*weighted)
			sum := 0
			for _, x := range tt.weights {
				sum += x
			}
			counts := make([]int, len(tt.weights))
			picks := len(w.seq) * 2
			for range picks {
				counts[u.index(u.bal.pick(0, 0))]++
			}
			for i, x := range tt.weights {
				want := float64(x) / float64(sum)
				got := float64(counts[i]) / float64(picks)
				if got < want*0.99-0.0001 || got > want*1.01+0.0001 {
					t.Fatalf("target %d (weight %d) got share %.5f, want %.5f", i, x, got, want)
				}
			}
		})
	}
}

func repeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestLeastOutstanding(t *testing.T) {
	tests := []struct {
		name  string
		busy  []int64
		want  int // index every pick must return, or -1 for "spread"
		picks int
	}{
		{name: "prefers the idle target", busy: []int64{1, 0}, want: 1, picks: 50},
		{name: "prefers the idle target, reversed", busy: []int64{0, 3}, want: 0, picks: 50},
		{name: "idle targets share the load", busy: []int64{0, 0}, want: -1, picks: 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := balancerUpstream(t, BalanceLeastOutstanding, 1, 1)
			for i, n := range tt.busy {
				u.targets[i].outstanding.Store(n)
			}
			counts := make([]int, len(tt.busy))
			for range tt.picks {
				counts[u.index(u.bal.pick(0, 0))]++
			}
			if tt.want >= 0 && counts[tt.want] != tt.picks {
				t.Errorf("picks per target = %v, want all %d on %d", counts, tt.picks, tt.want)
			}
			if tt.want < 0 && (counts[0] == 0 || counts[1] == 0) {
				t.Errorf("picks per target = %v, want both used", counts)
			}
		})
	}
}

func TestLeastOutstandingManyTargets(t *testing.T) {
	// With four targets of which three are busy, two choices find the
	// idle one half the time (1/4 + 3/4*1/3), twice a uniform pick.
	u := balancerUpstream(t, BalanceLeastOutstanding, 1, 1, 1, 1)
	for i := range 3 {
		u.targets[i].outstanding.Store(5)
	}
	idle := 0
	const n = 4000
	for range n {
		if u.bal.pick(0, 0) == u.targets[3] {
			idle++
		}
	}
	if idle < n*2/5 {
		t.Errorf("idle target got %d of %d picks, want about half", idle, n)
	}
}

func TestConsistentHashStability(t *testing.T) {
	const keys = 20000
	u := balancerUpstream(t, BalanceConsistentHash, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	before := make([]*Target, keys)
	per := make(map[*Target]int)
	for k := range keys {
		before[k] = u.bal.pick(keyHash(k), 0)
		per[before[k]]++
	}
	for _, tg := range u.targets {
		if share := float64(per[tg]) / keys; share < 0.05 || share > 0.15 {
			t.Errorf("target %s holds %.3f of the keys, want about 0.1", tg.addr, share)
		}
	}

	gone := u.targets[3]
	gone.healthy.Store(false)
	moved := 0
	for k := range keys {
		after := u.bal.pick(keyHash(k), 0)
		if after == before[k] {
			continue
		}
		moved++
		if before[k] != gone {
			t.Fatalf("key %d moved from %s to %s though its target stayed", k,
				before[k].addr, after.addr)
		}
	}
	if limit := keys/10 + keys/50; moved > limit {
		t.Errorf("%d of %d keys moved, want at most %d", moved, keys, limit)
	}

	// The same key keeps its target across picks and back again.
	gone.healthy.Store(true)
	for k := range 100 {
		if got := u.bal.pick(keyHash(k), 0); got != before[k] {
			t.Fatalf("key %d went to %s after recovery, want %s", k, got.addr, before[k].addr)
		}
	}
}

func keyHash(k int) uint64 {
	return nonZero(xxhash.Sum64String("key-" + strconv.Itoa(k)))
}

func TestNewBalancerUnknown(t *testing.T) {
	_, err := New(Config{Name: "x", Targets: targets("127.0.0.1:1"), Balance: "random"})
	if err == nil {
		t.Fatal("New with balance random = nil error, want one")
	}
}

func TestConsistentHashWeights(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
	}{
		{name: "3:1", weights: []int{3, 1}},
		{name: "300:100 as 3:1", weights: []int{300, 100}},
		{name: "over the ring cap", weights: []int{1000, 1000, 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := balancerUpstream(t, BalanceConsistentHash, tt.weights...)
			if n := len(u.bal.(*consistentHash).ring); n > maxRingWeight*vnodesPerWeight {
				t.Errorf("ring has %d points, want at most %d", n, maxRingWeight*vnodesPerWeight)
			}
			const keys = 20000
			counts := make([]int, len(tt.weights))
			for k := range keys {
				counts[u.index(u.bal.pick(keyHash(k), 0))]++
			}
			sum := 0
			for _, w := range tt.weights {
				sum += w
			}
			for i, w := range tt.weights {
				want := float64(w) / float64(sum)
				if got := float64(counts[i]) / keys; got < want-0.05 || got > want+0.05 {
					t.Errorf("target %d (weight %d) holds %.3f, want %.3f", i, w, got, want)
				}
			}
		})
	}
}
