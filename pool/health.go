package pool

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/valyala/fasthttp"
)

// check runs the active health check of one target until Close: a GET of
// the configured path every interval. After UnhealthyThreshold failed
// probes in a row the target leaves rotation; after HealthyThreshold
// good ones it comes back. Each transition is logged once.
//
// Probes use their own single-connection client, so a saturated pool
// does not fail them and they do not take connections from requests.
func (u *Upstream) check(t *Target) {
	defer u.checks.Done()
	h := u.set.Health
	pc := &fasthttp.HostClient{
		Addr:                      t.addr,
		DialTimeout:               t.dial,
		MaxConns:                  1,
		MaxIdleConnDuration:       2 * h.Interval,
		ReadBufferSize:            u.set.MaxResponseHeaderBytes,
		MaxResponseBodySize:       64 << 10,
		NoDefaultUserAgentHeader:  true,
		MaxIdemponentCallAttempts: 1,
	}
	defer pc.CloseIdleConnections()
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(h.Path)
	req.Header.SetMethod(http.MethodGet)
	req.UseHostHeader = true
	// With host_header "client" there is no client: probes send the
	// target's address, like "target".
	if hh := u.set.HostHeader; hh != HostHeaderClient && hh != HostHeaderTarget {
		req.Header.SetHost(hh)
	} else {
		req.Header.SetHost(t.addr)
	}

	// Probe at once, then every interval.
	tick := time.NewTicker(h.Interval)
	defer tick.Stop()
	good, bad := 0, 0
	for first := true; ; first = false {
		if !first {
			select {
			case <-u.stop:
				return
			case <-tick.C:
			}
		}
		ok, reason := u.probe(pc, req, resp)
		if ok {
			good, bad = good+1, 0
		} else {
			good, bad = 0, bad+1
		}
		u.set.Logger.LogAttrs(context.Background(), slog.LevelDebug, "health probe",
			slog.String(keyUpstream, u.set.Name), slog.String(keyTarget, t.addr),
			slog.Bool(keyProbeOK, ok), slog.String(keyReason, reason))
		u.transition(t, good, bad, reason)
	}
}

// probe sends one health request and reports whether it passed, with a
// short reason when it did not.
func (u *Upstream) probe(pc *fasthttp.HostClient, req *fasthttp.Request,
	resp *fasthttp.Response) (bool, string) {
	h := u.set.Health
	if err := pc.DoTimeout(req, resp, h.Timeout); err != nil {
		return false, classify(err, u.set.Classify).Error()
	}
	code := resp.StatusCode()
	if len(h.ExpectStatus) == 0 {
		if code >= 200 && code < 400 {
			return true, ""
		}
		return false, "unexpected status " + http.StatusText(code)
	}
	for _, want := range h.ExpectStatus {
		if code == want {
			return true, ""
		}
	}
	return false, "unexpected status " + http.StatusText(code)
}

// transition flips t's health once a threshold is reached, and logs it.
func (u *Upstream) transition(t *Target, good, bad int, reason string) {
	h := u.set.Health
	switch {
	case bad >= h.UnhealthyThreshold && t.healthy.Load():
		t.healthy.Store(false)
		u.set.Logger.LogAttrs(context.Background(), slog.LevelWarn, "upstream target down",
			slog.String(keyUpstream, u.set.Name), slog.String(keyTarget, t.addr),
			slog.String(keyReason, reason))
	case good >= h.HealthyThreshold && !t.healthy.Load():
		t.healthy.Store(true)
		u.set.Logger.LogAttrs(context.Background(), slog.LevelInfo, "upstream target up",
			slog.String(keyUpstream, u.set.Name), slog.String(keyTarget, t.addr))
	}
}
