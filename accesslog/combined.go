package accesslog

import (
	"strconv"
	"time"
)

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
