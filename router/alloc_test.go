//go:build !race

package router

import "testing"

func TestLookupAllocs(t *testing.T) {
	tr := newTestTree(t)
	tests := []struct {
		name   string
		host   string
		method string
		path   string
		status Status
	}{
		{"static", "", "GET", "/users", Found},
		{"param", "", "GET", "/users/42/posts/7", Found},
		{"catch-all", "", "GET", "/static/css/site.css", Found},
		{"backtrack", "", "GET", "/a/b/d", Found},
		{"wildcard host upper case", "X.EU.Example.com", "GET", "/users/1", Found},
		{"miss", "www.example.com", "GET", "/nope/x", NotFound},
		{"405", "", "DELETE", "/users/42", MethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, method, path := []byte(tt.host), []byte(tt.method), []byte(tt.path)
			var ps Params
			allocs := testing.AllocsPerRun(100, func() {
				if _, st := tr.Lookup(host, method, path, &ps); st != tt.status {
					t.Fatalf("Lookup(%q) = %v, want %v", tt.path, st, tt.status)
				}
			})
			if allocs != 0 {
				t.Errorf("Lookup(%q) allocs = %v, want 0", tt.path, allocs)
			}

			dst := make([]byte, 0, 128)
			allocs = testing.AllocsPerRun(100, func() {
				dst = tr.AppendAllow(dst[:0], host, path)
			})
			if allocs != 0 {
				t.Errorf("AppendAllow(%q) allocs = %v, want 0", tt.path, allocs)
			}
		})
	}
}

func TestNormalizeAllocs(t *testing.T) {
	tests := []struct {
		name string
		path string
	}{
		{"clean", "/v1/users/42"},
		{"dots and slashes", "//a/./b/../c/"},
		{"escapes", "/%7euser/a%2fb/%2e%2e/x"},
		{"error", "/a%zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := []byte(tt.path)
			dst := make([]byte, 0, 128)
			allocs := testing.AllocsPerRun(100, func() {
				dst, _ = Normalize(dst[:0], path)
			})
			if allocs != 0 {
				t.Errorf("Normalize(%q) allocs = %v, want 0", tt.path, allocs)
			}
		})
	}
}

func TestExpandAllocs(t *testing.T) {
	tr := newTestTree(t)
	var ps Params
	tr.Lookup(nil, []byte("GET"), []byte("/users/42/posts/7"), &ps)
	dst := make([]byte, 0, 128)
	allocs := testing.AllocsPerRun(100, func() {
		dst = Expand(dst[:0], "/v2/:uid/p/:pid", &ps)
	})
	if allocs != 0 {
		t.Errorf("Expand allocs = %v, want 0", allocs)
	}
}
