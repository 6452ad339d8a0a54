package accesslog

import (
	"net/netip"
	"testing"
	"time"
)

// benchRecord returns a record filled from a typical entry.
func benchRecord() *record {
	r := &record{buf: make([]byte, 0, SlotBytes)}
	r.fill(&Entry{
		Time:      time.Date(2026, 12, 4, 16, 48, 13, 123456789, time.UTC),
		ClientIP:  netip.MustParseAddr("192.0.2.1"),
		Method:    []byte("GET"),
		Host:      []byte("api.example.com"),
		Path:      []byte("/users/7"),
		Query:     []byte("a=1&b=2"),
		Proto:     []byte("HTTP/1.1"),
		Status:    200,
		BytesOut:  512,
		Duration:  1234 * time.Microsecond,
		Route:     "users",
		Target:    "127.0.0.1:9001",
		RequestID: []byte("0f5e2c1a-2b7d-4c1e-9a51-3c0f8e1d2b4a"),
		UserAgent: []byte("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
		Consumer:  "alice",
	})
	return r
}

// BenchmarkFormat measures the writer goroutine's per-record work.
func BenchmarkFormat(b *testing.B) {
	tests := []struct {
		name   string
		format formatFunc
	}{
		{name: "json", format: appendJSON},
		{name: "combined", format: appendCombined},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			r := benchRecord()
			line := make([]byte, 0, 2*SlotBytes)
			var ts stamp
			b.ReportAllocs()
			for b.Loop() {
				line = tt.format(line[:0], r, &ts)
			}
			b.SetBytes(int64(len(line)))
		})
	}
}
