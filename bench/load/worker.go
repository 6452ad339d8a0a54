package load

import (
	"time"

	"github.com/valyala/fasthttp"
)

// worker owns one connection: its client, request, response and
// histograms. Only its own goroutine touches it until loop returns.
type worker struct {
	r    *run
	hc   *fasthttp.HostClient
	req  *fasthttp.Request
	resp *fasthttp.Response

	// next is the intended send time of the next open-loop request and
	// every the gap between two of this connection's requests.
	next  time.Time
	every time.Duration

	ok, errs, non2xx uint64
	firstErr         error
	lat, svc         Histogram
}

// newWorker prepares connection i of run r.
func newWorker(r *run, i int) *worker {
	c := &r.cfg
	w := &worker{
		r: r,
		hc: &fasthttp.HostClient{
			Addr:                      c.Addr,
			MaxConns:                  1,
			ReadTimeout:               c.Timeout,
			WriteTimeout:              c.Timeout,
			MaxIdemponentCallAttempts: 1,
			NoDefaultUserAgentHeader:  true,
			ReadBufferSize:            16 << 10,
		},
		req:  fasthttp.AcquireRequest(),
		resp: fasthttp.AcquireResponse(),
	}
	w.req.Header.SetMethod(c.Method)
	w.req.SetRequestURI(c.Path)
	w.req.Header.SetHost(c.Host)
	for _, h := range c.Headers {
		w.req.Header.Set(h[0], h[1])
	}
	if len(c.Body) > 0 {
		w.req.SetBody(c.Body)
	}
	if c.NewConnPerRequest {
		w.req.SetConnectionClose()
	}

	// Open loop: connection i sends at start + i/Rate + k*Conns/Rate, so
	// the connections together send evenly at Rate.
	if c.Rate > 0 {
		gap := time.Duration(float64(time.Second) / c.Rate)
		w.every = gap * time.Duration(c.Conns)
		w.next = r.start.Add(gap * time.Duration(i))
	}
	return w
}

// loop sends requests until the run is done. It allocates nothing per
// request beyond what the client does on a new connection.
func (w *worker) loop() {
	for {
		phase := w.r.phase.Load()
		if phase == phaseDone {
			return
		}

		// Open loop: wait for the intended send time, unless late.
		intended := time.Now()
		if w.every > 0 {
			intended = w.next
			w.next = w.next.Add(w.every)
			if d := time.Until(intended); d > 0 {
				time.Sleep(d)
			}
		}

		sent := time.Now()
		err := w.hc.Do(w.req, w.resp)
		done := time.Now()
		if w.r.phase.Load() != phaseMeasure {
			continue
		}
		w.note(err, done.Sub(intended), done.Sub(sent))
	}
}

// note classifies one measured response and records its latency.
func (w *worker) note(err error, lat, svc time.Duration) {
	switch {
	case err != nil:
		w.fail(err)
	case !isOK(w.resp.StatusCode()):
		w.non2xx++
		if w.firstErr == nil {
			w.firstErr = ErrStatus
		}
	case w.r.cfg.ExpectBodyBytes > 0 && len(w.resp.Body()) != w.r.cfg.ExpectBodyBytes:
		w.fail(ErrBodySize)
	default:
		w.ok++
		w.lat.Record(lat)
		w.svc.Record(svc)
		w.r.count()
	}
}

// fail counts an error and keeps the first one.
func (w *worker) fail(err error) {
	w.errs++
	if w.firstErr == nil {
		w.firstErr = err
	}
}

// isOK reports whether status is 2xx.
func isOK(status int) bool { return status >= 200 && status < 300 }

// mergeInto adds the worker's counts to res.
func (w *worker) mergeInto(res *Result) {
	res.Requests += w.ok
	res.Errors += w.errs
	res.Non2xx += w.non2xx
	if res.FirstError == nil {
		res.FirstError = w.firstErr
	}
	res.Latency.Merge(&w.lat)
	res.Service.Merge(&w.svc)
}

// release returns the pooled request and response and closes idle
// connections.
func (w *worker) release() {
	w.hc.CloseIdleConnections()
	fasthttp.ReleaseRequest(w.req)
	fasthttp.ReleaseResponse(w.resp)
	w.req, w.resp = nil, nil
}
