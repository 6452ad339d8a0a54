package limiter

import (
	"math"
	"math/bits"
	"time"
)

// Counts are packed into one 64-bit word so that a decision is a single
// compare-and-swap: the low 8 bits of the window index, the current
// window's count and the previous window's count.
const (
	countBits = 28
	countMask = 1<<countBits - 1
	idxShift  = 2 * countBits

	// MaxLimit is the largest limit per window a Table can enforce.
	MaxLimit = countMask - 1
)

// pack builds a counter word.
func pack(idx int64, curr, prev uint64) uint64 {
	return uint64(uint8(idx))<<idxShift | curr<<countBits | prev
}

// countsAt returns the current and previous window counts of word s as
// seen from window idx: a word one window old has its current count moved
// to previous, an older one counts nothing. Only the low 8 bits of the
// index are stored; see wrapWindows for a word 256 windows old.
func countsAt(s uint64, idx int64) (curr, prev uint64) {
	switch uint8(idx) - uint8(s>>idxShift) {
	case 0:
		return s >> countBits & countMask, s & countMask
	case 1:
		return 0, s >> countBits & countMask
	}
	return 0, 0
}

// Window describes the window one decision counts in. Build it with
// SlidingAt or CalendarAt; the zero value is not usable.
type Window struct {
	// Index numbers the window; consecutive windows have consecutive
	// indexes.
	Index int64
	// Start is the window's start in Unix nanoseconds.
	Start int64
	// Length is the window's length in nanoseconds.
	Length int64
	// Limit is the number of requests admitted per window, 1..MaxLimit.
	Limit int64
	// Fixed counts only the current window, for calendar quotas; the
	// previous window then weighs nothing.
	Fixed bool
}

// SlidingAt returns the sliding window of length for limit at now.
func SlidingAt(limit int64, length time.Duration, now time.Time) Window {
	n, l := now.UnixNano(), int64(length)
	idx := n / l
	return Window{Index: idx, Start: idx * l, Length: l, Limit: limit}
}

// CalendarAt returns the fixed window [start, end) numbered idx for limit,
// for quotas on calendar days or months.
func CalendarAt(limit, idx int64, start, end time.Time) Window {
	s := start.UnixNano()
	return Window{Index: idx, Start: s, Length: end.UnixNano() - s, Limit: limit, Fixed: true}
}

// weight returns how much of the previous window still overlaps the
// sliding window ending at now, between 0 and 1.
func (w *Window) weight(now int64) float64 {
	if w.Fixed {
		return 0
	}
	return float64(w.Length-(now-w.Start)) / float64(w.Length)
}

// expiry returns when a counter last used in w counts nothing any more:
// the end of the next window, or the end of w when it is fixed.
func (w *Window) expiry() int64 {
	if w.Fixed {
		return w.Start + w.Length
	}
	return w.Start + 2*w.Length
}

// Result is the outcome of one decision. It is a small value, returned by
// value.
type Result struct {
	// Allowed reports whether the request was admitted and counted.
	Allowed bool
	// Full reports that the key had no counter and the table had no room
	// for one; Allowed is then false and nothing was counted.
	Full bool
	// Limit is the window's limit.
	Limit int64
	// Remaining is how many more requests the window admits now.
	Remaining int64
	// Reset is the time until the current window ends.
	Reset time.Duration
	// RetryAfter is, for a refused request, the time until a request
	// would be admitted if no other request came; 0 when Allowed.
	RetryAfter time.Duration
}

// decide computes a Result from the counts before this request: curr and
// prev include other processes' counts.
func decide(w *Window, now int64, curr, prev uint64) Result {
	wt := w.weight(now)
	est := float64(curr+1) + float64(prev)*wt
	left := w.Start + w.Length - now
	r := Result{Limit: w.Limit, Reset: time.Duration(left)}
	if est <= float64(w.Limit) {
		r.Allowed = true
		r.Remaining = int64(math.Floor(float64(w.Limit) - est))
		return r
	}
	r.RetryAfter = time.Duration(retryAfter(w, now, curr, prev))
	return r
}

// retryAfter solves, for a refused request, when the weighted count
// drops far enough to admit one more request if none arrives meanwhile.
// It works in integers so that exact instants are not lost to rounding.
func retryAfter(w *Window, now int64, curr, prev uint64) int64 {
	elapsed, l := now-w.Start, w.Length
	left := l - elapsed
	if w.Fixed {
		return left
	}
	lim := uint64(w.Limit)

	// Still inside this window: wait until the previous window's weight
	// prev*(l-e)/l has shrunk to lim-curr-1, at e = l*(prev-(lim-curr-1))/prev.
	if curr+1 <= lim && prev > 0 {
		if d := mulDivCeil(l, prev-(lim-curr-1), prev) - elapsed; d > 0 {
			return d
		}
		return 1
	}

	// In the next window this window's count becomes the previous one:
	// curr*(l-e)/l <= lim-1 at e = l*(curr-lim+1)/curr.
	if curr == 0 {
		return left
	}
	return left + mulDivCeil(l, curr-min(curr, lim-1), curr)
}

// mulDivCeil returns ceil(a*b/c) for 0 <= b <= c, without overflow.
func mulDivCeil(a int64, b, c uint64) int64 {
	hi, lo := bits.Mul64(uint64(a), b)
	q, r := bits.Div64(hi, lo, c)
	if r > 0 {
		q++
	}
	return int64(q)
}

// DecideAt computes the Result of one request at now from counts kept
// elsewhere (a shared store): curr and prev are the counts of windows
// w.Index and w.Index-1 before the request. It counts nothing.
func (w Window) DecideAt(now time.Time, curr, prev int64) Result {
	return decide(&w, now.UnixNano(), uint64(max(curr, 0)), uint64(max(prev, 0)))
}

// Weight returns how much of the previous window's count still counts at
// now, between 0 and 1; 0 for a fixed window. A shared store deciding by
// itself admits a request when curr + 1 + prev*Weight <= Limit.
func (w Window) Weight(now time.Time) float64 {
	return w.weight(now.UnixNano())
}
