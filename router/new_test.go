package router

import (
	"errors"
	"strings"
	"testing"
)

// r is shorthand for a route in the tables below.
func r(name, pattern string, methods []string, hosts ...string) Route[int] {
	return Route[int]{Name: name, Pattern: pattern, Methods: methods, Hosts: hosts}
}

var (
	get  = []string{"GET"}
	post = []string{"POST"}
)

func TestNewConflicts(t *testing.T) {
	tests := []struct {
		name   string
		routes []Route[int]
		want   *ConflictError // nil: New must succeed
	}{
		{"params with other names", []Route[int]{r("a", "/a/:x", get), r("b", "/a/:y", get)},
			&ConflictError{Route: "b", Other: "a", Method: "GET", Pattern: "/a/:y",
				OtherPattern: "/a/:x"}},
		{"params other methods", []Route[int]{r("a", "/a/:x", get), r("b", "/a/:y", post)},
			nil},
		{"static and param", []Route[int]{r("a", "/a/:x", get), r("b", "/a/b", get)}, nil},
		{"param and catch-all", []Route[int]{r("a", "/a/:x", nil), r("b", "/a/*x", nil)},
			nil},
		{"deep params", []Route[int]{r("a", "/a/:x/b/:y", nil), r("b", "/a/:p/b/:q", nil)},
			&ConflictError{Route: "b", Other: "a", Pattern: "/a/:p/b/:q",
				OtherPattern: "/a/:x/b/:y"}},
		{"catch-alls", []Route[int]{r("a", "/s/*a", nil), r("b", "/s/*b", nil)},
			&ConflictError{Route: "b", Other: "a", Pattern: "/s/*b", OtherPattern: "/s/*a"}},
		{"same static", []Route[int]{r("a", "/x", get), r("b", "/x", get)},
			&ConflictError{Route: "b", Other: "a", Method: "GET", Pattern: "/x",
				OtherPattern: "/x"}},
		{"trailing slash differs", []Route[int]{r("a", "/x", nil), r("b", "/x/", nil)}, nil},
		{"any then get", []Route[int]{r("a", "/x", nil), r("b", "/x", get)},
			&ConflictError{Route: "b", Other: "a", Method: "GET", Pattern: "/x",
				OtherPattern: "/x"}},
		{"get then any", []Route[int]{r("a", "/x", get), r("b", "/x", nil)},
			&ConflictError{Route: "b", Other: "a", Method: "GET", Pattern: "/x",
				OtherPattern: "/x"}},
		{"get and explicit head", []Route[int]{r("a", "/x", get),
			r("b", "/x", []string{"HEAD"})}, nil},
		{"method listed twice", []Route[int]{r("a", "/x", []string{"GET", "GET"})},
			&ConflictError{Route: "a", Other: "a", Method: "GET", Pattern: "/x",
				OtherPattern: "/x"}},
		{"host case", []Route[int]{r("a", "/x", nil, "API.example.com"),
			r("b", "/x", nil, "api.example.com")},
			&ConflictError{Route: "b", Other: "a", Host: "api.example.com", Pattern: "/x",
				OtherPattern: "/x"}},
		{"wildcard twice", []Route[int]{r("a", "/x", nil, "*.example.com"),
			r("b", "/x", nil, "*.Example.com")},
			&ConflictError{Route: "b", Other: "a", Host: "*.example.com", Pattern: "/x",
				OtherPattern: "/x"}},
		{"host listed twice", []Route[int]{r("a", "/x", nil, "h.test", "h.test")},
			&ConflictError{Route: "a", Other: "a", Host: "h.test", Pattern: "/x",
				OtherPattern: "/x"}},
		{"other hosts", []Route[int]{r("a", "/x", nil, "a.test"), r("b", "/x", nil, "b.test"),
			r("c", "/x", nil, "*.a.test"), r("d", "/x", nil)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.routes)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("New = %v, want success", err)
				}
				return
			}
			var ce *ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("New = %v, want *ConflictError", err)
			}
			if *ce != *tt.want {
				t.Errorf("New = %+v, want %+v", *ce, *tt.want)
			}
			if !strings.HasPrefix(err.Error(), "router: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestNewBadRoutes(t *testing.T) {
	tests := []struct {
		name  string
		route Route[int]
		field string // "pattern", "hosts" or "methods"
		msg   string // part of the message
	}{
		{"empty pattern", r("x", "", nil), "pattern", "start with /"},
		{"relative", r("x", "a/b", nil), "pattern", "start with /"},
		{"empty segment", r("x", "/a//b", nil), "pattern", "empty segment"},
		{"dot", r("x", "/a/./b", nil), "pattern", "dot segment"},
		{"dot dot", r("x", "/a/..", nil), "pattern", "dot segment"},
		{"no param name", r("x", "/a/:", nil), "pattern", "bad parameter name"},
		{"no catch-all name", r("x", "/a/*", nil), "pattern", "bad parameter name"},
		{"digit name", r("x", "/a/:1x", nil), "pattern", "bad parameter name"},
		{"dash name", r("x", "/a/:x-y", nil), "pattern", "bad parameter name"},
		{"param inside segment", r("x", "/a/b:c", nil), "pattern", "only start a segment"},
		{"star inside segment", r("x", "/a/b*", nil), "pattern", "only start a segment"},
		{"catch-all not last", r("x", "/a/*p/b", nil), "pattern", "last segment"},
		{"catch-all trailing slash", r("x", "/a/*p/", nil), "pattern", "last segment"},
		{"duplicate names", r("x", "/a/:x/:x", nil), "pattern", "used twice"},
		{"param and catch-all same name", r("x", "/a/:x/*x", nil), "pattern", "used twice"},
		{"too many params", r("x", manyParams(17), nil), "pattern",
			"more than 16"},
		{"bad escape", r("x", "/a%zz", nil), "pattern", "malformed percent escape"},
		{"escaped unreserved", r("x", "/%41", nil), "pattern", "write /A"},
		{"lower hex", r("x", "/a%2f", nil), "pattern", "write /a%2F"},
		{"control byte", r("x", "/a\x01", nil), "pattern", "control byte"},
		{"host port", r("x", "/", nil, "a.test:80"), "hosts", "port"},
		{"host star", r("x", "/", nil, "*"), "hosts", "empty"},
		{"host empty", r("x", "/", nil, ""), "hosts", "empty"},
		{"host empty label", r("x", "/", nil, "a..test"), "hosts", "empty label"},
		{"host inner star", r("x", "/", nil, "a.*.test"), "hosts", "not allowed"},
		{"host bad ipv6", r("x", "/", nil, "[::g]"), "hosts", "IPv6"},
		{"host slash", r("x", "/", nil, "a.test/x"), "hosts", "not allowed"},
		{"method lower", r("x", "/", []string{"get"}), "methods", "upper case"},
		{"method empty", r("x", "/", []string{""}), "methods", "empty"},
		{"method space", r("x", "/", []string{"GE T"}), "methods", "token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New([]Route[int]{r("ok", "/ok", nil), tt.route})
			if err == nil {
				t.Fatalf("New(%q) = nil, want an error", tt.route.Pattern)
			}
			var route, field string
			var pe *PatternError
			var fe *FieldError
			switch {
			case errors.As(err, &pe):
				route, field = pe.Route, "pattern"
			case errors.As(err, &fe):
				route, field = fe.Route, fe.Field
			}
			if field != tt.field || route != "x" || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("New = %v (%T), want a %s error for route x mentioning %q",
					err, err, tt.field, tt.msg)
			}
			if tt.field == "pattern" {
				if err := ValidatePattern(tt.route.Pattern); err == nil {
					t.Errorf("ValidatePattern(%q) = nil, want an error", tt.route.Pattern)
				}
			}
		})
	}
}

