package router

import (
	"errors"
	"testing"
)

func TestExpand(t *testing.T) {
	tr, err := New([]Route[int]{
		{Pattern: "/users/:id/*rest"},
		{Pattern: "/files/:name"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		template string
		want     string
	}{
		{"param and rest", "/users/7/a/b", "/v1/accounts/:id/*rest", "/v1/accounts/7/a/b"},
		{"empty rest", "/users/7/", "/u/:id/*rest", "/u/7/"},
		{"reordered", "/users/7/x", "/*rest/:id", "/x/7"},
		{"no params", "/files/a", "/static", "/static"},
		{"unknown name", "/files/a", "/x/:nope/y", "/x//y"},
		{"colon inside segment", "/files/a", "/x/a:b/:name", "/x/a:b/a"},
		{"escaped value", "/files/a%2Fb", "/f/:name", "/f/a%2Fb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps Params
			if _, st := tr.Lookup(nil, []byte("GET"), []byte(tt.path), &ps); st != Found {
				t.Fatalf("Lookup(%q) = %v", tt.path, st)
			}
			if got := Expand([]byte(">"), tt.template, &ps); string(got) != ">"+tt.want {
				t.Errorf("Expand(%q) = %q, want %q", tt.template, got[1:], tt.want)
			}
		})
	}
}

func TestValidateRewrite(t *testing.T) {
	tests := []struct {
		name     string
		template string
		pattern  string
		ok       bool
	}{
		{"all names", "/v1/:id/*rest", "/users/:id/*rest", true},
		{"subset", "/v1/:id", "/users/:id/*rest", true},
		{"static", "/v1", "/users/:id", true},
		{"unknown name", "/v1/:uid", "/users/:id", false},
		{"relative", "v1/:id", "/users/:id", false},
		{"bad pattern", "/v1", "/users/:", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateRewrite(tt.template, tt.pattern)
			var pe *PatternError
			if tt.ok != (err == nil) || (err != nil && !errors.As(err, &pe)) {
				t.Errorf("ValidateRewrite(%q, %q) = %v, want ok=%v", tt.template,
					tt.pattern, err, tt.ok)
			}
		})
	}
}

func TestParams(t *testing.T) {
	tr, err := New([]Route[int]{{Pattern: "/a/:x/:y"}})
	if err != nil {
		t.Fatal(err)
	}
	var ps Params
	tr.Lookup(nil, []byte("GET"), []byte("/a/1/2"), &ps)
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"get x", string(ps.Get("x")), "1"},
		{"get y", string(ps.Get("y")), "2"},
		{"get missing", string(ps.Get("z")), ""},
		{"key 1", ps.Key(1), "y"},
		{"value 0", string(ps.Value(0)), "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}

	ps.Reset()
	if ps.Len() != 0 || ps.Get("x") != nil {
		t.Errorf("after Reset Len() = %d, Get(x) = %q, want empty", ps.Len(), ps.Get("x"))
	}
	if _, st := tr.Lookup(nil, []byte("GET"), []byte("/b"), &ps); st != NotFound ||
		ps.Len() != 0 {
		t.Errorf("miss Len() = %d, want 0", ps.Len())
	}
}
