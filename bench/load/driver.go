package load

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Errors returned by Run and counted in Result.
var (
	// ErrConfig reports a Config that cannot be run.
	ErrConfig = errors.New("load: invalid config")
	// ErrStatus is recorded as Result.FirstError when a response was not 2xx.
	ErrStatus = errors.New("load: response status not 2xx")
	// ErrBodySize is recorded when a body's length differs from
	// Config.ExpectBodyBytes.
	ErrBodySize = errors.New("load: response body has unexpected length")
)

// Config describes one run. Zero values mean the documented defaults.
type Config struct {
	// Addr is the host:port to connect to. It must be a loopback address.
	Addr string
	// Host is the Host header sent; empty means Addr.
	Host string
	// Method is the request method; empty means GET.
	Method string
	// Path is the request target; empty means "/".
	Path string
	// Headers are added to every request, as name and value pairs.
	Headers [][2]string
	// Body is sent with every request when not empty.
	Body []byte
	// ExpectBodyBytes, when positive, is the exact response body length;
	// any other length counts as an error (it catches truncating proxies).
	ExpectBodyBytes int

	// Conns is the number of connections, each driven by one goroutine;
	// zero means 1.
	Conns int
	// NewConnPerRequest sends "Connection: close" and dials a new
	// connection for every request instead of keeping connections alive.
	NewConnPerRequest bool
	// Rate, when positive, makes an open loop that sends Rate requests per
	// second in total, spread evenly over the connections, and measures
	// latency from each request's intended send time. Zero makes a closed
	// loop in which every connection sends as fast as it is answered.
	Rate float64

	// Warmup is how long load runs before measuring starts; zero means
	// no warm-up.
	Warmup time.Duration
	// Duration is the length of the measured window; it must be positive.
	Duration time.Duration
	// MaxRequests, when positive, ends the measured window early once that
	// many responses were measured.
	MaxRequests int64
	// Timeout bounds each request (write and read); zero means 5s.
	Timeout time.Duration

	// OnMeasure, when set, is called with true just before the measured
	// window opens and with false just after it closes, from the goroutine
	// that called Run. A harness reads the server's CPU counters there.
	OnMeasure func(begin bool)
}

// Result is what one run measured. Requests and latencies count only
// responses that completed inside the measured window; failures count in
// every phase, warm-up and the wait for the last responses included.
type Result struct {
	// Requests is the number of 2xx responses of the expected size.
	Requests uint64
	// Errors counts transport errors and responses of the wrong size.
	Errors uint64
	// Non2xx counts responses with a status outside 200..299.
	Non2xx uint64
	// FirstError is the first failure seen, or nil.
	FirstError error
	// Elapsed is the measured window's actual length.
	Elapsed time.Duration
	// Latency holds the latency of every counted request: from the actual
	// send in a closed loop; in an open loop, from the intended send time
	// when the request had to wait for its connection to finish the
	// previous one (so queueing behind a stall is counted), else from the
	// actual send (so the load generator's own timer lateness is not).
	Latency Histogram
	// Service holds, in an open loop, the latency from the actual send;
	// the gap to Latency is time spent queued behind earlier requests.
	// In a closed loop it equals Latency.
	Service Histogram
}

// Throughput returns the counted requests per second of the window.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Run phases, kept in run.phase.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseDone
)

// run is the state the connection goroutines of one Run share.
type run struct {
	cfg      Config
	phase    atomic.Int32
	measured atomic.Int64
	full     chan struct{} // closed when MaxRequests were measured
	fullOnce sync.Once
	start    time.Time // base of the open-loop schedule
	elapsed  time.Duration
}

// drive steps the run through its phases: warm-up, the measured window
// (ended by Duration, MaxRequests or ctx) and done. It tells the workers
// through r.phase; they notice before their next request.
func (r *run) drive(ctx context.Context) error {
	if r.cfg.Warmup > 0 {
		t := time.NewTimer(r.cfg.Warmup)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			r.phase.Store(phaseDone)
			return ctx.Err()
		}
	}

	if r.cfg.OnMeasure != nil {
		r.cfg.OnMeasure(true)
	}
	begin := time.Now()
	r.phase.Store(phaseMeasure)
	t := time.NewTimer(r.cfg.Duration)
	var err error
	select {
	case <-t.C:
	case <-r.full:
		t.Stop()
	case <-ctx.Done():
		t.Stop()
		err = ctx.Err()
	}
	r.phase.Store(phaseDone)
	r.elapsed = time.Since(begin)
	if r.cfg.OnMeasure != nil {
		r.cfg.OnMeasure(false)
	}
	return err
}

// count notes one measured response, closes r.full at MaxRequests, and
// reports whether the response is within the cap (and so is recorded).
func (r *run) count() bool {
	n := r.measured.Add(1)
	if r.cfg.MaxRequests <= 0 {
		return true
	}
	if n == r.cfg.MaxRequests {
		r.fullOnce.Do(r.closeFull)
	}
	return n <= r.cfg.MaxRequests
}

// closeFull closes r.full; it is a method so count passes no closure.
func (r *run) closeFull() { close(r.full) }

// Run drives load as cfg describes and returns what was measured in the
// window. It returns an error only when cfg is invalid or ctx ends before
// the window closes; failed requests are counted in the Result instead.
// Run blocks for about Warmup+Duration (plus at most one Timeout).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, full: make(chan struct{}), start: time.Now()}
	workers := make([]*worker, cfg.Conns)
	var wg sync.WaitGroup
	for i := range workers {
		workers[i] = newWorker(r, i)
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			w.loop()
		}(workers[i])
	}

	err := r.drive(ctx)
	wg.Wait()
	res := &Result{}
	for _, w := range workers {
		w.mergeInto(res)
		w.release()
	}
	res.Elapsed = r.elapsed
	return res, err
}

// normalize applies defaults and checks the config.
func (c *Config) normalize() error {
	if c.Addr == "" || c.Duration <= 0 || c.Conns < 0 || c.Rate < 0 {
		return ErrConfig
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return ErrConfig
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return ErrConfig
	}
	if c.Conns == 0 {
		c.Conns = 1
	}
	if c.Method == "" {
		c.Method = fasthttp.MethodGet
	}
	if c.Path == "" {
		c.Path = "/"
	}
	if c.Host == "" {
		c.Host = c.Addr
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	return nil
}
