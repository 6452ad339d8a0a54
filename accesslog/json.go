package accesslog

import (
	"strconv"
	"time"
	"unicode/utf8"
)

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
