//go:build !race

package load

import (
	"net"
	"testing"
	"time"

	"github.com/portico-gw/portico/bench/backend"
)

func TestRecordAllocs(t *testing.T) {
	var h Histogram
	got := testing.AllocsPerRun(1000, func() { h.Record(123 * time.Microsecond) })
	if got != 0 {
		t.Errorf("Record allocs = %v, want 0", got)
	}
}

func TestRequestAllocs(t *testing.T) {
	// One keep-alive request through a worker, including the in-process
	// backend that answers it, must not allocate once warm.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := backend.NewServer()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-done
	})

	tests := []struct {
		name string
		cfg  Config
	}{
		{name: "get 1k", cfg: Config{Path: "/1k", ExpectBodyBytes: backend.SmallBytes}},
		{name: "post", cfg: Config{Method: "POST", Path: "/echo-size", Body: make([]byte, 100)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Addr = ln.Addr().String()
			cfg.Duration = time.Second
			if err := cfg.normalize(); err != nil {
				t.Fatalf("normalize: %v", err)
			}
			r := &run{cfg: cfg, full: make(chan struct{}), start: time.Now()}
			r.phase.Store(phaseMeasure)
			w := newWorker(r, 0)
			defer w.release()
			step := func() {
				start := time.Now()
				err := w.hc.Do(w.req, w.resp)
				w.note(true, err, time.Since(start), time.Since(start))
			}
			for range 10 {
				step()
			}
			if got := testing.AllocsPerRun(200, step); got != 0 {
				t.Errorf("request allocs = %v, want 0", got)
			}
			if w.errs != 0 || w.non2xx != 0 {
				t.Errorf("errors, non2xx = %d, %d (%v), want 0", w.errs, w.non2xx, w.firstErr)
			}
		})
	}
}
