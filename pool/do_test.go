package pool

import (
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico-gw/portico/config"
)

func TestDoHostHeader(t *testing.T) {
	seen := make(chan string, 1)
	addr := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		seen <- string(ctx.Host())
	})
	tests := []struct {
		name   string
		policy string
		want   string
	}{
		{name: "default is target", policy: "", want: addr},
		{name: "target", policy: HostHeaderTarget, want: addr},
		{name: "client", policy: HostHeaderClient, want: "client.example"},
		{name: "literal", policy: "api.internal", want: "api.internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newTestUpstream(t, Config{Targets: targets(addr), HostHeader: tt.policy})
			req, resp := get("/h"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			if _, err := u.Do(req, resp, 0, time.Second); err != nil {
				t.Fatalf("Do = %v, want nil", err)
			}
			if got := <-seen; got != tt.want {
				t.Errorf("upstream saw Host %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDoConnectFailure(t *testing.T) {
	live := okBackend(t)
	tests := []struct {
		name    string
		method  string
		retries int
		addrs   []string
		wantErr error
	}{
		{name: "GET retried on the live target", method: "GET", retries: 1,
			addrs: []string{deadAddr(t), live}},
		{name: "POST retried too: it never left", method: "POST", retries: 1,
			addrs: []string{deadAddr(t), live}},
		{name: "no retries gives 502", method: "GET", retries: -1,
			addrs: []string{deadAddr(t), live}, wantErr: ErrConnect},
		{name: "all refused", method: "GET", retries: 3,
			addrs: []string{deadAddr(t), deadAddr(t)}, wantErr: ErrConnect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newTestUpstream(t, Config{Targets: targets(tt.addrs...), Retries: tt.retries})
			req, resp := get("/r"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.Header.SetMethod(tt.method)
			// Round robin starts at the first target, the dead one.
			tg, err := u.Do(req, resp, 0, time.Second)
			if err != tt.wantErr {
				t.Fatalf("Do = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if got := StatusFor(err); got != http.StatusBadGateway {
					t.Errorf("StatusFor(%v) = %d, want 502", err, got)
				}
				return
			}
			if tg.Addr() != live || resp.StatusCode() != 200 {
				t.Errorf("Do went to %s with %d, want %s with 200", tg.Addr(),
					resp.StatusCode(), live)
			}
		})
	}
}

func TestDoTimeout(t *testing.T) {
	tests := []struct {
		name   string
		method string
	}{
		{name: "GET", method: "GET"},
		{name: "POST", method: "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hang, _ := hangingBackend(t)
			var liveHits atomic.Int32
			live := startBackend(t, func(*fasthttp.RequestCtx) { liveHits.Add(1) })
			u := newTestUpstream(t, Config{Targets: targets(hang, live), Retries: 3})
			req, resp := get("/slow"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.Header.SetMethod(tt.method)

			start := time.Now()
			_, err := u.Do(req, resp, 0, 200*time.Millisecond)
			took := time.Since(start)
			if err != ErrTimeout {
				t.Fatalf("Do = %v, want %v", err, ErrTimeout)
			}
			if got := StatusFor(err); got != http.StatusGatewayTimeout {
				t.Errorf("StatusFor = %d, want 504", got)
			}
			if took > 2*time.Second {
				t.Errorf("Do took %v, want about 200ms", took)
			}
			if n := liveHits.Load(); n != 0 {
				t.Errorf("a timed-out request was retried: live target got %d", n)
			}
		})
	}
}

func TestDoNoTarget(t *testing.T) {
	tests := []struct {
		name  string
		addrs []string
		pct   int
	}{
		{name: "single target", addrs: []string{deadAddr(t)}},
		{name: "all of two at 100%", addrs: []string{deadAddr(t), deadAddr(t)}, pct: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newTestUpstream(t, Config{
				Targets: targets(tt.addrs...),
				Outlier: &config.Outlier{ConsecutiveFailures: 1, MaxEjectedPercent: tt.pct},
			})
			req, resp := get("/"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			// Each failed attempt ejects its target.
			if _, err := u.Do(req, resp, 0, time.Second); err != ErrConnect {
				t.Fatalf("first Do = %v, want %v", err, ErrConnect)
			}
			tg, err := u.Do(req, resp, 0, time.Second)
			if err != ErrNoTarget || tg != nil {
				t.Fatalf("Do = %v, %v, want nil, %v", tg, err, ErrNoTarget)
			}
			if got := StatusFor(err); got != http.StatusServiceUnavailable {
				t.Errorf("StatusFor = %d, want 503", got)
			}
		})
	}
}

func TestDoStaleKeepAlive(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		needPeek bool
	}{
		{name: "GET", method: "GET"},
		{name: "HEAD", method: "HEAD"},
		{name: "DELETE", method: "DELETE"},
		{name: "OPTIONS", method: "OPTIONS"},
		// The close is seen before writing, so even these are safe.
		{name: "POST", method: "POST", needPeek: true},
		{name: "PATCH", method: "PATCH", needPeek: true},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(tt.name+modeName(stream), func(t *testing.T) {
				if tt.needPeek && !canPeek {
					t.Skip("no peek on this platform")
				}
				addr, closed := staleBackend(t, 0)
				dialed := make(chan net.Conn, 8)
				u := newTestUpstream(t, Config{Targets: targets(addr), Retries: -1,
					StreamResponseBody: stream,
					DialTimeout: func(a string, d time.Duration) (net.Conn, error) {
						c, err := net.DialTimeout("tcp", a, d)
						if err == nil {
							dialed <- c
						}
						return c, err
					}})
				req, resp := get("/"), fasthttp.AcquireResponse()
				defer fasthttp.ReleaseRequest(req)
				defer fasthttp.ReleaseResponse(resp)
				req.Header.SetMethod(tt.method)
				for i := range 3 {
					if _, err := u.Do(req, resp, 0, 2*time.Second); err != nil {
						t.Fatalf("request %d: Do = %v, want nil", i, err)
					}
					// The upstream has closed the connection that is now
					// idle in the pool; the next request finds it stale.
					select {
					case <-closed:
					case <-time.After(ioTimeout):
						t.Fatal("backend did not close the connection")
					}
					if canPeek {
						// Let the FIN arrive before the next request.
						waitReadable(t, <-dialed)
					}
				}
			})
		}
	}
}

// modeName names a subtest run with or without StreamResponseBody.
func modeName(stream bool) string {
	if stream {
		return "/streaming"
	}
	return "/buffered"
}

func TestDoStaleKeepAliveAllIdle(t *testing.T) {
	// Three idle connections, all closed by the upstream (as after an
	// upstream restart): the retry must not pick another stale one.
	const n = 3
	addr, closed := staleBackend(t, n)
	u := newTestUpstream(t, Config{Targets: targets(addr), Retries: -1})
	errs := make(chan error, n)
	for range n {
		go func() {
			req, resp := get("/"), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			_, err := u.Do(req, resp, 0, 2*time.Second)
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("filling the pool: Do = %v", err)
		}
		<-closed
	}

	req, resp := get("/"), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	if _, err := u.Do(req, resp, 0, 2*time.Second); err != nil {
		t.Fatalf("Do with %d stale idle connections = %v, want nil", n, err)
	}
}

func TestDoClosedAfterWrite(t *testing.T) {
	// The upstream takes the second request on a connection and closes
	// without answering: only an idempotent request may be sent again.
	tests := []struct {
		name    string
		method  string
		wantErr error
	}{
		{name: "GET is retried", method: "GET"},
		{name: "PUT is retried", method: "PUT"},
		{name: "POST is not", method: "POST", wantErr: ErrClosed},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(tt.name+modeName(stream), func(t *testing.T) {
				addr, dropped := dropSecondBackend(t)
				u := newTestUpstream(t, Config{Targets: targets(addr), Retries: -1,
					StreamResponseBody: stream})
				req, resp := get("/"), fasthttp.AcquireResponse()
				defer fasthttp.ReleaseRequest(req)
				defer fasthttp.ReleaseResponse(resp)
				if _, err := u.Do(req, resp, 0, 2*time.Second); err != nil {
					t.Fatalf("first request: Do = %v", err)
				}
				req.Header.SetMethod(tt.method)
				if _, err := u.Do(req, resp, 0, 2*time.Second); err != tt.wantErr {
					t.Fatalf("second request: Do = %v, want %v", err, tt.wantErr)
				}
				if got := <-dropped; got != tt.method {
					t.Errorf("upstream dropped a %s, want %s", got, tt.method)
				}
				select {
				case got := <-dropped:
					t.Errorf("upstream dropped a second request (%s): a retry reused a "+
						"connection", got)
				default:
				}
			})
		}
	}
}

func TestDoPoolCap(t *testing.T) {
	tests := []struct {
		name    string
		queue   time.Duration
		timeout time.Duration // of the queued request; 0 means ioTimeout
		wantErr error
	}{
		{name: "no queue fails at once", queue: 0, wantErr: ErrPoolFull},
		{name: "queue waits for the connection", queue: 3 * time.Second},
		{name: "queue times out", queue: 50 * time.Millisecond, wantErr: ErrPoolFull},
		{name: "request deadline inside the queue", queue: 3 * time.Second,
			timeout: 50 * time.Millisecond, wantErr: ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entered := make(chan struct{}, 2)
			release := make(chan struct{})
			addr := startBackend(t, func(ctx *fasthttp.RequestCtx) {
				if string(ctx.Path()) == "/block" {
					entered <- struct{}{}
					<-release
				}
			})
			u := newTestUpstream(t, Config{Targets: targets(addr), MaxConnsPerTarget: 1,
				QueueTimeout: tt.queue, Retries: -1})

			// Occupy the only connection.
			first := make(chan error, 1)
			go func() {
				req, resp := get("/block"), fasthttp.AcquireResponse()
				defer fasthttp.ReleaseRequest(req)
				defer fasthttp.ReleaseResponse(resp)
				_, err := u.Do(req, resp, 0, ioTimeout)
				first <- err
			}()
			<-entered

			second := make(chan error, 1)
			go func() {
				req, resp := get("/free"), fasthttp.AcquireResponse()
				defer fasthttp.ReleaseRequest(req)
				defer fasthttp.ReleaseResponse(resp)
				timeout := tt.timeout
				if timeout == 0 {
					timeout = ioTimeout
				}
				_, err := u.Do(req, resp, 0, timeout)
				second <- err
			}()
			if tt.wantErr != nil {
				if err := <-second; err != tt.wantErr {
					t.Errorf("second Do = %v, want %v", err, tt.wantErr)
				}
				close(release)
			} else {
				close(release)
				if err := <-second; err != nil {
					t.Errorf("queued Do = %v, want nil", err)
				}
			}
			if err := <-first; err != nil {
				t.Errorf("first Do = %v, want nil", err)
			}
			if n := u.Status()[0].Conns; n > 1 {
				t.Errorf("open connections = %d, want at most 1", n)
			}
		})
	}
}

// TestDoTriesEjectedTargetAsLastResort: a target was ejected, recovered,
// and then the only target still in rotation died. Requests must reach
// the recovered target instead of failing with 502 until its ejection
// runs out, and a success there ends the ejection.
func TestDoTriesEjectedTargetAsLastResort(t *testing.T) {
	recovered := okBackend(t)
	dead := deadAddr(t)
	u := newTestUpstream(t, Config{Targets: targets(dead, recovered), Retries: 1})
	var rec *Target
	for _, tg := range u.Targets() {
		if tg.Addr() == recovered {
			rec = tg
		}
	}
	u.eject(rec) // as if it had failed earlier
	if rec.available() {
		t.Fatal("target not ejected")
	}
	req, resp := get("/r"), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	tg, err := u.Do(req, resp, 0, time.Second)
	if err != nil || tg.Addr() != recovered {
		t.Fatalf("Do = %v on %v, want success on the ejected, healthy target", err, tg)
	}
	if !rec.available() {
		t.Error("a success on the last-resort target did not end its ejection")
	}
}