// manyParams returns a pattern with n parameters.
func manyParams(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("/:p")
		b.WriteByte(byte('a' + i))
	}
	return b.String()
}

func TestValidatePatternAccepts(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
	}{
		{"root", "/"},
		{"root catch-all", "/*all"},
		{"root param", "/:id"},
		{"trailing slash", "/a/:x/"},
		{"sixteen params", manyParams(16)},
		{"escape", "/a%2Fb"},
		{"underscore name", "/:_x9"},
		{"high bytes", "/caf\xc3\xa9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidatePattern(tt.pattern); err != nil {
				t.Errorf("ValidatePattern(%q) = %v, want nil", tt.pattern, err)
			}
		})
	}
}

func TestNewTooDeep(t *testing.T) {
	// Each route adds a parameter one segment further down "/s/s/...",
	// so each needs one more search frame than the one before.
	var rs []Route[int]
	p := ""
	for i := 0; i < maxFrames+2; i++ {
		p += "/s"
		rs = append(rs, r("deep", p+"/:x", nil))
	}
	_, err := New(rs)
	var pe *PatternError
	if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "too deep") {
		t.Fatalf("New(deep routes) = %v, want a too-deep *PatternError", err)
	}
	if _, err := New(rs[:maxFrames-1]); err != nil {
		t.Fatalf("New(shallower routes) = %v, want nil", err)
	}
}
