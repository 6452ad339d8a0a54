package limiter

import (
	"sync"
	"testing"
	"time"
	"unsafe"
)

// t0 is a fixed instant at the start of a one-second window.
var t0 = time.Unix(1_700_000_000, 0)

func newTable(t testing.TB, cfg Config) *Table {
	t.Helper()
	tb, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v) = %v", cfg, err)
	}
	return tb
}

// takeN runs n decisions at now and returns how many were admitted.
func takeN(tb *Table, key uint64, limit int64, win time.Duration, now time.Time, n int) int {
	ok := 0
	for range n {
		if tb.TakeAt(key, SlidingAt(limit, win, now), now).Allowed {
			ok++
		}
	}
	return ok
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{name: "defaults", cfg: Config{}},
		{name: "one shard", cfg: Config{Shards: 1, MaxKeys: 1}},
		{name: "shards not power of two", cfg: Config{Shards: 6}, want: ErrShards},
		{name: "negative shards", cfg: Config{Shards: -2}, want: ErrShards},
		{name: "negative keys", cfg: Config{MaxKeys: -1}, want: ErrMaxKeys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err != tt.want {
				t.Errorf("New(%+v) = %v, want %v", tt.cfg, err, tt.want)
			}
		})
	}
}

// step is n decisions at t0+at, of which want are admitted.
type step struct {
	at   time.Duration
	n    int
	want int
}

func TestTakeAtSliding(t *testing.T) {
	const win = time.Second
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "limit within one window", steps: []step{{0, 15, 10}, {900 * time.Millisecond, 5, 0}}},
		{name: "previous window weighs half at mid window", steps: []step{{0, 10, 10}, {1500 * time.Millisecond, 10, 5}}},
		{name: "two windows later all is forgotten", steps: []step{{0, 10, 10}, {2100 * time.Millisecond, 20, 10}}},
		{name: "late previous window weighs little", steps: []step{{0, 10, 10}, {1900 * time.Millisecond, 10, 9}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTable(t, Config{MaxKeys: 16, Shards: 1})
			for _, s := range tt.steps {
				if got := takeN(tb, 7, 10, win, t0.Add(s.at), s.n); got != s.want {
					t.Errorf("at %v: %d of %d admitted, want %d", s.at, got, s.n, s.want)
				}
			}
		})
	}
}

func TestResultFields(t *testing.T) {
	tb := newTable(t, Config{MaxKeys: 16, Shards: 1})
	now := t0.Add(250 * time.Millisecond)
	w := SlidingAt(3, time.Second, now)
	want := []Result{
		{Allowed: true, Limit: 3, Remaining: 2, Reset: 750 * time.Millisecond},
		{Allowed: true, Limit: 3, Remaining: 1, Reset: 750 * time.Millisecond},
		{Allowed: true, Limit: 3, Remaining: 0, Reset: 750 * time.Millisecond},
		// Next window: 3 previous weigh 3*(1-g); one request fits once
		// 3*(1-g) <= 2, at g = 1/3 of the next window.
		{Limit: 3, Reset: 750 * time.Millisecond,
			RetryAfter: 750*time.Millisecond + 333333334},
	}
	for i, wr := range want {
		if got := tb.TakeAt(1, w, now); got != wr {
			t.Errorf("TakeAt #%d = %+v, want %+v", i, got, wr)
		}
	}

	// At the promised instant the request is admitted.
	later := now.Add(want[3].RetryAfter)
	if r := tb.TakeAt(1, SlidingAt(3, time.Second, later), later); !r.Allowed {
		t.Errorf("TakeAt after RetryAfter = %+v, want allowed", r)
	}
}

