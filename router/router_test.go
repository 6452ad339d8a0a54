package router

import (
	"strings"
	"testing"
)

// testRoutes covers every dimension Lookup matches on: static, param and
// catch-all precedence with backtracking, methods with implicit and
// explicit HEAD, and exact, wildcard and host-less routes.
var testRoutes = []Route[string]{
	{Name: "root", Pattern: "/"},
	{Name: "users", Methods: []string{"GET"}, Pattern: "/users"},
	{Name: "user-create", Methods: []string{"POST"}, Pattern: "/users"},
	{Name: "users-slash", Methods: []string{"GET"}, Pattern: "/users/"},
	{Name: "user", Methods: []string{"GET", "PUT"}, Pattern: "/users/:id"},
	{Name: "user-new", Methods: []string{"GET"}, Pattern: "/users/new"},
	{Name: "user-posts", Methods: []string{"GET"}, Pattern: "/users/:id/posts"},
	{Name: "user-posts-head", Methods: []string{"HEAD"}, Pattern: "/users/:uid/posts"},
	{Name: "user-post", Methods: []string{"GET"}, Pattern: "/users/:uid/posts/:pid"},
	{Name: "static", Methods: []string{"GET"}, Pattern: "/static/*path"},
	{Name: "static-index", Methods: []string{"GET"}, Pattern: "/static/index.html"},
	{Name: "abc", Pattern: "/a/b/c"},
	{Name: "axd", Pattern: "/a/:x/d"},
	{Name: "a-rest", Pattern: "/a/*rest"},
	{Name: "purge", Methods: []string{"PURGE"}, Pattern: "/cache/:key"},
	{Name: "space", Pattern: "/a%20b"},
	{Name: "api-user", Hosts: []string{"api.example.com"}, Methods: []string{"GET"},
		Pattern: "/users/:id"},
	{Name: "api-only", Hosts: []string{"API.example.com", "[::1]"}, Pattern: "/only"},
	{Name: "wild-user", Hosts: []string{"*.example.com"}, Methods: []string{"GET"},
		Pattern: "/users/:id"},
	{Name: "eu-user", Hosts: []string{"*.eu.example.com"}, Methods: []string{"GET"},
		Pattern: "/users/:id"},
	{Name: "eu-post", Hosts: []string{"*.eu.example.com"}, Methods: []string{"POST"},
		Pattern: "/posts"},
}

// newTestTree builds testRoutes with each route's name as its value.
func newTestTree(t testing.TB) *Tree[string] {
	t.Helper()
	rs := append([]Route[string](nil), testRoutes...)
	for i := range rs {
		rs[i].Value = rs[i].Name
	}
	tr, err := New(rs)
	if err != nil {
		t.Fatalf("New(testRoutes) = %v", err)
	}
	return tr
}

// fmtParams renders ps as "k=v k=v" for comparison.
func fmtParams(ps *Params) string {
	var b strings.Builder
	for i := 0; i < ps.Len(); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(ps.Key(i) + "=" + string(ps.Value(i)))
	}
	return b.String()
}

