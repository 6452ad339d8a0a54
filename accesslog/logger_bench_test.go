package accesslog_test

import (
	"bytes"
	"io"
	"sync/atomic"
	"testing"

	"github.com/portico-gw/portico/accesslog"
	"github.com/portico-gw/portico/config"
)

// BenchmarkLog measures Log from many goroutines with the writer
// formatting into io.Discard. Records the writer cannot keep up with are
// dropped, which is the behaviour under overload; the drop rate is
// reported.
func BenchmarkLog(b *testing.B) {
	for _, format := range []string{"json", "combined"} {
		b.Run(format, func(b *testing.B) {
			l, err := accesslog.NewWriter(config.AccessLog{Format: format}, io.Discard,
				discardLogger())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				e := fullEntry()
				for pb.Next() {
					l.Log(&e)
				}
			})
			b.StopTimer()
			l.Close()
			b.ReportMetric(float64(l.Dropped())/float64(b.N), "dropped/op")
		})
	}
}

// BenchmarkLogSerial measures one goroutine logging, the uncontended cost.
func BenchmarkLogSerial(b *testing.B) {
	l, err := accesslog.NewWriter(config.AccessLog{}, io.Discard, discardLogger())
	if err != nil {
		b.Fatal(err)
	}
	e := fullEntry()
	b.ReportAllocs()
	for b.Loop() {
		l.Log(&e)
	}
	b.StopTimer()
	l.Close()
	b.ReportMetric(float64(l.Dropped())/float64(b.N), "dropped/op")
}

// lineCounter counts the lines written and signals after every Write, so
// a benchmark can wait for the writer goroutine to catch up.
type lineCounter struct {
	lines atomic.Int64
	wrote chan struct{}
}

func (c *lineCounter) Write(p []byte) (int, error) {
	c.lines.Add(int64(bytes.Count(p, []byte("\n"))))
	select {
	case c.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

// BenchmarkLogKept measures Log when the record is kept: it logs in
// batches of half the ring and, with the timer stopped, waits for the
// writer to write each batch, so no record is dropped.
func BenchmarkLogKept(b *testing.B) {
	const ring, batch = 4096, 2048
	c := &lineCounter{wrote: make(chan struct{}, 1)}
	l, err := accesslog.NewWriter(config.AccessLog{BufferRecords: ring}, c, discardLogger())
	if err != nil {
		b.Fatal(err)
	}
	e := fullEntry()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		l.Log(&e)
		if i%batch == 0 || i == b.N {
			b.StopTimer()
			for c.lines.Load() < int64(i) {
				<-c.wrote
			}
			b.StartTimer()
		}
	}
	b.StopTimer()
	l.Close()
	if l.Dropped() != 0 {
		b.Fatalf("Dropped() = %d, want 0", l.Dropped())
	}
}
