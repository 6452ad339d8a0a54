//go:build !race

package metrics

import (
	"testing"
	"time"
)

func TestObserveAllocatesNothing(t *testing.T) {
	rt := New().Route("r")
	n := testing.AllocsPerRun(1000, func() {
		rt.Observe(200, 300*time.Microsecond, 250*time.Microsecond)
		rt.UpstreamError(504)
	})
	if n != 0 {
		t.Errorf("Observe: %v allocations, want 0", n)
	}
}
