package load

import (
	"testing"
	"time"
)

func BenchmarkRecord(b *testing.B) {
	var h Histogram
	d := 37 * time.Microsecond
	b.ReportAllocs()
	for b.Loop() {
		h.Record(d)
		d += 13
	}
}

func BenchmarkQuantile(b *testing.B) {
	var h Histogram
	for i := range 100000 {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = h.Quantile(0.999)
	}
}
