package accesslog

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// formatFunc appends one record as a complete line, using ts to format
// its time. appendJSON and appendCombined are the two formats.
type formatFunc func(dst []byte, r *record, ts *stamp) []byte

// appendJSON appends r as one JSON line, newline included. The key order
// is fixed and documented in the package comment.
func appendJSON(dst []byte, r *record, ts *stamp) []byte {
	dst = append(dst, `{"time":"`...)
	dst = ts.appendJSONTime(dst, r.time)
	dst = append(dst, `","client_ip":"`...)
	if r.clientIP.IsValid() {
		dst = r.clientIP.AppendTo(dst)
	}
	dst = append(dst, '"')

	dst = appendJSONField(dst, `,"method":`, r, fMethod)
	dst = appendJSONField(dst, `,"host":`, r, fHost)
	dst = appendJSONField(dst, `,"path":`, r, fPath)
	dst = appendJSONField(dst, `,"query":`, r, fQuery)
	dst = appendJSONField(dst, `,"proto":`, r, fProto)

	dst = append(dst, `,"status":`...)
	dst = strconv.AppendInt(dst, int64(r.status), 10)
	dst = append(dst, `,"bytes_in":`...)
	dst = strconv.AppendInt(dst, r.bytesIn, 10)
	dst = append(dst, `,"bytes_out":`...)
	dst = strconv.AppendInt(dst, r.bytesOut, 10)
	dst = append(dst, `,"duration_us":`...)
	dst = strconv.AppendInt(dst, int64(r.duration/time.Microsecond), 10)
	dst = append(dst, `,"upstream_us":`...)
	dst = strconv.AppendInt(dst, int64(r.upstream/time.Microsecond), 10)

	dst = append(dst, `,"route":`...)
	dst = appendJSONString(dst, r.route)
	dst = append(dst, `,"target":`...)
	dst = appendJSONString(dst, r.target)
	dst = appendJSONField(dst, `,"request_id":`, r, fRequestID)
	dst = appendJSONField(dst, `,"user_agent":`, r, fUserAgent)
	dst = appendJSONField(dst, `,"referer":`, r, fReferer)
	dst = append(dst, `,"consumer":`...)
	dst = appendJSONString(dst, r.consumer)
	dst = append(dst, `,"limited":`...)
	dst = strconv.AppendBool(dst, r.limited)
	dst = append(dst, `,"error":`...)
	dst = appendJSONString(dst, r.errWord)
	return append(dst, "}\n"...)
}

// appendJSONField appends key and field f as a JSON string, with
// TruncatedMarker inside the quotes when the field was cut.
func appendJSONField(dst []byte, key string, r *record, f field) []byte {
	v, cut := r.get(f)
	dst = append(dst, key...)
	dst = appendJSONString(dst, v)
	if cut {
		dst = append(dst[:len(dst)-1], TruncatedMarker+`"`...)
	}
	return dst
}

// jsonPlain marks the bytes appendJSONString copies as they are: printable
// ASCII other than quote and backslash.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// hexDigits are the lower-case hex digits used by both escapers.
const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a quoted JSON string (RFC 8259 section 7).
// Quote, backslash and control characters are escaped, DEL and U+2028/
// U+2029 too so the line is also safe to paste into JavaScript, and each
// byte that is not part of valid UTF-8 becomes U+FFFD.
func appendJSONString[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if jsonPlain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			dst = appendJSONEscape(dst, c)
			i++
			start = i
			continue
		}

		// A multi-byte sequence: copy it through unless it is invalid
		// or a line/paragraph separator.
		r, size := decodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\u202`...)
			dst = append(dst, hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendJSONEscape appends the escape of the ASCII byte c.
func appendJSONEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}

// decodeRune is utf8.DecodeRune for either string or []byte.
func decodeRune[T string | []byte](s T) (rune, int) {
	switch v := any(s).(type) {
	case string:
		return utf8.DecodeRuneInString(v)
	case []byte:
		return utf8.DecodeRune(v)
	}
	panic("BUG: decodeRune: unreachable type")
}

// appendCombined appends r in the combined log format with the duration
// and the upstream duration (microseconds) appended, newline included:
//
//	host - user [time] "request" status bytes "referer" "agent" dur_us up_us
func appendCombined(dst []byte, r *record, ts *stamp) []byte {
	if r.clientIP.IsValid() {
		dst = r.clientIP.AppendTo(dst)
	} else {
		dst = append(dst, '-')
	}
	dst = append(dst, " - "...)
	dst = appendCombinedWord(dst, r.consumer)
	dst = append(dst, " ["...)
	dst = ts.appendCombinedTime(dst, r.time)
	dst = append(dst, `] "`...)
	dst = appendRequestLine(dst, r)
	dst = append(dst, `" `...)

	dst = strconv.AppendInt(dst, int64(r.status), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, r.bytesOut, 10)
	dst = append(dst, ' ')
	dst = appendCombinedQuoted(dst, r, fReferer)
	dst = append(dst, ' ')
	dst = appendCombinedQuoted(dst, r, fUserAgent)

	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(r.duration/time.Microsecond), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(r.upstream/time.Microsecond), 10)
	return append(dst, '\n')
}

