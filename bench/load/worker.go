package load

import (
	"net"
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

	// next is the intended send time of the next open-loop request,
	// every the gap between two of this connection's requests, and
	// prevDone when the previous response arrived.
	next     time.Time
	every    time.Duration
	prevDone time.Time

	// src picks the next source address of dialSpread.
	src uint32

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
		if ip := net.ParseIP(hostOf(c.Addr)); ip != nil && ip.Equal(net.IPv4(127, 0, 0, 1)) {
			w.src = uint32(i)
			w.hc.Dial = w.dialSpread
		}
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
		var intended time.Time
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
		from := w.latencyStart(intended, sent)
		w.prevDone = done
		w.note(w.r.phase.Load() == phaseMeasure, err, done.Sub(from), done.Sub(sent))
	}
}

// dialSpread dials addr from a source address in 127.0.0.2..127.0.0.251,
// a different one for every connection. With a new connection per
// request, the server closes each connection and keeps it in TIME_WAIT;
// a new connection from a reused source port would then meet that state
// and wait a SYN retransmission (a second), so spreading the source
// addresses makes such reuse rare.
func (w *worker) dialSpread(addr string) (net.Conn, error) {
	w.src++
	ip := net.IPv4(127, 0, 0, byte(2+w.src%250))
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: w.r.cfg.Timeout}
	return d.Dial("tcp4", addr)
}

// hostOf returns the host part of host:port, or "" when malformed.
func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	return h
}

// latencyStart returns the instant a request's latency is counted from.
// In a closed loop that is when it was sent. In an open loop it is the
// intended send time when the connection was still busy with the previous
// response then, so that time spent queued behind a slow server is
// charged to the server; when the connection was idle, any lateness is
// the sleep waking late (Go timers overshoot by up to a millisecond),
// which is the load generator's, so the actual send time is used.
func (w *worker) latencyStart(intended, sent time.Time) time.Time {
	if w.every > 0 && w.prevDone.After(intended) {
		return intended
	}
	return sent
}

// note classifies one response and, when measured, records its latency.
// Failures count in every phase: a target that fails during warm-up or
// after the window is still failing.
func (w *worker) note(measured bool, err error, lat, svc time.Duration) {
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
	case !measured || !w.r.count():
		// Outside the window, or past MaxRequests: the driver may not
		// have closed the window yet, but the cap is exact.
	default:
		w.ok++
		w.lat.Record(lat)
		w.svc.Record(svc)
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
