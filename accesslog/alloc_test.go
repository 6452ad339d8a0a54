//go:build !race

package accesslog_test

import (
	"testing"

	"github.com/portico-gw/portico/accesslog"
	"github.com/portico-gw/portico/config"
)

// signalWriter discards what it is given and then sends on wrote, so a
// test can wait for the writer goroutine to finish a flush.
type signalWriter struct {
	wrote chan struct{}
}

func (w signalWriter) Write(p []byte) (int, error) {
	w.wrote <- struct{}{}
	return len(p), nil
}

// TestLogAllocs proves that a whole record cycle allocates nothing: Log
// copies the entry, wakes the writer goroutine, which formats, writes and
// flushes it and goes back to sleep. Waiting for the flush inside the
// measured function makes the writer's work count (AllocsPerRun runs with
// one P, so the writer runs only while the test waits).
func TestLogAllocs(t *testing.T) {
	tests := []struct {
		name   string
		format string
	}{
		{name: "json", format: "json"},
		{name: "combined", format: "combined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := signalWriter{wrote: make(chan struct{})}
			// A ring of two makes every Log wake the writer, so the
			// wake-up is measured too.
			cfg := config.AccessLog{Format: tt.format, BufferRecords: 2}
			l, err := accesslog.NewWriter(cfg, w, discardLogger())
			if err != nil {
				t.Fatalf("NewWriter: %v", err)
			}
			t.Cleanup(func() { l.Close() })

			e := fullEntry()
			e.Path = make([]byte, accesslog.MaxPathBytes*2) // truncated too
			n := testing.AllocsPerRun(1000, func() {
				l.Log(&e)
				<-w.wrote
			})
			if n != 0 {
				t.Errorf("Log and write allocate %v times per record, want 0", n)
			}
		})
	}
}

// TestLogFullRingAllocs proves that dropping a record allocates nothing.
func TestLogFullRingAllocs(t *testing.T) {
	l, g := blockedLogger(t, 2)
	t.Cleanup(func() { l.Close() })
	t.Cleanup(func() { close(g.release) })

	e := fullEntry()
	if n := testing.AllocsPerRun(1000, func() { l.Log(&e) }); n != 0 {
		t.Errorf("Log on a full ring allocates %v times per call, want 0", n)
	}
	if l.Dropped() == 0 {
		t.Error("Dropped() = 0, want the ring to have been full")
	}
}

// TestDisabledAllocs checks the no-op paths.
func TestDisabledAllocs(t *testing.T) {
	off, err := accesslog.New(config.AccessLog{Output: "off"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		l    *accesslog.Logger
	}{
		{name: "nil", l: nil},
		{name: "off", l: off},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := fullEntry()
			if n := testing.AllocsPerRun(100, func() { tt.l.Log(&e) }); n != 0 {
				t.Errorf("Log allocates %v times per call, want 0", n)
			}
		})
	}
}
