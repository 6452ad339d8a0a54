package accesslog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestStamp formats a sequence of times through one cache, so each row
// also checks that the row before it does not leak into it, and compares
// with time.AppendFormat.
func TestStamp(t *testing.T) {
	base := time.Date(2026, 12, 4, 16, 48, 13, 123456789, time.UTC)
	east := time.FixedZone("E", 5*3600+45*60)
	west := time.FixedZone("W", -8*3600)
	tests := []struct {
		name string
		t    time.Time
	}{
		{name: "first", t: base},
		{name: "same second", t: base.Add(800 * time.Millisecond)},
		{name: "next second", t: base.Add(time.Second)},
		{name: "same instant, other zone", t: base.Add(time.Second).In(east)},
		{name: "west zone", t: base.In(west)},
		{name: "whole second", t: base.Truncate(time.Second)},
		{name: "last microsecond", t: base.Truncate(time.Second).Add(999999999)},
		{name: "before 1970", t: time.Date(1969, 12, 31, 23, 59, 59, 1000, time.UTC)},
		{name: "zero", t: time.Time{}},
		{name: "local", t: base.Local()},
	}
	var ts stamp
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(ts.appendJSONTime(nil, tt.t))
			want := tt.t.Format("2006-01-02T15:04:05.000000Z07:00")
			if got != want {
				t.Errorf("appendJSONTime(%v) = %q, want %q", tt.t, got, want)
			}
			got = string(ts.appendCombinedTime(nil, tt.t))
			if want := tt.t.Format(combinedTime); got != want {
				t.Errorf("appendCombinedTime(%v) = %q, want %q", tt.t, got, want)
			}
		})
	}
}

// FuzzJSONString checks that any input becomes a valid JSON string that
// decodes to the input with each invalid UTF-8 byte replaced by U+FFFD.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `"\`, "\x00\x1f\x7f", "\xff\xfe", "é\u2028",
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xc3"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := appendJSONString(nil, in)
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("appendJSONString(%q) = %s, not valid JSON: %v", in, out, err)
		}
		var want strings.Builder
		for _, r := range string(in) {
			want.WriteRune(r)
		}
		if got != want.String() {
			t.Fatalf("appendJSONString(%q) decodes to %q, want %q", in, got, want.String())
		}
	})
}

// FuzzCombinedEscape checks that the combined escaper emits only
// printable ASCII, never an unescaped quote, and can be undone.
func FuzzCombinedEscape(f *testing.F) {
	for _, s := range []string{"", "GET / HTTP/1.1", `"\`, "\x00\n\x7f\xff", "a b"} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, in []byte, space bool) {
		out := appendCombinedEscaped(nil, in, space)
		for i := 0; i < len(out); i++ {
			c := out[i]
			if c < 0x20 || c > 0x7e || space && c == ' ' {
				t.Fatalf("escaped %q = %q, has byte %#x", in, out, c)
			}
			if c == '"' && (i == 0 || out[i-1] != '\\') {
				t.Fatalf("escaped %q = %q, has a bare quote", in, out)
			}
		}
		if got := unescapeCombined(t, out); !bytes.Equal(got, in) {
			t.Fatalf("unescape(escape(%q)) = %q", in, got)
		}
	})
}

// unescapeCombined undoes appendCombinedEscaped.
func unescapeCombined(t *testing.T, s []byte) []byte {
	t.Helper()
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] != 'x' {
			out = append(out, s[i+1])
			i++
			continue
		}
		if i+3 >= len(s) {
			t.Fatalf("short escape in %q", s)
		}
		hi := strings.IndexByte(hexDigits, s[i+2])
		lo := strings.IndexByte(hexDigits, s[i+3])
		if hi < 0 || lo < 0 {
			t.Fatalf("bad escape in %q", s)
		}
		out = append(out, byte(hi<<4|lo))
		i += 3
	}
	return out
}

// FuzzRecord checks that a record made from arbitrary fields formats as
// one valid JSON line and one combined line, within the slot budget.
func FuzzRecord(f *testing.F) {
	f.Add([]byte("GET"), []byte("/a"), []byte("q=1"), []byte("curl"), "alice")
	f.Add([]byte{}, bytes.Repeat([]byte("\xff"), 5000), []byte("\n"), []byte(`"`), "")
	f.Fuzz(func(t *testing.T, method, path, query, agent []byte, consumer string) {
		r := &record{buf: make([]byte, 0, SlotBytes)}
		r.fill(&Entry{Method: method, Path: path, Query: query, UserAgent: agent,
			Consumer: consumer})
		if len(r.buf) > SlotBytes || cap(r.buf) != SlotBytes {
			t.Fatalf("record uses %d of %d bytes (cap %d)", len(r.buf), SlotBytes, cap(r.buf))
		}

		var ts stamp
		line := appendJSON(nil, r, &ts)
		if !json.Valid(line) || bytes.Count(line, []byte("\n")) != 1 {
			t.Fatalf("bad JSON line %q", line)
		}
		line = appendCombined(nil, r, &ts)
		if bytes.Count(line, []byte("\n")) != 1 || !utf8.Valid(line) {
			t.Fatalf("bad combined line %q", line)
		}
	})
}
