package load

import (
	"math"
	"math/bits"
	"time"
)

// Histogram layout: values below 2*subCount are counted exactly; above
// that, each power of two is split into subCount linear sub-buckets, so a
// recorded value is known to within 1/subCount of itself. This is the
// layout of an HDR histogram with a fixed significant-figure setting.
const (
	// subBits sets the precision: 2^subBits sub-buckets per power of two.
	subBits  = 7
	subCount = 1 << subBits

	// maxShift bounds the range: values up to 2^(maxShift+subBits+1)-1 ns
	// (about 18 minutes) are kept; larger ones are clamped into the top bucket.
	maxShift   = 32
	numBuckets = (maxShift + 2) * subCount
	maxValue   = int64(1)<<(maxShift+subBits+1) - 1
)

// Histogram counts durations in log-linear buckets. The zero value is an
// empty histogram ready to use. Record does not allocate. A Histogram is
// not safe for concurrent use: give each goroutine its own and Merge them.
type Histogram struct {
	counts [numBuckets]uint64
	total  uint64
	sum    float64
	min    int64
	max    int64
}

// bucketOf returns the bucket index of a non-negative value v.
func bucketOf(v int64) int {
	if v > maxValue {
		v = maxValue
	}
	shift := bits.Len64(uint64(v)) - (subBits + 1)
	if shift < 0 {
		shift = 0
	}
	return shift*subCount + int(v>>uint(shift))
}

// bucketHigh returns the largest value that falls into bucket i.
func bucketHigh(i int) int64 {
	if i < 2*subCount {
		return int64(i)
	}
	shift := i/subCount - 1
	mant := int64(i - shift*subCount)
	return (mant+1)<<uint(shift) - 1
}

// Record adds one observation. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)]++
	if h.total == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.total++
	h.sum += float64(v)
}

// Count returns the number of observations.
func (h *Histogram) Count() uint64 { return h.total }

// Min returns the smallest observation, or 0 when empty.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Max returns the largest observation, or 0 when empty.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean returns the arithmetic mean of the observations, or 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.total))
}

// Quantile returns the value at quantile q (0 <= q <= 1): the upper bound
// of the bucket holding the observation of rank ceil(q*Count), capped at
// Max. It returns 0 when the histogram is empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	if rank < 1 {
		rank = 1
	}
	if rank > h.total {
		rank = h.total
	}
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i]
		if seen >= rank {
			return time.Duration(min(bucketHigh(i), h.max))
		}
	}
	return time.Duration(h.max)
}

// Merge adds every observation of o to h. o is not changed.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.total += o.total
	h.sum += o.sum
}

// Reset empties the histogram.
func (h *Histogram) Reset() { *h = Histogram{} }
