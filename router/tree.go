package router

import "strings"

// Route describes one route to add. Value is what Lookup returns.
type Route[T any] struct {
	// Name identifies the route in errors. Names need not be unique, but
	// errors are easier to read when they are.
	Name string
	// Hosts lists the hosts the route serves: exact names such as
	// "api.example.com", or wildcards such as "*.example.com", which match
	// subdomains of any depth, or bracketed IPv6 literals such as
	// "[::1]". Case does not matter, and a host must not carry a port.
	// Empty means any host.
	Hosts []string
	// Methods lists the methods the route accepts, as upper-case tokens.
	// Empty means any method. GET implies HEAD.
	Methods []string
	// Pattern is the path pattern, such as "/users/:id/posts",
	// "/static/*path" or "/"; see the package documentation.
	Pattern string
	// Value is returned by Lookup when the route matches.
	Value T
}

// Tree matches requests against a fixed set of routes. It is built by
// New and is safe for concurrent use; it is never modified afterwards.
// The zero value has no routes and matches nothing.
type Tree[T any] struct {
	exact map[string]*node // by lower-case host
	wild  map[string]*node // by wildcard suffix with its dot, ".example.com"
	any   *node            // routes without hosts

	leaves  []leaf
	entries []entry[T]

	// methods maps a method index to its name: the common methods first
	// (see commonMethods), then others in the order routes name them.
	methods []string
	// sorted lists method indices in name order, for AppendAllow.
	sorted []uint8
}

// leaf holds the routes that share one pattern shape on one host, by
// method. Each field is an index into Tree.entries, or -1.
type leaf struct {
	any  int32   // the route that accepts every method
	by   []int32 // per method index
	mask uint64  // bit i set when method i is accepted
}

// entry is one added route.
type entry[T any] struct {
	value   T
	names   []string // parameter names, in pattern order
	route   string
	pattern string
}

// commonMethods get the first method indices, so that the usual methods
// are found by a short scan and an any-method route can list them.
var commonMethods = [...]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// Fixed method indices and table sizes.
const (
	methodGet  = 0
	methodHead = 1
	maxMethods = 64 // bits in leaf.mask
	maxFrames  = 32 // frames in a search; see search
)

// spec is a route after checking: its parsed pattern, lower-case hosts
// and method indices.
type spec struct {
	pat     pattern
	hosts   []string
	methods []int
}

// New builds a Tree from routes. It returns a *PatternError for a bad
// pattern, a *FieldError for a bad host or method, and a *ConflictError
// when two routes would match the same host, method and path (the same
// shape of pattern, whatever the parameters are called). It reports only
// the first problem, in route order, so a conflict names the later route.
// The Tree keeps the Values but not the slice.
func New[T any](routes []Route[T]) (*Tree[T], error) {
	t := &Tree[T]{
		exact:   make(map[string]*node),
		wild:    make(map[string]*node),
		methods: append([]string(nil), commonMethods[:]...),
	}

	// Check every route first, so the method set is known before leaves
	// are sized.
	specs := make([]spec, len(routes))
	for i := range routes {
		s, err := t.check(&routes[i])
		if err != nil {
			return nil, err
		}
		specs[i] = s
	}

	for i := range routes {
		if err := t.add(&routes[i], specs[i]); err != nil {
			return nil, err
		}
	}

	if err := t.checkDepth(); err != nil {
		return nil, err
	}
	t.sortMethods()
	return t, nil
}

// check validates r and turns it into a spec, adding new methods to
// t.methods.
func (t *Tree[T]) check(r *Route[T]) (spec, error) {
	var s spec
	pat, err := parsePattern(r.Pattern)
	if err != nil {
		err.(*PatternError).Route = r.Name
		return s, err
	}
	s.pat = pat

	for _, h := range r.Hosts {
		lh := strings.ToLower(h)
		if msg := checkHost(lh); msg != "" {
			return s, &FieldError{Route: r.Name, Field: "hosts", Value: h, Msg: msg}
		}
		s.hosts = append(s.hosts, lh)
	}

	for _, m := range r.Methods {
		if msg := checkMethod(m); msg != "" {
			return s, &FieldError{Route: r.Name, Field: "methods", Value: m, Msg: msg}
		}
		i := t.methodIndexString(m)
		if i < 0 {
			if len(t.methods) == maxMethods {
				return s, &FieldError{Route: r.Name, Field: "methods", Value: m,
					Msg: "more than 64 distinct methods"}
			}
			i = len(t.methods)
			t.methods = append(t.methods, m)
		}
		s.methods = append(s.methods, i)
	}
	return s, nil
}

