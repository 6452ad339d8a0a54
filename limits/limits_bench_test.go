package limits

import (
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/view"
)

// benchTOML gives alice a plan whose limits never refuse in a benchmark,
// and anonymous callers a per-ip limit.
const benchTOML = `
[plans.big]
limits = [
  { name = "big-sec", rate = "100000000 per 1s" },
  { name = "big-min", rate = "200000000 per 1m", key = ["ip"], headers = "both" },
]
[plans.anonymous]
limits = [{ name = "anon", rate = "1000 per 1s", key = ["ip"] }]
[consumers.alice]
plan = "big"
`

// benchCheck runs CheckAt and WriteHeaders in parallel; each goroutine
// keeps its Decision in one place, as a pooled request context would.
func benchCheck(b *testing.B, e *Engine, consumer string, views func(i uint64) *view.Request) {
	rp := e.Route("api")
	var h nopHeader
	var next atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		d := new(Decision)
		i := next.Add(1 << 32)
		for pb.Next() {
			i++
			*d = e.CheckAt(rp, views(i), consumer, time.Now())
			d.WriteHeaders(h)
		}
	})
}

func BenchmarkCheckAt(b *testing.B) {
	b.Run("local_consumer_two_limits", func(b *testing.B) {
		e := newEngine(b, benchTOML, nil)
		v := request("10.0.0.1")
		benchCheck(b, e, "alice", func(uint64) *view.Request { return v })
	})
	b.Run("local_anonymous_100k_ips", func(b *testing.B) {
		e := newEngine(b, benchTOML+"[limiter]\nmax_keys = 200000\n", nil)
		vs := make([]*view.Request, 100_000)
		for i := range vs {
			vs[i] = &view.Request{Header: fakeHeader{},
				ClientIP: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})}
		}
		benchCheck(b, e, "", func(i uint64) *view.Request { return vs[i%uint64(len(vs))] })
	})
}

func BenchmarkCheckAtRedis(b *testing.B) {
	rs := startRedis(b)
	for _, mode := range []string{"synced", "strict"} {
		b.Run(mode, func(b *testing.B) {
			toml := redisTOML(rs, mode, "bench"+mode+":", strconv.Itoa(200_000_000)+" per 1m")
			e := newRedisEngine(b, toml, nil)
			v := request("10.0.0.1")
			benchCheck(b, e, "alice", func(uint64) *view.Request { return v })
		})
	}
}
