//go:build !race

package limiter

import (
	"testing"
	"time"
)

func TestTakeAtAllocs(t *testing.T) {
	tests := []struct {
		name  string
		limit int64
		keys  uint64
	}{
		{name: "admitted", limit: 1 << 20, keys: 1},
		{name: "refused", limit: 1, keys: 1},
		{name: "new keys", limit: 10, keys: 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTable(t, Config{MaxKeys: 4096, Shards: 4})
			var k uint64
			got := testing.AllocsPerRun(1000, func() {
				k = (k + 1) % tt.keys
				now := t0.Add(time.Duration(k))
				tb.TakeAt(k, SlidingAt(tt.limit, time.Second, now), now)
				tb.RefundAt(k, SlidingAt(tt.limit, time.Second, now))
			})
			if got != 0 {
				t.Errorf("TakeAt allocs = %v, want 0", got)
			}
		})
	}
}