func TestLookup(t *testing.T) {
	tr := newTestTree(t)
	tests := []struct {
		name   string
		host   string
		method string
		path   string
		want   string // route name, empty unless Found
		status Status
		params string
	}{
		{"root", "", "GET", "/", "root", Found, ""},
		{"static route", "", "GET", "/users", "users", Found, ""},
		{"same path other method", "", "POST", "/users", "user-create", Found, ""},
		{"method not allowed", "", "DELETE", "/users", "", MethodNotAllowed, ""},
		{"trailing slash is its own route", "", "GET", "/users/", "users-slash", Found, ""},
		{"param", "", "GET", "/users/42", "user", Found, "id=42"},
		{"param second method", "", "PUT", "/users/42", "user", Found, "id=42"},
		{"implicit head", "", "HEAD", "/users/42", "user", Found, "id=42"},
		{"param 405", "", "DELETE", "/users/42", "", MethodNotAllowed, ""},
		{"static beats param", "", "GET", "/users/new", "user-new", Found, ""},
		{"method backtracks to param", "", "PUT", "/users/new", "user", Found, "id=new"},
		{"nested param", "", "GET", "/users/42/posts", "user-posts", Found, "id=42"},
		{"explicit head wins", "", "HEAD", "/users/42/posts", "user-posts-head", Found,
			"uid=42"},
		{"two params", "", "GET", "/users/42/posts/7", "user-post", Found, "uid=42 pid=7"},
		{"trailing slash unknown", "", "GET", "/users/42/posts/", "", NotFound, ""},
		{"empty param does not match", "", "GET", "/users//posts", "", NotFound, ""},
		{"catch-all", "", "GET", "/static/css/a.css", "static", Found, "path=css/a.css"},
		{"static beats catch-all", "", "GET", "/static/index.html", "static-index", Found, ""},
		{"catch-all prefix of static", "", "GET", "/static/index.htm", "static", Found,
			"path=index.htm"},
		{"empty catch-all", "", "GET", "/static/", "static", Found, "path="},
		{"catch-all needs slash", "", "GET", "/static", "", NotFound, ""},
		{"static dead end", "", "GET", "/a/b/c", "abc", Found, ""},
		{"backtrack to param", "", "GET", "/a/b/d", "axd", Found, "x=b"},
		{"backtrack to catch-all", "", "GET", "/a/b/e", "a-rest", Found, "rest=b/e"},
		{"catch-all after param fails", "", "GET", "/a/q/d/e", "a-rest", Found,
			"rest=q/d/e"},
		{"any method", "", "OPTIONS", "/a/b/c", "abc", Found, ""},
		{"custom method", "", "PURGE", "/cache/k1", "purge", Found, "key=k1"},
		{"custom method 405", "", "GET", "/cache/k1", "", MethodNotAllowed, ""},
		{"unknown method 405", "", "BREW", "/users", "", MethodNotAllowed, ""},
		{"escaped static", "", "GET", "/a%20b", "space", Found, ""},
		{"not found", "", "GET", "/nope", "", NotFound, ""},
		{"prefix of route", "", "GET", "/use", "", NotFound, ""},
		{"empty path", "", "GET", "", "", NotFound, ""},
		{"exact host", "api.example.com", "GET", "/users/1", "api-user", Found, "id=1"},
		{"host case and dot", "API.Example.COM.", "GET", "/users/1", "api-user", Found,
			"id=1"},
		{"host falls through on method", "api.example.com", "PUT", "/users/1", "user",
			Found, "id=1"},
		{"host falls through on path", "api.example.com", "GET", "/users", "users",
			Found, ""},
		{"host-only route", "api.example.com", "GET", "/only", "api-only", Found, ""},
		{"ipv6 host", "[::1]", "GET", "/only", "api-only", Found, ""},
		{"host-only route other host", "www.example.com", "GET", "/only", "", NotFound, ""},
		{"wildcard", "www.example.com", "GET", "/users/1", "wild-user", Found, "id=1"},
		{"wildcard any depth", "a.b.example.com", "GET", "/users/1", "wild-user", Found,
			"id=1"},
		{"longest wildcard", "x.eu.example.com", "GET", "/users/1", "eu-user", Found,
			"id=1"},
		{"longest wildcard deep", "a.x.eu.example.com", "GET", "/users/1", "eu-user",
			Found, "id=1"},
		{"wildcard needs subdomain", "eu.example.com", "GET", "/users/1", "wild-user",
			Found, "id=1"},
		{"wildcard not apex", "example.com", "GET", "/users/1", "user", Found, "id=1"},
		{"wildcard suffix only at dot", "xexample.com", "GET", "/users/1", "user", Found,
			"id=1"},
		{"wildcard 405 then none", "x.eu.example.com", "GET", "/posts", "",
			MethodNotAllowed, ""},
		{"host too long", strings.Repeat("a", 300) + ".example.com", "GET", "/users/1",
			"user", Found, "id=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps Params
			got, st := tr.Lookup([]byte(tt.host), []byte(tt.method), []byte(tt.path), &ps)
			if got != tt.want || st != tt.status {
				t.Fatalf("Lookup(%q, %s, %q) = %q, %v, want %q, %v",
					tt.host, tt.method, tt.path, got, st, tt.want, tt.status)
			}
			if st != Found {
				return
			}
			if p := fmtParams(&ps); p != tt.params {
				t.Errorf("Lookup(%q, %s, %q) params = %q, want %q",
					tt.host, tt.method, tt.path, p, tt.params)
			}
			if _, st := tr.Lookup([]byte(tt.host), []byte(tt.method), []byte(tt.path),
				nil); st != Found {
				t.Errorf("Lookup with nil Params = %v, want Found", st)
			}
		})
	}
}

