package limiter

import (
	"cmp"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// Accuracy bounds checked here and stated in README.md. The sliding
// window counter assumes the previous window's requests were spread
// evenly; traffic that bunches at the end of a window is under-weighted.
// Over-admission is the most requests admitted in any trailing window
// over the limit, as a fraction of the limit.
const (
	// constantOverBound bounds it on Poisson traffic of one rate.
	constantOverBound = 0.25
	// steadyOverBound bounds it on Poisson traffic whose rate changes
	// at random instants: a rate rise late in a window bunches that
	// window's requests at its end, which the weighting cannot see.
	steadyOverBound = 0.65
	// burstyOverBound bounds it when, in addition, bursts of twice the
	// limit arrive within 5ms at random instants.
	burstyOverBound = 0.65
)

// exactLog is the reference: a sliding log that admits a request when
// fewer than limit requests were admitted in the trailing window.
type exactLog struct {
	limit int
	win   int64
	times []int64
}

func (l *exactLog) allow(now int64) bool {
	i := sort.Search(len(l.times), func(i int) bool { return l.times[i] > now-l.win })
	l.times = l.times[i:]
	if len(l.times) >= l.limit {
		return false
	}
	l.times = append(l.times, now)
	return true
}

// maxInWindow returns the most timestamps of sorted ts that fall in any
// half-open interval (t-win, t].
func maxInWindow(ts []int64, win int64) int {
	best, lo := 0, 0
	for hi, t := range ts {
		for ts[lo] <= t-win {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// traffic returns sorted arrival times over n windows: segments of random
// length with random rates from a fifth to four times the limit (or
// always fixed times the limit when fixed is not 0) and, when bursty,
// after one segment in four a burst of twice the limit within 5ms.
func traffic(r *rand.Rand, limit int, win int64, n int, fixed float64, bursty bool) []int64 {
	var ts []int64
	end := int64(n) * win
	for t := int64(0); t < end; {
		seg := win/10 + r.Int64N(2*win)
		rate := (0.2 + 3.8*r.Float64()) * float64(limit) / float64(win)
		if fixed != 0 {
			rate = fixed * float64(limit) / float64(win)
		}
		for u := t; u < t+seg && u < end; {
			u += int64(r.ExpFloat64() / rate)
			ts = append(ts, u)
		}
		if bursty && r.IntN(4) == 0 {
			b := t + seg - r.Int64N(win/10)
			for range 2 * limit {
				ts = append(ts, b+r.Int64N(int64(5*time.Millisecond)))
			}
		}
		t += seg
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return ts
}

// TestAccuracyRandom runs the Table and the exact log side by side on
// random traffic and reports the worst over-admission of the Table, and
// how its admitted total compares with the exact log's.
func TestAccuracyRandom(t *testing.T) {
	tests := []struct {
		name    string
		limit   int
		win     time.Duration
		windows int     // of traffic per seed; default 60
		fixed   float64 // a constant rate, times the limit; 0: changing
		bursty  bool
		bound   float64
	}{
		{name: "constant 2x 100 per second", limit: 100, win: time.Second, fixed: 2,
			bound: constantOverBound},
		{name: "constant 1.1x 100 per second", limit: 100, win: time.Second, fixed: 1.1,
			bound: constantOverBound},
		{name: "steady 100 per second", limit: 100, win: time.Second, bound: steadyOverBound},
		{name: "steady 10 per second", limit: 10, win: time.Second, bound: steadyOverBound},
		{name: "steady 1000 per minute", limit: 1000, win: time.Minute, windows: 15,
			bound: steadyOverBound},
		{name: "bursty 100 per second", limit: 100, win: time.Second, bursty: true,
			bound: burstyOverBound},
		{name: "bursty 10 per second", limit: 10, win: time.Second, bursty: true,
			bound: burstyOverBound},
		{name: "bursty 1000 per minute", limit: 1000, win: time.Minute, windows: 15,
			bursty: true, bound: burstyOverBound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			worst, tot, exact := 0.0, 0, 0
			for seed := range uint64(20) {
				r := rand.New(rand.NewPCG(seed, 42))
				tb := newTable(t, Config{MaxKeys: 16, Shards: 1})
				ref := &exactLog{limit: tt.limit, win: int64(tt.win)}
				base := t0.UnixNano() - t0.UnixNano()%int64(tt.win)
				var got []int64
				ts := traffic(r, tt.limit, int64(tt.win), cmp.Or(tt.windows, 60), tt.fixed, tt.bursty)
				for _, at := range ts {
					now := time.Unix(0, base+at)
					if tb.TakeAt(1, SlidingAt(int64(tt.limit), tt.win, now), now).Allowed {
						got = append(got, at)
					}
					if ref.allow(at) {
						exact++
					}
				}
				tot += len(got)
				over := float64(maxInWindow(got, int64(tt.win))-tt.limit) / float64(tt.limit)
				worst = max(worst, over)
			}
			t.Logf("worst over-admission %.1f%% of the limit; admitted %d, exact log %d (%+.1f%%)",
				100*worst, tot, exact, 100*float64(tot-exact)/float64(exact))
			if worst > tt.bound {
				t.Errorf("worst over-admission = %.3f, want <= %.3f", worst, tt.bound)
			}
		})
	}
}

// TestAccuracyAdversarial pins the worst case: a full burst at the very
// end of one window is weighted as if spread over it, so at the end of
// the next window, still within one window length of the first burst,
// the counter admits almost the limit again: just under twice the limit
// in one trailing window.
func TestAccuracyAdversarial(t *testing.T) {
	const limit, win = 100, int64(time.Second)
	tb := newTable(t, Config{MaxKeys: 16, Shards: 1})
	var got []int64
	for _, at := range []int64{win - 1000, 2*win - 2000} {
		for range 2 * limit {
			now := time.Unix(0, t0.UnixNano()+at)
			if tb.TakeAt(1, SlidingAt(limit, time.Second, now), now).Allowed {
				got = append(got, at)
			}
		}
	}
	n := maxInWindow(got, win)
	t.Logf("adversarial: %d admitted in one trailing window, limit %d", n, limit)
	if n >= 2*limit || n < 2*limit-2 {
		t.Errorf("admitted %d in one window, want just under %d", n, 2*limit)
	}
}
