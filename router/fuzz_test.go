package router

import (
	"bytes"
	"strconv"
	"testing"
)

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"/", "/a/b", "/admin/../public", "/public/..%2fadmin",
		"/public/%2e%2e/admin", "//a///b", "/a/./b/", "/%41", "/%zz", "/a/.%2E/..",
		"/a%00", "/../..//./", "a", "", "/%2E%2e%2f..", "/.../..../", "/a/b/c/../../.."} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, path []byte) {
		out, err := Normalize(nil, path)
		if err != nil {
			return
		}
		if len(out) == 0 || out[0] != '/' {
			t.Fatalf("Normalize(%q) = %q, does not start with /", path, out)
		}
		if len(out) > len(path) {
			t.Fatalf("Normalize(%q) = %q, longer than its input", path, out)
		}
		for _, bad := range []string{"/../", "/./", "//"} {
			if bytes.Contains(out, []byte(bad)) {
				t.Fatalf("Normalize(%q) = %q, contains %q", path, out, bad)
			}
		}
		if bytes.HasSuffix(out, []byte("/..")) || bytes.HasSuffix(out, []byte("/.")) {
			t.Fatalf("Normalize(%q) = %q, ends in a dot segment", path, out)
		}
		again, err := Normalize(nil, out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("Normalize(%q) = %q, not idempotent: %q, %v", path, out, again, err)
		}
		in := append([]byte(nil), path...)
		if inPlace, _ := Normalize(in[:0], in); !bytes.Equal(inPlace, out) {
			t.Fatalf("Normalize(%q) in place = %q, want %q", path, inPlace, out)
		}
	})
}

// expandPattern returns a path that p matches, and the value each of its
// parameters should capture from it.
func expandPattern(p pattern) (string, []string) {
	var path string
	var vals []string
	for i, pt := range p.parts {
		switch pt.kind {
		case partStatic:
			path += pt.text
			continue
		case partParam:
			vals = append(vals, "v"+strconv.Itoa(i))
		case partCatchAll:
			vals = append(vals, "c"+strconv.Itoa(i)+"/x")
		}
		path += vals[len(vals)-1]
	}
	return path, vals
}

func FuzzPattern(f *testing.F) {
	for _, s := range [][2]string{{"/", "/:x"}, {"/users/:id", "/users/new"},
		{"/a/b/c", "/a/:x/d"}, {"/static/*path", "/static/"}, {"/a/:x", "/a/:y"},
		{"/a/:", "/a//b"}, {"/a/*p/b", "/a/b:c"}, {"/%41", "/a%2F"}, {"/*x", "/:x/*y"},
		{"/a/:x/:x", "/x/"}, {manyParams(16), manyParams(17)}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		tr, err := New([]Route[int]{{Name: "a", Pattern: a, Value: 1}})
		if (err == nil) != (ValidatePattern(a) == nil) {
			t.Fatalf("New(%q) = %v but ValidatePattern disagrees", a, err)
		}
		if err != nil {
			return
		}

		// The pattern must match a path built from it, capturing each value.
		p, _ := parsePattern(a)
		path, vals := expandPattern(p)
		var ps Params
		if v, st := tr.Lookup(nil, []byte("GET"), []byte(path), &ps); v != 1 ||
			st != Found {
			t.Fatalf("New(%q).Lookup(%q) = %d, %v, want 1, Found", a, path, v, st)
		}
		for i, want := range vals {
			if got := string(ps.Value(i)); got != want || ps.Key(i) != p.names[i] {
				t.Fatalf("pattern %q param %d = %s=%q, want %s=%q", a, i, ps.Key(i), got,
					p.names[i], want)
			}
		}

		// With a second route the tree stays well formed, and the path
		// still finds a route, though maybe a more specific one.
		tr2, err := New([]Route[int]{{Name: "a", Pattern: a, Value: 1},
			{Name: "b", Pattern: b, Value: 2}})
		if err != nil {
			return
		}
		checkTree(t, tr2)
		if _, st := tr2.Lookup(nil, []byte("GET"), []byte(path), &ps); st != Found {
			t.Fatalf("New(%q, %q).Lookup(%q) = %v, want Found", a, b, path, st)
		}
	})
}