func TestCalendarWindow(t *testing.T) {
	tb := newTable(t, Config{MaxKeys: 16, Shards: 1})
	day := 24 * time.Hour
	w := CalendarAt(2, 19000, t0, t0.Add(day))
	now := t0.Add(23 * time.Hour)
	for i, want := range []bool{true, true, false} {
		if r := tb.TakeAt(9, w, now); r.Allowed != want {
			t.Errorf("TakeAt #%d = %+v, want allowed %v", i, r, want)
		} else if !want && r.RetryAfter != time.Hour {
			t.Errorf("RetryAfter = %v, want 1h", r.RetryAfter)
		}
	}

	// The next day starts from zero: a fixed window has no carry-over.
	next := CalendarAt(2, 19001, t0.Add(day), t0.Add(2*day))
	if r := tb.TakeAt(9, next, t0.Add(day)); !r.Allowed || r.Remaining != 1 {
		t.Errorf("TakeAt next day = %+v, want allowed with 1 remaining", r)
	}
}

func TestRefundAt(t *testing.T) {
	tb := newTable(t, Config{MaxKeys: 16, Shards: 1})
	w := SlidingAt(2, time.Second, t0)
	tb.TakeAt(5, w, t0)
	tb.TakeAt(5, w, t0)
	tb.RefundAt(5, w)
	if r := tb.TakeAt(5, w, t0); !r.Allowed {
		t.Errorf("TakeAt after RefundAt = %+v, want allowed", r)
	}
	tb.RefundAt(6, w) // unknown key: nothing happens
}

func TestFullTable(t *testing.T) {
	tb := newTable(t, Config{MaxKeys: 8, Shards: 1})
	win := time.Second
	for k := uint64(10); k < 18; k++ {
		if r := tb.TakeAt(k, SlidingAt(5, win, t0), t0); !r.Allowed {
			t.Fatalf("TakeAt(key %d) = %+v, want allowed", k, r)
		}
	}

	// A ninth key finds no room and is refused, never admitted unlimited.
	r := tb.TakeAt(99, SlidingAt(5, win, t0), t0)
	if r.Allowed || !r.Full {
		t.Fatalf("TakeAt on a full table = %+v, want Full", r)
	}
	if st := tb.Stats(); st.Live != 8 || st.Full != 1 || st.MaxKeys != 8 {
		t.Errorf("Stats() = %+v, want 8 live, 1 full", st)
	}

	// A shared overflow counter still finds room in the spare slots.
	for i, want := range []bool{true, true, false} {
		if r := tb.TakeSharedAt(7777, SlidingAt(2, win, t0), t0); r.Allowed != want {
			t.Errorf("TakeSharedAt #%d on a full table = %+v, want allowed %v", i, r, want)
		}
	}

	// Two windows later the old keys expired and the new key takes a slot.
	later := t0.Add(2 * win)
	if r := tb.TakeAt(99, SlidingAt(5, win, later), later); !r.Allowed {
		t.Errorf("TakeAt after expiry = %+v, want allowed", r)
	}
	if n := tb.SweepAt(later); n != 8 {
		t.Errorf("SweepAt() = %d, want 8", n)
	}
	if st := tb.Stats(); st.Live != 1 {
		t.Errorf("Stats().Live after sweep = %d, want 1", st.Live)
	}
	if r := tb.TakeAt(12, SlidingAt(5, win, later), later); !r.Allowed || r.Remaining != 4 {
		t.Errorf("TakeAt of a swept key = %+v, want a fresh counter", r)
	}
}

func TestReservedKeys(t *testing.T) {
	tb := newTable(t, Config{MaxKeys: 8, Shards: 1})
	for _, k := range []uint64{0, 1} {
		w := SlidingAt(1, time.Second, t0)
		if r := tb.TakeAt(k, w, t0); !r.Allowed {
			t.Errorf("TakeAt(%d) = %+v, want allowed", k, r)
		}
		if r := tb.TakeAt(k, w, t0); r.Allowed {
			t.Errorf("second TakeAt(%d) = %+v, want refused", k, r)
		}
	}
}

