package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startBackend serves a backend called name on a loopback port and
// returns its base URL. Cleanup shuts it down and checks serve's result.
func startBackend(t *testing.T, name string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, name) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve = %v, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not return after cancel")
		}
	})
	return "http://" + ln.Addr().String()
}

// client is the HTTP client of every test; its timeout bounds each call.
var client = &http.Client{Timeout: 10 * time.Second}

// get sends a GET with the given extra headers and returns the response
// and its body.
func get(t *testing.T, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if h, ok := header["Host"]; ok {
		req.Host = h
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp, body
}

func TestEcho(t *testing.T) {
	base := startBackend(t, "users")
	tests := []struct {
		name       string
		path       string
		header     map[string]string
		wantStatus int
		want       echo
		wantHeader map[string]string
	}{
		{
			name: "echo",
			path: "/users/7?x=1&y=2",
			header: map[string]string{
				"Host":            "api.localhost",
				"X-Forwarded-For": "203.0.113.9",
			},
			wantStatus: http.StatusOK,
			want: echo{Backend: "users", Method: "GET", Path: "/users/7", Query: "x=1&y=2",
				Host: "api.localhost", Proto: "HTTP/1.1"},
			wantHeader: map[string]string{"X-Forwarded-For": "203.0.113.9"},
		},
		{
			name:       "raw path is kept",
			path:       "/a/../b%2Fc",
			wantStatus: http.StatusOK,
			want: echo{Backend: "users", Method: "GET", Path: "/a/../b%2Fc",
				Proto: "HTTP/1.1"},
		},
		{
			name:       "status",
			path:       "/status/418",
			wantStatus: http.StatusTeapot,
			want: echo{Backend: "users", Status: 418, Method: "GET", Path: "/status/418",
				Proto: "HTTP/1.1"},
		},
		{
			name:       "slow",
			path:       "/slow?ms=5",
			wantStatus: http.StatusOK,
			want: echo{Backend: "users", Method: "GET", Path: "/slow", Query: "ms=5",
				Proto: "HTTP/1.1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, base+tt.path, tt.header)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET %s status = %d, want %d", tt.path, resp.StatusCode, tt.wantStatus)
			}
			if got := resp.Header.Get("X-Backend"); got != "users" {
				t.Errorf("X-Backend = %q, want %q", got, "users")
			}

			var got echo
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("GET %s: bad JSON %q: %v", tt.path, body, err)
			}
			for k, v := range tt.wantHeader {
				if got.Headers[k] != v {
					t.Errorf("headers[%q] = %q, want %q", k, got.Headers[k], v)
				}
			}
			if !strings.HasPrefix(got.RemoteAddr, "127.0.0.1:") {
				t.Errorf("remote_addr = %q, want 127.0.0.1:port", got.RemoteAddr)
			}
			if tt.want.Host == "" {
				tt.want.Host = strings.TrimPrefix(base, "http://")
			}
			if !equalEcho(got, tt.want) {
				t.Errorf("GET %s = %+v, want %+v", tt.path, got, tt.want)
			}
		})
	}
}

// equalEcho compares two documents without their headers.
func equalEcho(a, b echo) bool {
	a.Headers, b.Headers = nil, nil
	return a.Backend == b.Backend && a.Status == b.Status && a.Method == b.Method &&
		a.Path == b.Path && a.Query == b.Query && a.Host == b.Host &&
		a.Proto == b.Proto && a.BodyBytes == b.BodyBytes
}

func TestSpecialPaths(t *testing.T) {
	base := startBackend(t, "orders")
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantBody   string // exact body, or "" to skip
		wantLen    int    // body length, or -1 to skip
	}{
		{name: "healthz", path: "/healthz", wantStatus: 200,
			wantBody: `{"status":"ok"}` + "\n", wantLen: -1},
		{name: "bytes", path: "/bytes/100000", wantStatus: 200, wantLen: 100000},
		{name: "zero bytes", path: "/bytes/0", wantStatus: 200, wantLen: 0},
		{name: "bad bytes", path: "/bytes/-1", wantStatus: 400, wantLen: -1},
		{name: "bad status", path: "/status/99", wantStatus: 400, wantLen: -1},
		{name: "status not a number", path: "/status/abc", wantStatus: 400, wantLen: -1},
		{name: "bad slow", path: "/slow?ms=x", wantStatus: 400, wantLen: -1},
		{name: "server error", path: "/status/503", wantStatus: 503, wantLen: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, base+tt.path, nil)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("GET %s status = %d, want %d", tt.path, resp.StatusCode, tt.wantStatus)
			}
			if tt.wantBody != "" && string(body) != tt.wantBody {
				t.Errorf("GET %s body = %q, want %q", tt.path, body, tt.wantBody)
			}
			if tt.wantLen >= 0 && len(body) != tt.wantLen {
				t.Errorf("GET %s body has %d bytes, want %d", tt.path, len(body), tt.wantLen)
			}
			if tt.wantLen > 0 && !strings.HasPrefix(string(body), fillText[:10]) {
				t.Errorf("GET %s body starts %q, want %q", tt.path, body[:10], fillText[:10])
			}
		})
	}
}

func TestParseCapped(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{name: "empty", in: "", want: 0},
		{name: "plain", in: "250", want: 250},
		{name: "at cap", in: "1000", want: 1000},
		{name: "over cap", in: "5000", want: 1000},
		{name: "overflow", in: "99999999999999999999", want: 1000},
		{name: "negative", in: "-1", wantErr: true},
		{name: "not a number", in: "1k", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCapped(tt.in, 1000)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseCapped(%q, 1000) = %d, %v; want %d, error %v",
					tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestFiller(t *testing.T) {
	for _, n := range []int64{0, 1, 63, 64, 65, 100000} {
		got, err := io.ReadAll(&filler{left: n})
		if err != nil || int64(len(got)) != n {
			t.Errorf("filler{%d} read %d bytes, %v; want %d", n, len(got), err, n)
			continue
		}
		want := strings.Repeat(fillText, int(n)/len(fillText)+1)[:n]
		if string(got) != want {
			t.Errorf("filler{%d} content differs from repeated fillText", n)
		}
	}
}

func TestPostBody(t *testing.T) {
	base := startBackend(t, "users")
	resp, err := client.Post(base+"/orders", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	var got echo
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatalf("POST: bad JSON: %v", err)
	}
	if got.Method != "POST" || got.BodyBytes != 5 || got.Headers["Content-Type"] != "text/plain" {
		t.Errorf("POST /orders = method %q, body_bytes %d, content type %q; "+
			"want POST, 5, text/plain", got.Method, got.BodyBytes, got.Headers["Content-Type"])
	}
}
