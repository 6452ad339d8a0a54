package accesslog

import (
	"net/netip"
	"time"
)

// Entry is one proxied request as the proxy saw it. The proxy fills it on
// the request path and passes it to Logger.Log, which copies what it
// needs before returning; the byte slices may therefore point into
// request memory that is reused once the handler returns. The string
// fields are kept by reference and must not alias request memory (route
// and target names come from the config, which is immutable).
type Entry struct {
	// Time is when the request arrived. JSON writes it in its own
	// location, so pass UTC if the log should be in UTC.
	Time time.Time
	// ClientIP is the caller after trusted proxies were peeled off; the
	// zero Addr is written as "" (JSON) or "-" (combined).
	ClientIP netip.Addr

	// Method, Host, Path, Query and Proto are the request line; Query is
	// the raw query string without the "?".
	Method, Host, Path, Query []byte
	Proto                     []byte

	// Status is the status sent to the client.
	Status int
	// BytesIn is the request body size and BytesOut the response body
	// size, as sent on the wire.
	BytesIn, BytesOut int64
	// Duration is the time from arrival to the last byte written, and
	// UpstreamDuration the part spent waiting for the upstream; zero when
	// no upstream was involved.
	Duration, UpstreamDuration time.Duration

	// Route is the matched route's name and Target the upstream address
	// that served the request; both empty when not applicable.
	Route, Target string
	// RequestID, UserAgent and Referer are the request's header values.
	RequestID          []byte
	UserAgent, Referer []byte
	// Consumer is the authenticated caller's name, or "".
	Consumer string
	// Limited reports whether a rate limit rejected the request.
	Limited bool
	// Error is a short fixed word for errors the gateway made itself
	// ("upstream_timeout", "no_route", ...) and "" otherwise.
	Error string
}

// Per-field byte bounds of a ring slot. A longer field is cut at a UTF-8
// boundary and written with TruncatedMarker after it. All byte fields of
// one record share SlotBytes; they are copied in order of importance
// (method, proto, host, path, request id, query, user agent, referer), so
// when a record is huge the later fields give way first.
const (
	// MaxPathBytes bounds Entry.Path.
	MaxPathBytes = 2048
	// MaxQueryBytes bounds Entry.Query.
	MaxQueryBytes = 1024
	// MaxFieldBytes bounds each of the other byte fields.
	MaxFieldBytes = 512
	// SlotBytes is the byte budget of one record.
	SlotBytes = 3072
)

// TODO: keep records in a variable-length byte ring instead of fixed
// slots; the default ring reserves 24 MiB although a typical record needs
// a tenth of its slot, which operators notice as resident memory.

// TruncatedMarker is written right after a field that was cut to fit its
// bound.
const TruncatedMarker = "[truncated]"

// field indexes the byte fields of a record, in copy order.
type field uint8

const (
	fMethod field = iota
	fProto
	fHost
	fPath
	fRequestID
	fQuery
	fUserAgent
	fReferer
	nFields
)

// fieldCap holds each field's bound.
var fieldCap = [nFields]int{
	fMethod:    MaxFieldBytes,
	fProto:     MaxFieldBytes,
	fHost:      MaxFieldBytes,
	fPath:      MaxPathBytes,
	fRequestID: MaxFieldBytes,
	fQuery:     MaxQueryBytes,
	fUserAgent: MaxFieldBytes,
	fReferer:   MaxFieldBytes,
}

// record is an Entry copied into a ring slot. Its byte fields live in buf,
// an arena of SlotBytes owned by the slot; end[f] is where field f ends
// and it starts where the previous one ended. trunc has bit f set when
// field f was cut.
type record struct {
	time     time.Time
	clientIP netip.Addr
	status   int
	bytesIn  int64
	bytesOut int64
	duration time.Duration
	upstream time.Duration
	route    string
	target   string
	consumer string
	errWord  string
	limited  bool

	buf   []byte
	end   [nFields]uint16
	trunc uint16
}

// fill copies e into r, reusing r.buf. It allocates nothing.
func (r *record) fill(e *Entry) {
	r.time, r.clientIP, r.status = e.Time, e.ClientIP, e.Status
	r.bytesIn, r.bytesOut = e.BytesIn, e.BytesOut
	r.duration, r.upstream = e.Duration, e.UpstreamDuration
	r.route, r.target, r.consumer = e.Route, e.Target, e.Consumer
	r.errWord, r.limited = e.Error, e.Limited

	r.buf, r.trunc = r.buf[:0], 0
	r.put(fMethod, e.Method)
	r.put(fProto, e.Proto)
	r.put(fHost, e.Host)
	r.put(fPath, e.Path)
	r.put(fRequestID, e.RequestID)
	r.put(fQuery, e.Query)
	r.put(fUserAgent, e.UserAgent)
	r.put(fReferer, e.Referer)
}

// put appends v as field f, cut to the field's bound and to what is left
// of the arena.
func (r *record) put(f field, v []byte) {
	limit := min(fieldCap[f], SlotBytes-len(r.buf))
	if len(v) > limit {
		v = v[:utf8Cut(v, limit)]
		r.trunc |= 1 << f
	}
	r.buf = append(r.buf, v...)
	r.end[f] = uint16(len(r.buf))
}

// get returns field f and whether it was truncated. The slice is valid
// until the slot is released.
func (r *record) get(f field) ([]byte, bool) {
	start := uint16(0)
	if f > 0 {
		start = r.end[f-1]
	}
	return r.buf[start:r.end[f]], r.trunc&(1<<f) != 0
}

// utf8Cut returns a length no greater than n at which v can be cut without
// splitting a UTF-8 sequence. Invalid input is cut at n.
func utf8Cut(v []byte, n int) int {
	for i := n; i > 0 && i > n-4; i-- {
		if v[i]&0xC0 != 0x80 {
			return i
		}
	}
	return n
}
