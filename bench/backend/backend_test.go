package backend_test

import (
	"bytes"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/portico-gw/portico/bench/backend"
	"github.com/valyala/fasthttp"
)

// startBackend serves the backend on a loopback port until the test ends.
func startBackend(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := backend.NewServer()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-done
	})
	return ln.Addr().String()
}

func TestHandler(t *testing.T) {
	addr := startBackend(t)
	c := &fasthttp.HostClient{Addr: addr, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second}
	tests := []struct {
		name     string
		method   string
		path     string
		body     []byte
		wantBody []byte
	}{
		{name: "small", method: "GET", path: "/1k", wantBody: nil},
		{name: "large", method: "GET", path: "/64k", wantBody: nil},
		{name: "echo size", method: "POST", path: "/echo-size",
			body: bytes.Repeat([]byte("x"), 16<<10), wantBody: []byte(strconv.Itoa(16 << 10))},
		{name: "echo size empty", method: "POST", path: "/echo-size", wantBody: []byte("0")},
		{name: "other path", method: "GET", path: "/anything/else", wantBody: nil},
		// One connection so far: the client keeps it alive for all rows.
		{name: "accepted", method: "GET", path: "/_bench/accepted", wantBody: []byte("1")},
	}
	wantLen := map[string]int{"/1k": backend.SmallBytes, "/64k": backend.LargeBytes,
		"/anything/else": backend.SmallBytes}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.Header.SetMethod(tt.method)
			req.SetRequestURI("http://" + addr + tt.path)
			req.SetBody(tt.body)
			if err := c.DoTimeout(req, resp, 2*time.Second); err != nil {
				t.Fatalf("Do(%s %s) error: %v", tt.method, tt.path, err)
			}
			if resp.StatusCode() != 200 {
				t.Fatalf("Do(%s %s) status = %d, want 200", tt.method, tt.path, resp.StatusCode())
			}
			got := resp.Body()
			if tt.wantBody != nil && !bytes.Equal(got, tt.wantBody) {
				t.Errorf("Do(%s %s) body = %q, want %q", tt.method, tt.path, got, tt.wantBody)
			}
			if n, ok := wantLen[tt.path]; ok && len(got) != n {
				t.Errorf("Do(%s %s) body length = %d, want %d", tt.method, tt.path, len(got), n)
			}
		})
	}
}
