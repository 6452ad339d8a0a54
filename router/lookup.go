package router

import "sort"

// Status is the outcome of a Lookup.
type Status uint8

// The outcomes of a Lookup. The zero value is NotFound.
const (
	// NotFound means no route matches the host and path (404).
	NotFound Status = iota
	// Found means a route matches host, method and path.
	Found
	// MethodNotAllowed means some route matches the host and path but
	// none accepts the method (405); see AppendAllow.
	MethodNotAllowed
)

// String returns the status name, for tests and logs.
func (s Status) String() string {
	switch s {
	case NotFound:
		return "NotFound"
	case Found:
		return "Found"
	case MethodNotAllowed:
		return "MethodNotAllowed"
	}
	return "Status(?)"
}

// maxHost is the longest host Lookup compares against host routes; a
// longer one is not a valid DNS name and only reaches host-less routes.
const maxHost = 255

// Lookup finds the route for a request. host is the Host header without
// its port, in any case; method is the request method; path is the
// normalized path (see Normalize) without the query string. On Found it
// returns the route's Value and fills ps with the captured parameters,
// whose values point into path. ps may be nil when the caller needs no
// parameters; otherwise it is emptied first. Otherwise Lookup returns the
// zero T with NotFound or MethodNotAllowed, and ps holds nothing useful.
//
// Lookup does not allocate and is safe to call concurrently.
func (t *Tree[T]) Lookup(host, method, path []byte, ps *Params) (T, Status) {
	if ps != nil {
		ps.n = 0
	}
	e, matched := t.match(host, path, t.methodKey(method), ps, nil)
	if e < 0 {
		var zero T
		if matched {
			return zero, MethodNotAllowed
		}
		return zero, NotFound
	}

	en := &t.entries[e]
	if ps != nil {
		ps.n = copy(ps.keys[:], en.names)
	}
	return en.value, Found
}

// AppendAllow appends to dst the methods that routes matching host and
// path accept, in the form of an Allow header value ("GET, HEAD, POST"),
// sorted by name, and returns the extended slice. HEAD is listed wherever
// GET is. A route that accepts every method contributes the common
// methods (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS) and every method
// some route names. When nothing matches, dst is returned unchanged.
// AppendAllow does not allocate when dst has room.
func (t *Tree[T]) AppendAllow(dst, host, path []byte) []byte {
	var mask uint64
	t.match(host, path, methodKey{idx: -1, alt: -1}, nil, &mask)
	if mask&(1<<methodGet) != 0 {
		mask |= 1 << methodHead
	}

	first := true
	for _, i := range t.sorted {
		if mask&(1<<i) == 0 {
			continue
		}
		if !first {
			dst = append(dst, ", "...)
		}
		dst = append(dst, t.methods[i]...)
		first = false
	}
	return dst
}

// match tries the host's candidate trees in precedence order: exact host,
// wildcards from the longest, host-less routes. It returns the entry that
// matched, or -1 and whether some route matched the path but not the
// method. With allow set it visits every match, ORs their methods into
// *allow and returns -1.
//
// TODO: a host's routes cannot be made exclusive; a request for a path
// its exact or wildcard routes lack falls through to host-less routes, so
// an operator who wants strict virtual hosts must not add host-less ones.
func (t *Tree[T]) match(host, path []byte, mk methodKey, ps *Params,
	allow *uint64) (int32, bool) {
	matched := false
	if len(t.exact) > 0 || len(t.wild) > 0 {
		e, m := t.matchHost(host, path, mk, ps, allow)
		if e >= 0 {
			return e, true
		}
		matched = m
	}

	if t.any != nil {
		e, m := t.search(t.any, path, mk, ps, allow)
		if e >= 0 {
			return e, true
		}
		matched = matched || m
	}
	return -1, matched
}

// matchHost is match for the routes that name hosts.
func (t *Tree[T]) matchHost(host, path []byte, mk methodKey, ps *Params,
	allow *uint64) (int32, bool) {
	if len(host) > 0 && host[len(host)-1] == '.' {
		host = host[:len(host)-1]
	}
	var buf [maxHost]byte
	h, ok := lowerHost(&buf, host)
	if !ok {
		return -1, false
	}

	matched := false
	if n := t.exact[string(h)]; n != nil {
		e, m := t.search(n, path, mk, ps, allow)
		if e >= 0 {
			return e, true
		}
		matched = m
	}

	// A dot at i starts the suffix a wildcard "*<suffix>" would name; the
	// leftmost dot gives the longest suffix.
	for i := 1; i < len(h) && len(t.wild) > 0; i++ {
		if h[i] != '.' {
			continue
		}
		if n := t.wild[string(h[i:])]; n != nil {
			e, m := t.search(n, path, mk, ps, allow)
			if e >= 0 {
				return e, true
			}
			matched = matched || m
		}
	}
	return -1, matched
}

// lowerHost returns host in lower case, copied into buf only when it has
// upper-case letters. It reports false for a host too long for buf.
func lowerHost(buf *[maxHost]byte, host []byte) ([]byte, bool) {
	if len(host) > maxHost {
		return nil, false
	}
	for i, c := range host {
		if 'A' <= c && c <= 'Z' {
			n := copy(buf[:], host)
			for j := i; j < n; j++ {
				if c := buf[j]; 'A' <= c && c <= 'Z' {
					buf[j] = c + 'a' - 'A'
				}
			}
			return buf[:n], true
		}
	}
	return host, true
}

// methodKey is a request method resolved against Tree.methods: its index,
// or -1 for a method no route names, and the index a leaf may fall back
// to (GET for HEAD), or -1.
type methodKey struct {
	idx, alt int
}

// methodKey resolves a request method.
func (t *Tree[T]) methodKey(method []byte) methodKey {
	mk := methodKey{idx: -1, alt: -1}
	for i, m := range t.methods {
		if string(method) == m {
			mk.idx = i
			break
		}
	}
	if mk.idx == methodHead {
		mk.alt = methodGet
	}
	return mk
}

// methodIndexString returns the index of method m, or -1.
func (t *Tree[T]) methodIndexString(m string) int {
	for i, x := range t.methods {
		if x == m {
			return i
		}
	}
	return -1
}

// sortMethods fills t.sorted.
func (t *Tree[T]) sortMethods() {
	t.sorted = make([]uint8, len(t.methods))
	for i := range t.sorted {
		t.sorted[i] = uint8(i)
	}
	sort.Slice(t.sorted, func(a, b int) bool {
		return t.methods[t.sorted[a]] < t.methods[t.sorted[b]]
	})
}
