package limiter

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"
	"golang.org/x/time/rate"
)

// benchKeys is the key count of the many-keys benchmarks.
const benchKeys = 100_000

// hashes returns n distinct key hashes, made before timing starts.
func hashes(n int) []uint64 {
	hs := make([]uint64, n)
	var b [8]byte
	for i := range hs {
		for j := range b {
			b[j] = byte(i >> (8 * j))
		}
		hs[i] = xxhash.Sum64(b[:])
	}
	return hs
}

// next hands every goroutine of a RunParallel its own starting offset.
var next atomic.Uint64

func BenchmarkTakeAt(b *testing.B) {
	b.Run("single_key", func(b *testing.B) {
		tb := newTable(b, Config{})
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				now := time.Now()
				tb.TakeAt(42, SlidingAt(MaxLimit, time.Second, now), now)
			}
		})
	})
	b.Run("100k_keys", func(b *testing.B) {
		tb := newTable(b, Config{MaxKeys: 2 * benchKeys})
		hs := hashes(benchKeys)
		for _, h := range hs {
			now := time.Now()
			tb.TakeAt(h, SlidingAt(1000, time.Second, now), now)
		}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := next.Add(7919)
			for pb.Next() {
				i++
				now := time.Now()
				tb.TakeAt(hs[i%benchKeys], SlidingAt(1000, time.Second, now), now)
			}
		})
	})
}

// BenchmarkXRate is the token-bucket baseline: one rate.Limiter for the
// hot key, and a sync.Map of them made up front for many keys.
func BenchmarkXRate(b *testing.B) {
	b.Run("single_key", func(b *testing.B) {
		lim := rate.NewLimiter(1e9, 1e9)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				lim.AllowN(time.Now(), 1)
			}
		})
	})
	b.Run("100k_keys", func(b *testing.B) {
		var m sync.Map
		hs := hashes(benchKeys)
		for _, h := range hs {
			m.Store(h, rate.NewLimiter(1000, 1000))
		}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := next.Add(7919)
			for pb.Next() {
				i++
				l, _ := m.Load(hs[i%benchKeys])
				l.(*rate.Limiter).AllowN(time.Now(), 1)
			}
		})
	})
}

// mutexWindow is the simple baseline: one mutex over a map of
// sliding-window counters.
type mutexWindow struct {
	mu sync.Mutex
	m  map[uint64]*mwEntry
}

type mwEntry struct{ idx, curr, prev int64 }

func (mw *mutexWindow) allow(key uint64, limit int64, win time.Duration, now time.Time) bool {
	n, l := now.UnixNano(), int64(win)
	idx := n / l
	mw.mu.Lock()
	defer mw.mu.Unlock()
	e := mw.m[key]
	if e == nil {
		e = &mwEntry{idx: idx}
		mw.m[key] = e
	}
	switch idx - e.idx {
	case 0:
	case 1:
		e.prev, e.curr = e.curr, 0
	default:
		e.prev, e.curr = 0, 0
	}
	e.idx = idx
	wt := float64(l-n%l) / float64(l)
	if float64(e.curr+1)+float64(e.prev)*wt > float64(limit) {
		return false
	}
	e.curr++
	return true
}

func BenchmarkMutexMap(b *testing.B) {
	b.Run("single_key", func(b *testing.B) {
		mw := &mutexWindow{m: make(map[uint64]*mwEntry)}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				mw.allow(42, MaxLimit, time.Second, time.Now())
			}
		})
	})
	b.Run("100k_keys", func(b *testing.B) {
		mw := &mutexWindow{m: make(map[uint64]*mwEntry, benchKeys)}
		hs := hashes(benchKeys)
		for _, h := range hs {
			mw.allow(h, 1000, time.Second, time.Now())
		}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := next.Add(7919)
			for pb.Next() {
				i++
				mw.allow(hs[i%benchKeys], 1000, time.Second, time.Now())
			}
		})
	})
}
