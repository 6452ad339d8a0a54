package limits

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentReload runs decisions from many goroutines while the
// config is reloaded underneath them, as the proxy does: each reload
// builds a new Engine from the old one and closes the old one. Counters
// carry over, so the admitted total over every Engine is exactly the
// limit.
func TestConcurrentReload(t *testing.T) {
	tests := []struct {
		name     string
		reloads  int
		limit    int64
		requests int
	}{
		{name: "no reload", reloads: 0, limit: 300, requests: 2000},
		{name: "five reloads", reloads: 5, limit: 300, requests: 2000},
	}
	const policy = `
[plans.free]
limits = [{ name = "free", rate = "300 per 1h" }]
[consumers.alice]
plan = "free"
`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cur atomic.Pointer[Engine]
			first, err := New(parse(t, policy), nil, quietLogger())
			if err != nil {
				t.Fatal(err)
			}
			cur.Store(first)

			var admitted atomic.Int64
			var wg sync.WaitGroup
			const workers = 8
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					v := request("10.0.0.1")
					for range tt.requests / workers {
						e := cur.Load()
						if d := e.CheckAt(e.Route("api"), v, "alice", t0); d.Allowed() {
							admitted.Add(1)
						}
					}
				}()
			}

			// Reload while the workers run: new Engine first, then close
			// the old one (decisions still in flight on it keep working).
			for range tt.reloads {
				old := cur.Load()
				next, err := New(parse(t, policy), old, quietLogger())
				if err != nil {
					t.Fatal(err)
				}
				cur.Store(next)
				old.Close()
			}
			wg.Wait()
			last := cur.Load()
			defer last.Close()

			if got := admitted.Load(); got != tt.limit {
				t.Errorf("admitted %d over %d reloads, want exactly %d", got, tt.reloads, tt.limit)
			}
			var sum int64
			for _, r := range last.Usage() {
				sum += r.Admitted + r.Limited
			}
			if sum != int64(tt.requests/workers*workers) {
				t.Errorf("usage counts %d requests, want %d", sum, tt.requests/workers*workers)
			}
		})
	}
}