func TestAppendAllow(t *testing.T) {
	tr := newTestTree(t)
	tests := []struct {
		name string
		host string
		path string
		want string
	}{
		{"get and post", "", "/users", "GET, HEAD, POST"},
		{"two methods", "", "/users/42", "GET, HEAD, PUT"},
		{"union over branches", "", "/users/new", "GET, HEAD, PUT"},
		{"explicit head", "", "/users/1/posts", "GET, HEAD"},
		{"custom", "", "/cache/x", "PURGE"},
		{"any method lists common and custom", "", "/a/b/c",
			"DELETE, GET, HEAD, OPTIONS, PATCH, POST, PURGE, PUT"},
		{"union over hosts", "x.eu.example.com", "/users/1", "GET, HEAD, PUT"},
		{"wildcard only", "x.eu.example.com", "/posts", "POST"},
		{"no match", "", "/nope", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tr.AppendAllow([]byte("Allow: "), []byte(tt.host), []byte(tt.path))
			if string(got) != "Allow: "+tt.want {
				t.Errorf("AppendAllow(%q, %q) = %q, want %q", tt.host, tt.path, got,
					"Allow: "+tt.want)
			}
		})
	}
}

func TestZeroTree(t *testing.T) {
	var tr Tree[int]
	var ps Params
	if v, st := tr.Lookup([]byte("h"), []byte("GET"), []byte("/"), &ps); v != 0 ||
		st != NotFound {
		t.Errorf("zero Tree Lookup = %d, %v, want 0, NotFound", v, st)
	}
	if got := tr.AppendAllow(nil, nil, []byte("/")); len(got) != 0 {
		t.Errorf("zero Tree AppendAllow = %q, want empty", got)
	}
}

func TestStatusString(t *testing.T) {
	tests := []struct {
		name string
		s    Status
		want string
	}{
		{"found", Found, "Found"},
		{"not found", NotFound, "NotFound"},
		{"405", MethodNotAllowed, "MethodNotAllowed"},
		{"unknown", Status(9), "Status(?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.String(); got != tt.want {
				t.Errorf("Status(%d).String() = %q, want %q", tt.s, got, tt.want)
			}
		})
	}
}

func TestLookupConcurrent(t *testing.T) {
	tr := newTestTree(t)
	paths := []struct{ path, want string }{
		{"/users/1", "user"}, {"/a/b/d", "axd"}, {"/static/x", "static"}, {"/", "root"},
	}
	done := make(chan string, 4)
	for g := 0; g < 4; g++ {
		go func() {
			var ps Params
			for i := 0; i < 2000; i++ {
				p := paths[(g+i)%len(paths)]
				if got, _ := tr.Lookup(nil, []byte("GET"), []byte(p.path), &ps); got != p.want {
					done <- "Lookup(" + p.path + ") = " + got + ", want " + p.want
					return
				}
			}
			done <- ""
		}()
	}
	for g := 0; g < 4; g++ {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}
