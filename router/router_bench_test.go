package router

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// Word lists for benchRoutes; the product is larger than any size used.
var (
	benchServices = []string{"users", "orders", "billing", "catalog", "search",
		"inventory", "shipping", "payments", "accounts", "reports"}
	benchResources = []string{"items", "events", "notes", "tags", "files",
		"members", "invoices", "tokens", "rules", "jobs"}
)

// benchRoutes returns n distinct routes shaped like a versioned REST API:
// collections, items by id, sub-collections and sub-items, each with the
// methods such an API would have.
func benchRoutes(n int) []Route[int] {
	shapes := []struct {
		suffix  string
		methods []string
	}{
		{"", []string{"GET", "POST"}},
		{"/:id", []string{"GET", "PUT", "DELETE"}},
		{"/:id/history", []string{"GET"}},
		{"/:id/history/:rev", []string{"GET", "PATCH"}},
	}
	var rs []Route[int]
	for v := 1; ; v++ {
		for _, res := range benchResources {
			for _, svc := range benchServices {
				for _, sh := range shapes {
					if len(rs) == n {
						return rs
					}
					p := "/v" + strconv.Itoa(v) + "/" + svc + "/" + res + sh.suffix
					rs = append(rs, Route[int]{Name: p, Methods: sh.methods, Pattern: p,
						Value: len(rs)})
				}
			}
		}
	}
}

// benchPaths returns one request path per route, with parameters filled.
func benchPaths(rs []Route[int]) [][]byte {
	ps := make([][]byte, len(rs))
	for i, r := range rs {
		p := strings.Replace(r.Pattern, ":id", "8f3a21c0", 1)
		ps[i] = []byte(strings.Replace(p, ":rev", "17", 1))
	}
	return ps
}

// linearRoute is one route of the baseline matcher, split into segments.
type linearRoute struct {
	segs    []string // a segment starting with ':' is a parameter
	methods []string
	value   int
}

// linearMatcher is the baseline: it tries every route in order and
// compares the path segment by segment, as a router without a tree would.
// It does not allocate either, so the benchmark compares search cost only.
type linearMatcher struct {
	routes []linearRoute
}

// newLinear builds the baseline from routes that use only parameters.
func newLinear(rs []Route[int]) *linearMatcher {
	m := &linearMatcher{}
	for _, r := range rs {
		m.routes = append(m.routes, linearRoute{
			segs: strings.Split(r.Pattern[1:], "/"), methods: r.Methods, value: r.Value,
		})
	}
	return m
}

// lookup returns the value of the first route matching method and path.
func (m *linearMatcher) lookup(method, path []byte, ps *Params) (int, bool) {
	for i := range m.routes {
		r := &m.routes[i]
		if !r.accepts(method) {
			continue
		}
		if r.match(path, ps) {
			return r.value, true
		}
	}
	return 0, false
}

// accepts reports whether r accepts method.
func (r *linearRoute) accepts(method []byte) bool {
	for _, m := range r.methods {
		if string(method) == m {
			return true
		}
	}
	return false
}

// match reports whether path matches r, capturing parameters into ps.
func (r *linearRoute) match(path []byte, ps *Params) bool {
	ps.n = 0
	rest := path[1:]
	for i, s := range r.segs {
		end := bytes.IndexByte(rest, '/')
		if end < 0 {
			end = len(rest)
		}
		seg := rest[:end]
		switch {
		case s[0] == ':' && len(seg) > 0:
			ps.keys[ps.n], ps.vals[ps.n] = s[1:], seg
			ps.n++
		case string(seg) != s:
			return false
		}
		if i == len(r.segs)-1 {
			return end == len(rest)
		}
		if end == len(rest) {
			return false
		}
		rest = rest[end+1:]
	}
	return false
}

func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		rs := benchRoutes(n)
		paths := benchPaths(rs)
		tr, err := New(rs)
		if err != nil {
			b.Fatal(err)
		}
		lin := newLinear(rs)
		host, get := []byte("api.example.com"), []byte("GET")

		b.Run("routes="+strconv.Itoa(n)+"/tree", func(b *testing.B) {
			b.ReportAllocs()
			var ps Params
			i := 0
			for b.Loop() {
				if _, st := tr.Lookup(host, get, paths[i], &ps); st != Found {
					b.Fatalf("Lookup(%s) = %v", paths[i], st)
				}
				if i++; i == len(paths) {
					i = 0
				}
			}
		})
		b.Run("routes="+strconv.Itoa(n)+"/linear", func(b *testing.B) {
			b.ReportAllocs()
			var ps Params
			i := 0
			for b.Loop() {
				if _, ok := lin.lookup(get, paths[i], &ps); !ok {
					b.Fatalf("linear lookup(%s) failed", paths[i])
				}
				if i++; i == len(paths) {
					i = 0
				}
			}
		})
	}
}

func BenchmarkLookupMiss(b *testing.B) {
	tr, err := New(benchRoutes(1000))
	if err != nil {
		b.Fatal(err)
	}
	host, get, path := []byte("api.example.com"), []byte("GET"), []byte("/v1/users/nope/x")
	b.ReportAllocs()
	var ps Params
	for b.Loop() {
		tr.Lookup(host, get, path, &ps)
	}
}

func BenchmarkLookupParallel(b *testing.B) {
	rs := benchRoutes(1000)
	paths := benchPaths(rs)
	tr, err := New(rs)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var ps Params
		i := 0
		for pb.Next() {
			tr.Lookup(nil, []byte("GET"), paths[i%len(paths)], &ps)
			i++
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	tests := []struct {
		name string
		path string
	}{
		{"clean", "/v1/users/items/8f3a21c0/history/17"},
		{"dirty", "/v1//users/./items/%7Euser/../8f3a21c0/history/%2e%2e/17%2f"},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			p := []byte(tt.path)
			dst := make([]byte, 0, 256)
			for b.Loop() {
				var err error
				if dst, err = Normalize(dst[:0], p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkExpand(b *testing.B) {
	tr, err := New([]Route[int]{{Pattern: "/users/:id/*rest"}})
	if err != nil {
		b.Fatal(err)
	}
	var ps Params
	tr.Lookup(nil, []byte("GET"), []byte("/users/42/a/b"), &ps)
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst = Expand(dst[:0], "/v1/accounts/:id/*rest", &ps)
	}
}
