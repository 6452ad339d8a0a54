package router

import (
	"strconv"
	"strings"
	"testing"
)

// checkTree walks every host tree of tr and reports each broken
// structural invariant that Lookup relies on.
func checkTree[T any](t *testing.T, tr *Tree[T]) {
	t.Helper()
	seen := make([]int, len(tr.leaves))
	roots := map[string]*node{"(any)": tr.any}
	for h, n := range tr.exact {
		roots[h] = n
	}
	for h, n := range tr.wild {
		roots["*"+h] = n
	}
	for h, n := range roots {
		if n == nil {
			continue
		}
		if n.prefix != "" || n.param != nil || n.catchAll != nil {
			t.Errorf("host %s: root has prefix %q or a param child", h, n.prefix)
		}
		checkNode(t, tr, h, n, "", 0, 0, seen)
	}
	for l, c := range seen {
		if c != 1 {
			t.Errorf("leaf %d is referenced by %d nodes, want 1", l, c)
		}
	}
	for i, l := range tr.leaves {
		checkLeaf(t, tr, i, l)
	}
}

// checkNode checks n, reached along path with np parameters above it and
// depth search frames needed above it, and then its children.
func checkNode[T any](t *testing.T, tr *Tree[T], host string, n *node, path string,
	np, depth int, seen []int) {
	t.Helper()
	at := "host " + host + " node " + strconv.Quote(path)
	if n.param != nil || n.catchAll != nil {
		depth++
	}
	if depth > maxFrames {
		t.Errorf("%s: depth %d exceeds %d", at, depth, maxFrames)
	}
	if len(n.indices) != len(n.children) {
		t.Fatalf("%s: %d indices for %d children", at, len(n.indices), len(n.children))
	}
	if n.leaf >= 0 {
		seen[n.leaf]++
		for _, e := range leafEntries(tr.leaves[n.leaf]) {
			if got := len(tr.entries[e].names); got != np {
				t.Errorf("%s: route %s has %d names, path has %d params", at,
					tr.entries[e].route, got, np)
			}
		}
	}

	// Params and catch-alls start segments, and a param ends one.
	if (n.param != nil || n.catchAll != nil) && !strings.HasSuffix(path, "/") {
		t.Errorf("%s: param or catch-all child not after a slash", at)
	}
	if n.catchAll != nil {
		c := n.catchAll
		if c.prefix != "" || c.leaf < 0 || len(c.children) > 0 || c.param != nil ||
			c.catchAll != nil {
			t.Errorf("%s: catch-all must be a bare leaf", at)
		}
		if c.leaf >= 0 {
			seen[c.leaf]++
		}
	}
	if n.param != nil {
		p := n.param
		if p.prefix != "" || p.param != nil || p.catchAll != nil {
			t.Errorf("%s: param node has a prefix or a param child", at)
		}
		checkNode(t, tr, host, p, path+":", np+1, depth, seen)
	}

	// Radix shape: distinct first bytes, no empty prefixes, and no node
	// that only passes through to a single child.
	for i, c := range n.children {
		if c.prefix == "" || c.prefix[0] != n.indices[i] {
			t.Errorf("%s: child %d prefix %q does not start with index %q", at, i,
				c.prefix, n.indices[i])
			continue
		}
		if strings.IndexByte(string(n.indices[:i]), n.indices[i]) >= 0 {
			t.Errorf("%s: index %q repeats", at, n.indices[i])
		}
		if c.leaf < 0 && c.param == nil && c.catchAll == nil && len(c.children) < 2 {
			t.Errorf("%s: child %q has nothing to branch on", at, c.prefix)
		}
		if strings.HasSuffix(path, ":") && i == 0 && c.prefix[0] != '/' {
			t.Errorf("%s: child of a param does not start with '/'", at)
		}
		checkNode(t, tr, host, c, path+c.prefix, np, depth, seen)
	}
}

// checkLeaf checks that leaf i holds at least one route and that its mask
// agrees with its entries.
func checkLeaf[T any](t *testing.T, tr *Tree[T], i int, l leaf) {
	t.Helper()
	if len(leafEntries(l)) == 0 {
		t.Errorf("leaf %d holds no route", i)
	}
	var mask uint64
	for m, e := range l.by {
		if e >= 0 {
			mask |= 1 << m
		}
	}
	if l.any >= 0 {
		if mask != 0 {
			t.Errorf("leaf %d has an any-method route and method routes", i)
		}
		mask = 1<<len(tr.methods) - 1
	}
	if mask != l.mask {
		t.Errorf("leaf %d mask = %b, want %b", i, l.mask, mask)
	}
}

// leafEntries lists the entries a leaf holds.
func leafEntries(l leaf) []int32 {
	var es []int32
	if l.any >= 0 {
		es = append(es, l.any)
	}
	for _, e := range l.by {
		if e >= 0 {
			es = append(es, e)
		}
	}
	return es
}

func TestTreeInvariants(t *testing.T) {
	tests := []struct {
		name   string
		routes []Route[int]
	}{
		{"test routes", func() []Route[int] {
			var rs []Route[int]
			for _, x := range testRoutes {
				rs = append(rs, Route[int]{Name: x.Name, Hosts: x.Hosts, Methods: x.Methods,
					Pattern: x.Pattern})
			}
			return rs
		}()},
		{"splits", []Route[int]{r("a", "/abcd", nil), r("b", "/ab", nil), r("c", "/abx", nil),
			r("d", "/a", nil), r("e", "/abcd/:x", nil), r("f", "/abcd/:x/y", nil),
			r("g", "/abcd/:x/*z", nil)}},
		{"api", benchRoutes(300)},
		{"hosts", []Route[int]{r("a", "/x/:y", nil, "a.test", "*.b.test"),
			r("b", "/x/:y/z", get, "a.test"), r("c", "/x/*y", nil, "*.b.test")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := New(tt.routes)
			if err != nil {
				t.Fatalf("New = %v", err)
			}
			checkTree(t, tr)
		})
	}
}