func TestCollectCommit(t *testing.T) {
	tb := newTable(t, Config{MaxKeys: 8, Shards: 1})
	w := SlidingAt(10, time.Second, t0)
	takeN(tb, 3, 10, time.Second, t0, 4)

	ds := tb.CollectAt(t0, nil)
	if len(ds) != 1 || ds[0].Curr != 4 || ds[0].Prev != 0 || ds[0].Index != w.Index {
		t.Fatalf("CollectAt() = %+v, want one delta of 4", ds)
	}

	// Another process counted 5 in the same window: 4 own + 5 = 9.
	tb.Commit(&ds[0], 9, 0)
	if got := takeN(tb, 3, 10, time.Second, t0, 5); got != 1 {
		t.Errorf("admitted after commit = %d, want 1", got)
	}
	ds = tb.CollectAt(t0, ds[:0])
	if len(ds) != 1 || ds[0].Curr != 1 {
		t.Fatalf("CollectAt() after commit = %+v, want a delta of 1", ds)
	}

	tb.Commit(&ds[0], 10, 0)

	// Nothing decided since: nothing to exchange.
	if ds = tb.CollectAt(t0, ds[:0]); len(ds) != 0 {
		t.Errorf("CollectAt() with no new decisions = %+v, want none", ds)
	}
	// A refused decision counts nothing but asks for fresh totals.
	if r := tb.TakeAt(3, w, t0); r.Allowed {
		t.Errorf("TakeAt at the fleet's limit = %+v, want refused", r)
	}
	if ds = tb.CollectAt(t0, ds[:0]); len(ds) != 1 || ds[0].Curr != 0 {
		t.Errorf("CollectAt() after a refusal = %+v, want one empty delta", ds)
	}

	tb.ForgetRemote()
	if got := takeN(tb, 3, 10, time.Second, t0, 10); got != 5 {
		t.Errorf("admitted after ForgetRemote = %d, want 5", got)
	}
}

// TestConcurrentExact checks that concurrent decisions in one window
// admit exactly the limit: the compare-and-swap loses no counts.
func TestConcurrentExact(t *testing.T) {
	tests := []struct {
		name string
		keys int
	}{
		{name: "one hot key", keys: 1},
		{name: "many keys", keys: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTable(t, Config{MaxKeys: 1024, Shards: 4})
			const workers, per, limit = 8, 2000, 300
			var mu sync.Mutex
			admitted := make(map[uint64]int)
			var wg sync.WaitGroup
			for g := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					local := make(map[uint64]int)
					for i := range per {
						k := uint64((i*7 + g) % tt.keys)
						if tb.TakeAt(k, SlidingAt(limit, time.Minute, t0), t0).Allowed {
							local[k]++
						}
					}
					mu.Lock()
					for k, n := range local {
						admitted[k] += n
					}
					mu.Unlock()
				}()
			}
			wg.Wait()
			for k, n := range admitted {
				if n > limit {
					t.Errorf("key %d admitted %d, limit %d", k, n, limit)
				}
			}
			if tt.keys == 1 && admitted[0] != limit {
				t.Errorf("hot key admitted %d, want exactly %d", admitted[0], limit)
			}
		})
	}
}

func TestIndexWrap(t *testing.T) {
	tests := []struct {
		name  string
		later time.Duration
		want  bool
	}{
		{name: "same window", later: 0, want: false},
		{name: "256 windows later", later: 256 * time.Second, want: true},
		{name: "512 windows later", later: 512 * time.Second, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Never swept, so the old counter is still in its slot.
			tb := newTable(t, Config{MaxKeys: 8, Shards: 1})
			tb.TakeAt(3, SlidingAt(1, time.Second, t0), t0)
			now := t0.Add(tt.later)
			if r := tb.TakeAt(3, SlidingAt(1, time.Second, now), now); r.Allowed != tt.want {
				t.Errorf("TakeAt %v later = %+v, want allowed %v", tt.later, r, tt.want)
			}
		})
	}
}

func TestEntrySize(t *testing.T) {
	if got := unsafe.Sizeof(entry{}); got != 64 {
		t.Errorf("entry is %d bytes, want one 64-byte cache line", got)
	}
}