// appendRequestLine appends "METHOD PATH?QUERY PROTO" escaped, without the
// quotes, or "-" when the request line is empty.
func appendRequestLine(dst []byte, r *record) []byte {
	method, _ := r.get(fMethod)
	path, _ := r.get(fPath)
	proto, _ := r.get(fProto)
	if len(method) == 0 && len(path) == 0 && len(proto) == 0 {
		return append(dst, '-')
	}

	dst = appendCombinedField(dst, r, fMethod)
	dst = append(dst, ' ')
	dst = appendCombinedField(dst, r, fPath)
	if q, _ := r.get(fQuery); len(q) > 0 {
		dst = append(dst, '?')
		dst = appendCombinedField(dst, r, fQuery)
	}
	dst = append(dst, ' ')
	return appendCombinedField(dst, r, fProto)
}

// appendCombinedQuoted appends field f in double quotes, or "-" in quotes
// when it is empty.
func appendCombinedQuoted(dst []byte, r *record, f field) []byte {
	dst = append(dst, '"')
	if v, _ := r.get(f); len(v) == 0 {
		dst = append(dst, '-')
	} else {
		dst = appendCombinedField(dst, r, f)
	}
	return append(dst, '"')
}

// appendCombinedField appends field f escaped, followed by
// TruncatedMarker when it was cut.
func appendCombinedField(dst []byte, r *record, f field) []byte {
	v, cut := r.get(f)
	dst = appendCombinedEscaped(dst, v, false)
	if cut {
		dst = append(dst, TruncatedMarker...)
	}
	return dst
}

// appendCombinedWord appends an unquoted field such as the user, or "-"
// when it is empty. Spaces are escaped too so the field stays one word.
func appendCombinedWord(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, '-')
	}
	return appendCombinedEscaped(dst, s, true)
}

// appendCombinedEscaped appends s with quote and backslash escaped by a
// backslash and every byte outside 0x20..0x7e (and the space, when space
// is set) written as \xHH, the way nginx escapes its access log.
func appendCombinedEscaped[T string | []byte](dst []byte, s T, space bool) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > 0x20 && c < 0x7f && c != '"' && c != '\\' || c == ' ' && !space {
			continue
		}
		dst = append(dst, s[start:i]...)
		if c == '"' || c == '\\' {
			dst = append(dst, '\\', c)
		} else {
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// Time layouts, split where the sub-second part goes. JSON is RFC 3339
// with exactly six fractional digits; combined is the Apache %t layout
// without brackets and has no fraction.
const (
	jsonTimeHead = "2006-01-02T15:04:05"
	jsonTimeTail = "Z07:00"
	combinedTime = "02/Jan/2006:15:04:05 -0700"
)

// stamp caches the text of the last whole second formatted, because
// consecutive records nearly always fall in the same second and
// time.AppendFormat is half the cost of a JSON record. The zero value is
// an empty cache. It belongs to the writer goroutine.
type stamp struct {
	ok     bool
	sec    int64
	loc    *time.Location
	layout string
	head   []byte // the layout's part up to the seconds
	tail   []byte // the layout's part after the fraction
}

// load makes the cache hold t's second in t's location and the given
// layouts.
func (s *stamp) load(t time.Time, headLayout, tailLayout string) {
	sec, loc := t.Unix(), t.Location()
	if s.ok && s.sec == sec && s.loc == loc && s.layout == headLayout {
		return
	}
	s.ok, s.sec, s.loc, s.layout = true, sec, loc, headLayout
	s.head = t.AppendFormat(s.head[:0], headLayout)
	s.tail = t.AppendFormat(s.tail[:0], tailLayout)
}

// appendJSONTime appends t as RFC 3339 with microseconds.
func (s *stamp) appendJSONTime(dst []byte, t time.Time) []byte {
	s.load(t, jsonTimeHead, jsonTimeTail)
	dst = append(dst, s.head...)
	dst = append(dst, '.')
	dst = appendPadded(dst, t.Nanosecond()/int(time.Microsecond), 6)
	return append(dst, s.tail...)
}

// appendCombinedTime appends t in the combined log's layout.
func (s *stamp) appendCombinedTime(dst []byte, t time.Time) []byte {
	s.load(t, combinedTime, "")
	return append(dst, s.head...)
}

// appendPadded appends the non-negative v in decimal, zero-padded to
// width digits.
func appendPadded(dst []byte, v, width int) []byte {
	n := len(dst) + width
	for len(dst) < n {
		dst = append(dst, '0')
	}
	for i := n - 1; i >= n-width; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
	return dst
}
