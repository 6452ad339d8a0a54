package accesslog

import "time"

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
