package pool

import (
	"time"

	"github.com/valyala/fasthttp"
)

// Do sends req to a target of the upstream and fills resp.
//
// req must be fully prepared: path and query rewritten, hop-by-hop
// headers handled, and the Host header as the client sent it; Do applies
// the host_header policy itself. hash is the request's consistent hash
// key from Hash (0 if none). timeout bounds the whole call including
// retries; 0 means the upstream's response timeout.
//
// Do tries at most 1+Retries targets, never one twice. It moves on after
// a connect failure (the request never left, so any method is safe) and,
// for idempotent requests without a streamed body, after the connection
// was closed or reset. It never retries a timeout. A 5xx response is not
// an error: it is returned as is, and only counts toward ejection.
//
// A reused connection that was idle is checked before writing; if the
// upstream has closed it, the request goes out on a fresh connection
// whatever its method. A non-idempotent request whose connection is
// closed after it was written fails with ErrClosed: it may have been
// acted on.
//
// With StreamResponseBody, a body of unknown length or over 64 KiB is
// not read: resp gets a body stream that reads it from the connection,
// with timeout as the longest wait between reads. The caller must read
// and close it (Response.CloseBodyStream; the fasthttp server does so
// after writing the body): a body read to its end gives the connection
// back to the pool, anything else closes it. Its read errors are the
// package's sentinels. Smaller bodies with a Content-Length are read
// into resp as without streaming.
//
// Do returns the target of the last attempt (nil if none was usable)
// and nil or one of the package's sentinel errors. Do allocates nothing
// in steady state, streamed or not, and is safe for concurrent use.
func (u *Upstream) Do(req *fasthttp.Request, resp *fasthttp.Response, hash uint64,
	timeout time.Duration) (*Target, error) {
	if timeout <= 0 {
		timeout = u.set.ResponseTimeout
	}
	deadline := time.Now().Add(timeout)
	prepare(req)
	retryClosed := idempotent(req) && !req.IsBodyStream()

	var (
		tried uint64
		last  *Target
		err   *Error
	)
	for range u.set.retries + 1 {
		t := u.bal.pick(hash, tried)
		lastResort := false
		if t == nil {
			// Only after a real attempt failed: with every target
			// ejected from the start, 503 at once is the better answer.
			if tried == 0 {
				break
			}
			if t = u.ejectedButHealthy(tried); t == nil {
				break
			}
			lastResort = true
		}
		tried |= t.bit
		last = t

		err = u.attempt(t, req, resp, deadline, timeout, retryClosed)
		if err == nil {
			if lastResort && resp.StatusCode() < fasthttp.StatusInternalServerError {
				// It answered well: the ejection was wrong, or is over.
				t.ejectedUntil.Store(0)
				u.logReturned(t)
			}
			return t, nil
		}
		if !retryable(err, retryClosed) {
			break
		}
	}
	if last == nil {
		return nil, ErrNoTarget
	}
	return last, err
}

// Pick returns the target the balancer chooses for a request with the
// given hash (from Hash; 0 if none), skipping targets that are down or
// ejected, or nil if none is usable. It is for connections the pool does
// not carry, such as WebSocket tunnels: open one with Target.Dial. Pick
// allocates nothing and is safe for concurrent use.
func (u *Upstream) Pick(hash uint64) *Target {
	return u.bal.pick(hash, 0)
}

// SetHost applies the host_header policy for target t to h, as Do does.
func (u *Upstream) SetHost(h *fasthttp.RequestHeader, t *Target) {
	switch u.set.HostHeader {
	case HostHeaderClient:
	case HostHeaderTarget:
		h.SetHost(t.addr)
	default:
		h.SetHost(u.set.HostHeader)
	}
}

// attempt sends req to t (once more on a fresh connection if the first
// was stale; see roundTrip) and records the outcome for passive ejection
// and least-outstanding counting. A streamed body stays outstanding
// until its stream is closed.
func (u *Upstream) attempt(t *Target, req *fasthttp.Request, resp *fasthttp.Response,
	deadline time.Time, idle time.Duration, retryClosed bool) *Error {
	u.SetHost(&req.Header, t)

	t.outstanding.Add(1)
	raw := t.roundTrip(req, resp, deadline, idle, retryClosed)
	if _, streamed := resp.BodyStream().(*bodyStream); raw != nil || !streamed {
		t.outstanding.Add(-1)
	}
	if u.closed.Load() {
		// Close has run: do not keep the connection this request used.
		t.hc.CloseIdleConnections()
	}

	if raw == nil {
		if resp.StatusCode() >= fasthttp.StatusInternalServerError {
			t.failed()
		} else {
			t.succeeded()
		}
		return nil
	}
	err := classify(raw, u.set.Classify)
	if err != ErrPoolFull && raw != errStale {
		// A full pool is local back-pressure and a connection closed
		// while idle is normal keep-alive life: neither is the target's
		// fault.
		t.failed()
	}
	return err
}

// ejectedButHealthy returns a target not yet tried that passive ejection
// took out but the active health check (if any) still calls healthy, or
// nil. Ejection is a guess from past errors; when the targets the
// balancer may use have all failed this request, trying an ejected one
// beats failing it (Envoy's panic routing is the same idea). Without it, a
// target that recovered while another died stayed out for its whole
// ejection time, and with max_ejected_percent keeping the dead one in,
// every request got 502.
func (u *Upstream) ejectedButHealthy(tried uint64) *Target {
	for _, t := range u.targets {
		if t.bit&tried == 0 && t.healthy.Load() && t.ejectedUntil.Load() != 0 {
			return t
		}
	}
	return nil
}

// retryable reports whether a failed attempt may move to another target.
//
// TODO: a non-idempotent request still fails with ErrClosed (502) when
// the upstream's close races the write: the check before writing (see
// checkedConn) runs only on connections idle for peekIdleAfter, and only
// on Linux. Clients then see a rare 502 on POST; keeping IdleTimeout below
// the upstream's keep-alive timeout narrows it further.
func retryable(err *Error, retryClosed bool) bool {
	switch err {
	case ErrConnect, ErrConnectTimeout:
		return true
	case ErrClosed:
		return retryClosed
	}
	return false
}

// prepare makes req ready to be written to a target: the Host header is
// what gets sent (not the parsed URI's host), the path goes out as the
// client wrote it, and the scheme is plain http even when the client came
// in over TLS, as targets are plain HTTP.
func prepare(req *fasthttp.Request) {
	req.UseHostHeader = true
	req.URI().DisablePathNormalizing = true
	uri := req.URI()
	if s := uri.Scheme(); len(s) != 4 || string(s) != "http" {
		uri.SetScheme("http")
	}
}

// idempotent reports whether req's method is idempotent (RFC 9110
// section 9.2.2): GET, HEAD, OPTIONS, PUT, DELETE and TRACE.
func idempotent(req *fasthttp.Request) bool {
	h := &req.Header
	return h.IsGet() || h.IsHead() || h.IsOptions() || h.IsPut() || h.IsDelete() || h.IsTrace()
}
