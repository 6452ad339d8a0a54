package router

import "strings"

// partKind tells the parts of a parsed pattern apart.
type partKind uint8

const (
	partStatic   partKind = iota // literal bytes, slashes included
	partParam                    // ":name", one segment
	partCatchAll                 // "*name", the rest of the path
)

// part is one piece of a parsed pattern: literal text, or the name of a
// parameter or catch-all.
type part struct {
	kind partKind
	text string
}

// pattern is a pattern split into parts, with its parameter names in
// order. The parts alternate between static and the other two kinds, and
// every parameter or catch-all follows a static part that ends in '/'.
type pattern struct {
	parts []part
	names []string
}

// has reports whether the pattern captures a parameter called name.
func (p pattern) has(name string) bool {
	for _, n := range p.names {
		if n == name {
			return true
		}
	}
	return false
}

// ValidatePattern reports whether p is a pattern New accepts, returning
// a *PatternError (with an empty Route) when it is not. The rules are in
// the package documentation.
func ValidatePattern(p string) error {
	_, err := parsePattern(p)
	return err
}

// parsePattern checks s and splits it into parts.
func parsePattern(s string) (pattern, error) {
	bad := func(msg string) (pattern, error) {
		return pattern{}, &PatternError{Pattern: s, Msg: msg}
	}
	if s == "" || s[0] != '/' {
		return bad("must start with /")
	}

	var p pattern
	static := 0 // start of the static text not yet in p.parts
	for i := 1; i <= len(s); {
		j := i + strings.IndexByte(s[i:], '/')
		if j < i {
			j = len(s)
		}
		seg := s[i:j]
		if msg := checkSegment(seg, j == len(s)); msg != "" {
			return bad(msg)
		}

		if seg != "" && (seg[0] == ':' || seg[0] == '*') {
			name := seg[1:]
			if p.has(name) {
				return bad("parameter name " + name + " is used twice")
			}
			if len(p.names) == MaxParams {
				return bad("more than 16 parameters")
			}
			kind := partParam
			if seg[0] == '*' {
				kind = partCatchAll
			}
			p.parts = append(p.parts, part{partStatic, s[static:i]}, part{kind, name})
			p.names = append(p.names, name)
			static = j
		}
		i = j + 1
	}
	if static < len(s) {
		p.parts = append(p.parts, part{partStatic, s[static:]})
	}

	// Literal text must be in the form Normalize gives a request path, or
	// the route could never match.
	if n, err := Normalize(nil, []byte(s)); err != nil {
		return bad(err.Error()[len("router: "):])
	} else if string(n) != s {
		return bad("is not in normal form, write " + string(n))
	}
	return p, nil
}

// checkSegment returns what is wrong with one segment of a pattern, or
// the empty string. last reports whether seg ends the pattern.
func checkSegment(seg string, last bool) string {
	switch {
	case seg == "":
		if !last {
			return "has an empty segment"
		}
		return ""
	case seg == "." || seg == "..":
		return "has a dot segment"
	case seg[0] == ':' || seg[0] == '*':
		if seg[0] == '*' && !last {
			return "catch-all " + seg + " must be the last segment"
		}
		if !validName(seg[1:]) {
			return "bad parameter name in " + seg +
				" (want letters, digits or _, not starting with a digit)"
		}
		return ""
	case strings.ContainsAny(seg, ":*"):
		// TODO: a literal ':' or '*' inside a segment is rejected, so a
		// custom-method path such as "/v1/items:batchGet" needs a param or
		// catch-all route; operators see this as a load error.
		return "':' and '*' may only start a segment, found in " + seg
	}
	return ""
}

// validName reports whether s is a usable parameter name.
func validName(s string) bool {
	if s == "" || ('0' <= s[0] && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
