package config

import (
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/portico-gw/portico/router"
)

// validateRoutes checks every [routes.NAME] table and then builds a
// router from all of them, so that conflicts fail the load. The router
// is only built when the routes are otherwise sound, which keeps its
// first-error-only report from hiding or repeating problems.
func (f *File) validateRoutes(p *problems) {
	names := f.routesInFileOrder()
	before := len(p.errs)
	for _, name := range names {
		f.validateRoute(p, name, f.Routes[name])
	}
	if len(p.errs) > before {
		return
	}

	routes := make([]router.Route[string], 0, len(names))
	for _, name := range names {
		r := f.Routes[name]
		routes = append(routes, router.Route[string]{
			Name: name, Hosts: r.Hosts, Methods: r.Methods, Pattern: r.Path, Value: name,
		})
	}
	if _, err := router.New(routes); err != nil {
		f.routerProblems(p, err)
	}
}

// routesInFileOrder returns the route names in the order they are
// written, so that a conflict is reported at the later of the two routes.
func (f *File) routesInFileOrder() []string {
	names := sortedKeys(f.Routes)
	line := func(name string) int { return f.index.line(joinKey("routes", name)) }
	if f.index != nil {
		slices.SortStableFunc(names, func(a, b string) int { return line(a) - line(b) })
	}
	return names
}

// validateRoute checks one route on its own.
func (f *File) validateRoute(p *problems, name string, r Route) {
	key := joinKey("routes", name)
	patternOK := false
	if r.Path == "" {
		p.add(key+".path", "is required")
	} else if err := router.ValidatePattern(r.Path); err != nil {
		p.add(key+".path", "bad pattern %q: %s", r.Path, routerMsg(err))
	} else {
		patternOK = true
	}

	for i, h := range r.Hosts {
		if msg := hostProblem(h, true); msg != "" {
			p.add(key+".hosts["+strconv.Itoa(i)+"]", "%q: %s", h, msg)
		}
	}
	for i, m := range r.Methods {
		mk := key + ".methods[" + strconv.Itoa(i) + "]"
		switch {
		case !isToken(m):
			p.add(mk, "%q is not a valid method", m)
		case strings.ToUpper(m) != m:
			p.add(mk, "%q must be upper case (methods are case-sensitive)", m)
		}
	}

	f.checkTarget(p, key, r)
	if r.StripPrefix != "" && r.Rewrite != "" {
		p.add(key+".rewrite", "cannot be combined with strip_prefix")
	}
	if r.StripPrefix != "" && patternOK {
		if msg := stripPrefixProblem(r.StripPrefix, r.Path); msg != "" {
			p.add(key+".strip_prefix", "%q: %s", r.StripPrefix, msg)
		}
	}
	if r.Rewrite != "" && patternOK {
		if err := router.ValidateRewrite(r.Rewrite, r.Path); err != nil {
			p.add(key+".rewrite", "bad template %q: %s", r.Rewrite, routerMsg(err))
		}
	}
	if r.Timeout < 0 {
		p.add(key+".timeout", "must not be negative")
	}
}

// checkTarget checks where the route sends requests: exactly one of an
// existing upstream and a respond table, and what depends on that choice.
func (f *File) checkTarget(p *problems, key string, r Route) {
	switch {
	case r.Upstream != "" && r.Respond != nil:
		p.add(key+".respond", "set either upstream or respond, not both")
	case r.Upstream == "" && r.Respond == nil:
		p.add(key, "needs an upstream or a respond table")
	case r.Upstream != "":
		if _, ok := f.Upstreams[r.Upstream]; !ok {
			p.add(key+".upstream", "unknown upstream %q", r.Upstream)
		}
	}

	if rs := r.Respond; rs != nil {
		checkRange(p, key+".respond.status", int64(rs.Status), 100, 599)
		for _, name := range sortedKeys(rs.Headers) {
			hk := key + ".respond.headers." + toml1(name)
			if !isToken(name) {
				p.add(hk, "%q is not a valid header name", name)
			}
			if strings.ContainsAny(rs.Headers[name], "\r\n\x00") {
				p.add(hk, "value must not contain CR, LF or NUL")
			}
		}
	}

	if r.WebSocket {
		switch {
		case r.Upstream == "":
			p.add(key+".websocket", "needs an upstream")
		case f.Server.Transport != "standard":
			p.add(key+".websocket",
				`needs server.transport = "standard" (transport %q cannot hand over connections)`,
				f.Server.Transport)
		}
	}
}

