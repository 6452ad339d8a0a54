package accesslog_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/accesslog"
	"github.com/portico-gw/portico/config"
)

// t0 is the fixed instant every formatted entry uses.
var t0 = time.Date(2026, 12, 4, 16, 48, 13, 123456789, time.UTC)

// fullEntry returns an entry with every field set.
func fullEntry() accesslog.Entry {
	return accesslog.Entry{
		Time:             t0,
		ClientIP:         netip.MustParseAddr("192.0.2.1"),
		Method:           []byte("GET"),
		Host:             []byte("api.example.com"),
		Path:             []byte("/users/7"),
		Query:            []byte("a=1&b=2"),
		Proto:            []byte("HTTP/1.1"),
		Status:           200,
		BytesIn:          17,
		BytesOut:         512,
		Duration:         1234567 * time.Nanosecond,
		UpstreamDuration: 1100 * time.Microsecond,
		Route:            "users",
		Target:           "127.0.0.1:9001",
		RequestID:        []byte("req-1"),
		UserAgent:        []byte("curl/8.5.0"),
		Referer:          []byte("https://example.com/"),
		Consumer:         "alice",
		Limited:          true,
		Error:            "",
	}
}

// with returns fullEntry changed by edit.
func with(edit func(e *accesslog.Entry)) accesslog.Entry {
	e := fullEntry()
	edit(&e)
	return e
}

// render logs e through a fresh logger of the given format and returns
// what it wrote.
func render(t *testing.T, format string, e accesslog.Entry) string {
	t.Helper()
	var buf bytes.Buffer
	l, err := accesslog.NewWriter(config.AccessLog{Format: format, BufferRecords: 4},
		&buf, discardLogger())
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	l.Log(&e)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.String()
}

// discardLogger returns a slog.Logger that drops everything.
func discardLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// jsonLine builds the expected JSON line from the variable parts; the
// other fields are those of fullEntry.
func jsonLine(ip, method, path, query, agent, consumer, errWord string) string {
	return `{"time":"2026-12-04T16:48:13.123456Z","client_ip":"` + ip +
		`","method":"` + method + `","host":"api.example.com","path":"` + path +
		`","query":"` + query + `","proto":"HTTP/1.1","status":200,"bytes_in":17,` +
		`"bytes_out":512,"duration_us":1234,"upstream_us":1100,"route":"users",` +
		`"target":"127.0.0.1:9001","request_id":"req-1","user_agent":"` + agent +
		`","referer":"https://example.com/","consumer":"` + consumer +
		`","limited":true,"error":"` + errWord + "\"}\n"
}

func TestJSON(t *testing.T) {
	long := strings.Repeat("a", accesslog.MaxPathBytes+10)
	tests := []struct {
		name  string
		entry accesslog.Entry
		want  string
	}{
		{
			name:  "full",
			entry: fullEntry(),
			want: jsonLine("192.0.2.1", "GET", "/users/7", "a=1&b=2", "curl/8.5.0",
				"alice", ""),
		},
		{
			name:  "empty",
			entry: accesslog.Entry{},
			want: `{"time":"0001-01-01T00:00:00.000000Z","client_ip":"","method":"",` +
				`"host":"","path":"","query":"","proto":"","status":0,"bytes_in":0,` +
				`"bytes_out":0,"duration_us":0,"upstream_us":0,"route":"","target":"",` +
				`"request_id":"","user_agent":"","referer":"","consumer":"",` +
				`"limited":false,"error":""}` + "\n",
		},
		{
			name: "ipv6 and error word",
			entry: with(func(e *accesslog.Entry) {
				e.ClientIP = netip.MustParseAddr("2001:db8::1")
				e.Error = "upstream_timeout"
			}),
			want: jsonLine("2001:db8::1", "GET", "/users/7", "a=1&b=2", "curl/8.5.0",
				"alice", "upstream_timeout"),
		},
		{
			name: "quotes and backslashes",
			entry: with(func(e *accesslog.Entry) {
				e.Path = []byte(`/a"b\c`)
				e.UserAgent = []byte(`x "y" \z`)
			}),
			want: jsonLine("192.0.2.1", "GET", `/a\"b\\c`, "a=1&b=2", `x \"y\" \\z`,
				"alice", ""),
		},
		{
			name: "control characters",
			entry: with(func(e *accesslog.Entry) {
				e.Path = []byte("/a\nb\rc\td\x00e\x1bf\x7fg\bh\fi")
			}),
			want: jsonLine("192.0.2.1", "GET",
				`/a\nb\rc\td\u0000e\u001bf\u007fg\bh\fi`, "a=1&b=2", "curl/8.5.0",
				"alice", ""),
		},
		{
			name: "valid utf-8 passes through",
			entry: with(func(e *accesslog.Entry) {
				e.Path = []byte("/caf\u00e9/\u65e5\u672c/\U0001F600")
			}),
			want: jsonLine("192.0.2.1", "GET", "/caf\u00e9/\u65e5\u672c/\U0001F600",
				"a=1&b=2", "curl/8.5.0", "alice", ""),
		},
		{
			name: "invalid utf-8 becomes U+FFFD",
			entry: with(func(e *accesslog.Entry) {
				e.Path = []byte("/a\xffb\xc3(c\xe2\x82")
				e.Query = []byte("\xed\xa0\x80") // a UTF-16 surrogate
			}),
			want: jsonLine("192.0.2.1", "GET", `/a\ufffdb\ufffd(c\ufffd\ufffd`,
				`\ufffd\ufffd\ufffd`, "curl/8.5.0", "alice", ""),
		},
		{
			name: "line separators",
			entry: with(func(e *accesslog.Entry) {
				e.UserAgent = []byte("a\u2028b\u2029c")
			}),
			want: jsonLine("192.0.2.1", "GET", "/users/7", "a=1&b=2", `a\u2028b\u2029c`,
				"alice", ""),
		},
		{
			name: "strings are escaped too",
			entry: with(func(e *accesslog.Entry) {
				e.Consumer = "al\"ice\x01"
			}),
			want: jsonLine("192.0.2.1", "GET", "/users/7", "a=1&b=2", "curl/8.5.0",
				`al\"ice\u0001`, ""),
		},
		{
			name: "long path is truncated",
			entry: with(func(e *accesslog.Entry) {
				e.Path = []byte(long)
			}),
			want: jsonLine("192.0.2.1", "GET",
				long[:accesslog.MaxPathBytes]+accesslog.TruncatedMarker, "a=1&b=2",
				"curl/8.5.0", "alice", ""),
		},
		{
			name: "truncation keeps utf-8 whole",
			entry: with(func(e *accesslog.Entry) {
				// The cut falls inside the last "é".
				e.Path = []byte(long[:accesslog.MaxPathBytes-1] + "\u00e9x")
			}),
			want: jsonLine("192.0.2.1", "GET",
				long[:accesslog.MaxPathBytes-1]+accesslog.TruncatedMarker, "a=1&b=2",
				"curl/8.5.0", "alice", ""),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, "json", tt.entry)
			if got != tt.want {
				t.Errorf("json line =\n%s\nwant\n%s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("json line is not valid JSON: %s", got)
			}
		})
	}
}