// add inserts a checked route under each of its hosts.
func (t *Tree[T]) add(r *Route[T], s spec) error {
	e := int32(len(t.entries))
	t.entries = append(t.entries, entry[T]{
		value: r.Value, names: s.pat.names, route: r.Name, pattern: r.Pattern,
	})

	hosts := s.hosts
	if len(hosts) == 0 {
		hosts = []string{""}
	}
	for _, h := range hosts {
		n := insert(t.root(h), s.pat)
		if n.leaf < 0 {
			n.leaf = int32(len(t.leaves))
			t.leaves = append(t.leaves, t.newLeaf())
		}
		if err := t.claim(&t.leaves[n.leaf], e, h, s.methods); err != nil {
			return err
		}
	}
	return nil
}

// root returns the tree root for a lower-case host key ("" for any
// host), creating it if needed.
func (t *Tree[T]) root(h string) *node {
	var m map[string]*node
	switch {
	case h == "":
		if t.any == nil {
			t.any = newNode("")
		}
		return t.any
	case strings.HasPrefix(h, "*."):
		m, h = t.wild, h[1:]
	default:
		m = t.exact
	}
	n := m[h]
	if n == nil {
		n = newNode("")
		m[h] = n
	}
	return n
}

// newLeaf returns a leaf with no routes.
func (t *Tree[T]) newLeaf() leaf {
	l := leaf{any: -1, by: make([]int32, len(t.methods))}
	for i := range l.by {
		l.by[i] = -1
	}
	return l
}

// claim records entry e in l for the given methods (none meaning any),
// or reports the route that already holds one of them.
func (t *Tree[T]) claim(l *leaf, e int32, host string, methods []int) error {
	if len(methods) == 0 {
		if l.any >= 0 {
			return t.conflict(e, l.any, host, "")
		}
		for m, o := range l.by {
			if o >= 0 {
				return t.conflict(e, o, host, t.methods[m])
			}
		}
		l.any, l.mask = e, 1<<len(t.methods)-1
		return nil
	}

	for _, m := range methods {
		if l.any >= 0 {
			return t.conflict(e, l.any, host, t.methods[m])
		}
		if l.by[m] >= 0 {
			return t.conflict(e, l.by[m], host, t.methods[m])
		}
		l.by[m] = e
		l.mask |= 1 << m
	}
	return nil
}

// conflict builds the error for entry e colliding with entry o.
func (t *Tree[T]) conflict(e, o int32, host, method string) error {
	return &ConflictError{
		Route: t.entries[e].route, Other: t.entries[o].route,
		Host: host, Method: method,
		Pattern: t.entries[e].pattern, OtherPattern: t.entries[o].pattern,
	}
}

// checkDepth fails when a root-to-leaf path has more nodes with a param
// or catch-all child than a search has frames for. Only a path with over
// 32 segments that each have a parameter alternative gets there.
func (t *Tree[T]) checkDepth() error {
	roots := []*node{t.any}
	for _, n := range t.exact {
		roots = append(roots, n)
	}
	for _, n := range t.wild {
		roots = append(roots, n)
	}
	for _, n := range roots {
		if n == nil {
			continue
		}
		if d, l := n.depth(); d > maxFrames {
			e := t.firstEntry(l)
			return &PatternError{Route: e.route, Pattern: e.pattern,
				Msg: "route tree is too deep: more than 32 segments along this path " +
					"have a parameter or catch-all alternative"}
		}
	}
	return nil
}

// firstEntry returns some entry of leaf l.
func (t *Tree[T]) firstEntry(l int32) *entry[T] {
	lf := &t.leaves[l]
	if lf.any >= 0 {
		return &t.entries[lf.any]
	}
	for _, e := range lf.by {
		if e >= 0 {
			return &t.entries[e]
		}
	}
	panic("BUG: router leaf without routes")
}

// checkHost returns what is wrong with a lower-case host, or "".
func checkHost(h string) string {
	name := strings.TrimPrefix(h, "*.")
	switch {
	case name == "" || h == "*":
		return "is empty; leave hosts out to match any host"
	case len(name) > 253:
		return "is longer than 253 bytes"
	case name[0] == '[':
		if name[len(name)-1] != ']' || len(h) != len(name) {
			return "is not a bracketed IPv6 address"
		}
		for i := 1; i < len(name)-1; i++ {
			if unhex(name[i]) < 0 && name[i] != ':' && name[i] != '.' {
				return "is not a bracketed IPv6 address"
			}
		}
		return ""
	case strings.IndexByte(name, ':') >= 0:
		return "has a port; the router matches hosts without their port"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return "has a byte not allowed in a host name"
		}
	}
	if name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, "..") {
		return "has an empty label"
	}
	return ""
}

// checkMethod returns what is wrong with a method name, or "". Methods
// are tokens (RFC 9110 §9.1) and case-sensitive; this router takes only
// upper-case ones, because a lower-case method is nearly always a typo.
func checkMethod(m string) string {
	if m == "" {
		return "is empty"
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if 'a' <= c && c <= 'z' {
			return "is not upper case"
		}
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return "is not a token"
		}
	}
	return ""
}
