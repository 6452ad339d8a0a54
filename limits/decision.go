package limits

import (
	"strconv"
	"time"

	"github.com/portico-gw/portico/limiter"
	"github.com/portico-gw/portico/view"
)

// outcome is what a Decision concluded.
type outcome uint8

const (
	outcomeAdmitted outcome = iota
	outcomeLimited
	outcomeQuota
)

// check is one limit or quota a request was counted against.
type check struct {
	r         *rule
	remaining int64
	resetSec  int64 // seconds until the window ends, or until retry
	windowSec int64
}

// Decision is the outcome of Engine.CheckAt, a value with fixed-size
// storage: it holds the limits the request met and a scratch buffer for
// header values, so nothing in it allocates. Keep it in a long-lived
// per-request place (a pooled request context) before calling its
// methods: WriteHeaders hands slices of the buffer to an interface, which
// makes a Decision held in a local variable escape to the heap. A
// Decision is not safe for concurrent use. The zero value allows the
// request and writes no headers.
type Decision struct {
	checks   [maxChecks]check
	n        int
	outcome  outcome
	by       int   // index of the refusing check
	retrySec int64 // Retry-After when refused
	buf      [1024]byte
}

// add records one check. uncounted marks an admitting check whose count
// was not kept because a later one refused: one more request remains.
func (d *Decision) add(r *rule, w limiter.Window, res limiter.Result, uncounted bool) {
	c := &d.checks[d.n]
	*c = check{r: r, remaining: res.Remaining,
		resetSec: ceilSec(res.Reset), windowSec: ceilSec(time.Duration(w.Length))}
	if uncounted {
		c.remaining = min(c.remaining+1, r.limit)
	}
	if !res.Allowed {
		d.by = d.n
		d.retrySec = max(ceilSec(res.RetryAfter), 1)
		c.remaining, c.resetSec = 0, d.retrySec
	}
	d.n++
}

// ceilSec rounds a duration up to whole seconds.
func ceilSec(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

// Allowed reports whether the request may be served.
func (d *Decision) Allowed() bool { return d.outcome == outcomeAdmitted }

// QuotaExhausted reports whether the request was refused by a usage
// quota rather than a rate limit.
func (d *Decision) QuotaExhausted() bool { return d.outcome == outcomeQuota }

// RetryAfter returns, for a refused request, the seconds until the caller
// may retry; 0 when allowed.
func (d *Decision) RetryAfter() int64 { return d.retrySec }

// Header names written by WriteHeaders.
const (
	hdrPolicy     = "RateLimit-Policy"
	hdrRateLimit  = "RateLimit"
	hdrXLimit     = "X-RateLimit-Limit"
	hdrXRemaining = "X-RateLimit-Remaining"
	hdrXReset     = "X-RateLimit-Reset"
	hdrRetryAfter = "Retry-After"
)

// WriteHeaders writes the rate-limit headers of the request's response:
// RateLimit-Policy and RateLimit (IETF httpapi ratelimit-headers draft,
// structured-field lists, one item per limit not hidden, e.g.
// `"free-min";q=100;w=60` and `"free-min";r=42;t=18`), the
// X-RateLimit-Limit/Remaining/Reset trio for the limit with the least
// remaining among those asking for it, and Retry-After (RFC 9110 section
// 10.2.3, in seconds) when refused. It allocates nothing; h must copy the
// values, as fasthttp does.
func (d *Decision) WriteHeaders(h view.ResponseHeader) {
	buf := d.buf[:0]

	// RateLimit-Policy, then RateLimit, from the same checks.
	start := len(buf)
	buf = d.appendList(buf, true)
	if len(buf) > start {
		h.SetBytesV(hdrPolicy, buf[start:])
		start = len(buf)
		buf = d.appendList(buf, false)
		h.SetBytesV(hdrRateLimit, buf[start:])
	}

	// The legacy trio shows the tightest limit that asks for it.
	if c := d.tightestLegacy(); c != nil {
		start = len(buf)
		buf = strconv.AppendInt(buf, c.r.limit, 10)
		h.SetBytesV(hdrXLimit, buf[start:])
		start = len(buf)
		buf = strconv.AppendInt(buf, c.remaining, 10)
		h.SetBytesV(hdrXRemaining, buf[start:])
		start = len(buf)
		buf = strconv.AppendInt(buf, c.resetSec, 10)
		h.SetBytesV(hdrXReset, buf[start:])
	}

	if d.outcome != outcomeAdmitted {
		start = len(buf)
		buf = strconv.AppendInt(buf, d.retrySec, 10)
		h.SetBytesV(hdrRetryAfter, buf[start:])
	}
}

// appendList appends the RateLimit-Policy list (policy true) or the
// RateLimit list of the checks shown in IETF headers. Names are at most 32
// safe characters (validName), so the buffer always has room.
func (d *Decision) appendList(b []byte, policy bool) []byte {
	first := true
	for i := 0; i < d.n; i++ {
		c := &d.checks[i]
		if c.r.hidden || c.r.headers&headersIETF == 0 {
			continue
		}
		if !first {
			b = append(b, ", "...)
		}
		first = false
		b = append(b, '"')
		b = append(b, c.r.name...)
		b = append(b, '"')
		if policy {
			b = append(b, ";q="...)
			b = strconv.AppendInt(b, c.r.limit, 10)
			b = append(b, ";w="...)
			b = strconv.AppendInt(b, c.windowSec, 10)
			continue
		}
		b = append(b, ";r="...)
		b = strconv.AppendInt(b, c.remaining, 10)
		b = append(b, ";t="...)
		b = strconv.AppendInt(b, c.resetSec, 10)
	}
	return b
}

// tightestLegacy returns the check with the least remaining among those
// shown in the legacy headers, or nil.
func (d *Decision) tightestLegacy() *check {
	var best *check
	for i := 0; i < d.n; i++ {
		c := &d.checks[i]
		if c.r.hidden || c.r.headers&headersLegacy == 0 {
			continue
		}
		if best == nil || c.remaining < best.remaining {
			best = c
		}
	}
	return best
}

// AppendBody appends the JSON body of a 429 response to dst and returns
// the extended slice, for example
// {"error":"rate_limited","message":"too many requests","policy":"free-min","retry_after":18,"request_id":"abc"}.
// A hidden limit is not named. requestID is escaped; it may be nil.
func (d *Decision) AppendBody(dst []byte, requestID []byte) []byte {
	if d.outcome == outcomeQuota {
		dst = append(dst, `{"error":"quota_exhausted","message":"usage quota exhausted"`...)
	} else {
		dst = append(dst, `{"error":"rate_limited","message":"too many requests"`...)
	}
	if d.outcome != outcomeAdmitted && !d.checks[d.by].r.hidden {
		dst = append(dst, `,"policy":"`...)
		dst = append(dst, d.checks[d.by].r.name...)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"retry_after":`...)
	dst = strconv.AppendInt(dst, d.retrySec, 10)
	if len(requestID) > 0 {
		dst = append(dst, `,"request_id":"`...)
		dst = appendJSONString(dst, requestID)
		dst = append(dst, '"')
	}
	return append(dst, "}\n"...)
}

// appendJSONString appends s escaped for the inside of a JSON string.
// Request ids are printable ASCII tokens; any other byte (control bytes,
// bytes of non-ASCII or broken UTF-8) is dropped, so the body is always
// valid UTF-8 JSON.
func appendJSONString(dst, s []byte) []byte {
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c >= 0x7f:
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
