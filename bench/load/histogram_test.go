package load

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramQuantileExact(t *testing.T) {
	// Values below 2*subCount ns are kept exactly, so 1..100 gives exact
	// order statistics.
	var h Histogram
	for v := 100; v >= 1; v-- {
		h.Record(time.Duration(v))
	}
	tests := []struct {
		name string
		q    float64
		want time.Duration
	}{
		{name: "min", q: 0, want: 1},
		{name: "p1", q: 0.01, want: 1},
		{name: "p50", q: 0.5, want: 50},
		{name: "p90", q: 0.9, want: 90},
		{name: "p99", q: 0.99, want: 99},
		{name: "p99.9", q: 0.999, want: 100},
		{name: "max", q: 1, want: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.Quantile(tt.q); got != tt.want {
				t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
	if h.Count() != 100 || h.Min() != 1 || h.Max() != 100 {
		t.Errorf("Count, Min, Max = %d, %v, %v, want 100, 1ns, 100ns", h.Count(), h.Min(), h.Max())
	}
	if got := h.Mean(); got != 50 { // 50.5 truncated
		t.Errorf("Mean() = %v, want 50ns", got)
	}
}

func TestHistogramQuantileRelativeError(t *testing.T) {
	// Uniform microsecond-range data: every quantile must sit within the
	// bucket precision (1/subCount) above the true order statistic.
	tests := []struct {
		name string
		lo   time.Duration
		hi   time.Duration
	}{
		{name: "microseconds", lo: 20 * time.Microsecond, hi: 900 * time.Microsecond},
		{name: "milliseconds", lo: time.Millisecond, hi: 2 * time.Second},
		{name: "narrow", lo: 100 * time.Microsecond, hi: 101 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			const n = 10000
			sorted := make([]time.Duration, n)
			var h Histogram
			for i := range n {
				sorted[i] = tt.lo + time.Duration(rng.Int64N(int64(tt.hi-tt.lo)))
				h.Record(sorted[i])
			}
			sortDurations(sorted)
			for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
				exact := sorted[int(q*n+0.5)-1]
				got := h.Quantile(q)
				if got < exact || float64(got-exact) > float64(exact)/subCount {
					t.Errorf("Quantile(%v) = %v, want within %.2f%% above %v",
						q, got, 100.0/subCount, exact)
				}
			}
		})
	}
}

// sortDurations sorts d in place.
func sortDurations(d []time.Duration) { slices.Sort(d) }

func TestHistogramMergeAndReset(t *testing.T) {
	var a, b, empty Histogram
	for v := 1; v <= 50; v++ {
		a.Record(time.Duration(v))
	}
	for v := 51; v <= 100; v++ {
		b.Record(time.Duration(v))
	}
	a.Merge(&b)
	a.Merge(&empty)
	if a.Count() != 100 || a.Min() != 1 || a.Max() != 100 || a.Quantile(0.5) != 50 {
		t.Errorf("merged Count, Min, Max, p50 = %d, %v, %v, %v, want 100, 1ns, 100ns, 50ns",
			a.Count(), a.Min(), a.Max(), a.Quantile(0.5))
	}
	empty.Merge(&b)
	if empty.Min() != 51 {
		t.Errorf("Merge into empty: Min() = %v, want 51ns", empty.Min())
	}
	a.Reset()
	if a.Count() != 0 || a.Quantile(0.5) != 0 || a.Mean() != 0 {
		t.Errorf("after Reset: Count, p50, Mean = %d, %v, %v, want zeros",
			a.Count(), a.Quantile(0.5), a.Mean())
	}
}

func TestHistogramEdges(t *testing.T) {
	tests := []struct {
		name string
		in   time.Duration
		want time.Duration // p50 of a histogram holding only in
	}{
		{name: "negative counts as zero", in: -5, want: 0},
		{name: "zero", in: 0, want: 0},
		{name: "huge is clamped", in: time.Duration(1 << 62), want: time.Duration(maxValue)},
		{name: "bucket boundary", in: 2 * subCount, want: 2 * subCount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			h.Record(tt.in)
			if got := h.Quantile(0.5); got != tt.want {
				t.Errorf("Quantile(0.5) after Record(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestBucketLayout(t *testing.T) {
	// Buckets are contiguous and ordered: the high of bucket i is one less
	// than the low of bucket i+1, which bucketOf maps back to i+1.
	for i := 0; i < numBuckets-1; i++ {
		hi := bucketHigh(i)
		if got := bucketOf(hi); got != i {
			t.Fatalf("bucketOf(bucketHigh(%d)=%d) = %d, want %d", i, hi, got, i)
		}
		if got := bucketOf(hi + 1); got != i+1 {
			t.Fatalf("bucketOf(%d) = %d, want %d", hi+1, got, i+1)
		}
	}
	if got := bucketOf(maxValue); got != numBuckets-1 {
		t.Errorf("bucketOf(maxValue) = %d, want %d", got, numBuckets-1)
	}
}