func TestCombined(t *testing.T) {
	long := strings.Repeat("b", accesslog.MaxPathBytes+1)
	tests := []struct {
		name  string
		entry accesslog.Entry
		want  string
	}{
		{
			name:  "full",
			entry: fullEntry(),
			want: `192.0.2.1 - alice [04/Dec/2026:16:48:13 +0000] ` +
				`"GET /users/7?a=1&b=2 HTTP/1.1" 200 512 "https://example.com/" ` +
				`"curl/8.5.0" 1234 1100` + "\n",
		},
		{
			name:  "empty",
			entry: accesslog.Entry{},
			want:  `- - - [01/Jan/0001:00:00:00 +0000] "-" 0 0 "-" "-" 0 0` + "\n",
		},
		{
			name: "no query, no referer, no consumer",
			entry: with(func(e *accesslog.Entry) {
				e.Query, e.Referer, e.Consumer = nil, nil, ""
			}),
			want: `192.0.2.1 - - [04/Dec/2026:16:48:13 +0000] "GET /users/7 HTTP/1.1" ` +
				`200 512 "-" "curl/8.5.0" 1234 1100` + "\n",
		},
		{
			name: "zone offset",
			entry: with(func(e *accesslog.Entry) {
				e.Time = t0.In(time.FixedZone("X", -(7*3600 + 30*60)))
			}),
			want: `192.0.2.1 - alice [04/Dec/2026:09:18:13 -0730] ` +
				`"GET /users/7?a=1&b=2 HTTP/1.1" 200 512 "https://example.com/" ` +
				`"curl/8.5.0" 1234 1100` + "\n",
		},
		{
			name: "escaping",
			entry: with(func(e *accesslog.Entry) {
				e.Path = []byte("/a\"b\\c d\n\x00\x7f\xff")
				e.UserAgent = []byte("caf\u00e9")
				e.Consumer = "bob smith"
			}),
			want: `192.0.2.1 - bob\x20smith [04/Dec/2026:16:48:13 +0000] ` +
				`"GET /a\"b\\c d\x0a\x00\x7f\xff?a=1&b=2 HTTP/1.1" 200 512 ` +
				`"https://example.com/" "caf\xc3\xa9" 1234 1100` + "\n",
		},
		{
			name: "long path is truncated",
			entry: with(func(e *accesslog.Entry) {
				e.Path = []byte(long)
			}),
			want: `192.0.2.1 - alice [04/Dec/2026:16:48:13 +0000] "GET ` +
				long[:accesslog.MaxPathBytes] + accesslog.TruncatedMarker +
				`?a=1&b=2 HTTP/1.1" 200 512 "https://example.com/" "curl/8.5.0" 1234 1100` +
				"\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, "combined", tt.entry)
			if got != tt.want {
				t.Errorf("combined line =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestSlotBudget checks that a record whose fields together exceed
// SlotBytes keeps the important fields and cuts the later ones.
func TestSlotBudget(t *testing.T) {
	e := with(func(e *accesslog.Entry) {
		e.Path = bytes.Repeat([]byte("p"), accesslog.MaxPathBytes)
		e.Query = bytes.Repeat([]byte("q"), accesslog.MaxQueryBytes)
		e.UserAgent = bytes.Repeat([]byte("u"), accesslog.MaxFieldBytes)
	})
	var rec map[string]any
	if err := json.Unmarshal([]byte(render(t, "json", e)), &rec); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}

	path, query := rec["path"].(string), rec["query"].(string)
	if path != string(e.Path) {
		t.Errorf("path has %d bytes, want all %d", len(path), len(e.Path))
	}
	if !strings.HasSuffix(query, accesslog.TruncatedMarker) {
		t.Errorf("query = %.20q..., want it truncated", query)
	}
	for _, key := range []string{"user_agent", "referer"} {
		if rec[key] != accesslog.TruncatedMarker {
			t.Errorf("%s = %q, want %q", key, rec[key], accesslog.TruncatedMarker)
		}
	}
}