// routerProblems turns the error of router.New into problems at the
// routes it names.
func (f *File) routerProblems(p *problems, err error) {
	for _, e := range leafErrors(err) {
		var (
			ce *router.ConflictError
			pe *router.PatternError
			fe *router.FieldError
		)
		switch {
		case errors.As(e, &ce):
			other := joinKey("routes", ce.Other)
			p.add(joinKey("routes", ce.Route)+".path",
				"%q conflicts with %s (line %d, %q) on host %s, method %s",
				ce.Pattern, other, f.index.line(other), ce.OtherPattern,
				orAny(ce.Host), orAny(ce.Method))
		case errors.As(e, &pe):
			p.add(joinKey("routes", pe.Route)+".path", "bad pattern %q: %s", pe.Pattern, pe.Msg)
		case errors.As(e, &fe):
			p.add(joinKey("routes", fe.Route)+"."+fe.Field, "%q: %s", fe.Value, fe.Msg)
		default:
			p.add("routes", "%s", e.Error())
		}
	}
}

// leafErrors flattens errors.Join trees into their members.
func leafErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leafErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// routerMsg returns the message of a router error without the route and
// pattern the caller already names.
func routerMsg(err error) string {
	var pe *router.PatternError
	if errors.As(err, &pe) {
		return pe.Msg
	}
	return err.Error()
}

// orAny renders an empty host or method as "(any)".
func orAny(s string) string {
	if s == "" {
		return "(any)"
	}
	return s
}

// toml1 renders one key part the way TOML and the index spell it.
func toml1(part string) string { return joinKey("", part) }

// stripPrefixProblem returns what is wrong with a strip_prefix for the
// pattern, or "".
func stripPrefixProblem(prefix, pattern string) string {
	switch {
	case !strings.HasPrefix(prefix, "/"):
		return `must start with "/"`
	case !strings.HasPrefix(pattern, prefix):
		return "is not a prefix of path " + strconv.Quote(pattern)
	case strings.ContainsAny(prefix, ":*"):
		return "must be literal, without :param or *catch-all"
	case len(prefix) < len(pattern) && !strings.HasSuffix(prefix, "/") &&
		pattern[len(prefix)] != '/':
		return "must end at a segment boundary of path " + strconv.Quote(pattern)
	}
	return ""
}

// hostProblem returns what is wrong with a host name, or "". A wildcard
// "*.example.com" is allowed when wildcard is true. IP literals, IPv6 in
// brackets, are accepted; ports are not.
func hostProblem(h string, wildcard bool) string {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		if a, err := netip.ParseAddr(h[1 : len(h)-1]); err == nil && a.Is6() {
			return ""
		}
		return "bad IPv6 literal"
	}
	if _, err := netip.ParseAddr(h); err == nil && !strings.Contains(h, ":") {
		return ""
	}
	if rest, ok := strings.CutPrefix(h, "*."); ok && wildcard {
		h = rest
	}
	if h == "" || len(h) > 253 {
		return "length must be 1..253"
	}
	for label := range strings.SplitSeq(h, ".") {
		if msg := labelProblem(label); msg != "" {
			return msg
		}
	}
	return ""
}

// labelProblem returns what is wrong with one DNS label, or "".
func labelProblem(l string) string {
	if l == "" || len(l) > 63 {
		return "each label must be 1..63 characters"
	}
	if l[0] == '-' || l[len(l)-1] == '-' {
		return "a label must not start or end with '-'"
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_') {
			if c == '*' {
				return `'*' is only allowed as the first label ("*.example.com")`
			}
			if c == ':' {
				return "must not include a port"
			}
			return "invalid character " + strconv.QuoteRune(rune(c))
		}
	}
	return ""
}

// isToken reports whether s is an RFC 9110 §5.6.2 token, the syntax of
// methods and header names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
