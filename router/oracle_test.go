package router

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// oracleMatch matches path against pattern the slow way, segment by
// segment. It returns the kind of each pattern segment it used (the
// partKind values), which orders matches by precedence, and the captured
// values.
func oracleMatch(pattern, path string) ([]int, []string, bool) {
	if path == "" || path[0] != '/' {
		return nil, nil, false
	}
	segs := strings.Split(pattern[1:], "/")
	rest := path[1:]
	var kinds []int
	var vals []string
	for i, s := range segs {
		if strings.HasPrefix(s, "*") {
			return append(kinds, int(partCatchAll)), append(vals, rest), true
		}
		seg, more := rest, false
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			seg, more = rest[:j], true
			rest = rest[j+1:]
		}
		switch {
		case strings.HasPrefix(s, ":") && seg != "":
			kinds, vals = append(kinds, int(partParam)), append(vals, seg)
		case seg == s:
			kinds = append(kinds, int(partStatic))
		default:
			return nil, nil, false
		}
		if i == len(segs)-1 {
			return kinds, vals, !more
		}
		if !more {
			return nil, nil, false
		}
	}
	return nil, nil, false
}

// oracleCandidate is a route that matched a path in the oracle.
type oracleCandidate struct {
	route Route[string]
	kinds []int
	vals  []string
}

// oracleLookup is Lookup written from the package documentation, without
// a tree: it returns the route name, status and "k=v" parameters.
func oracleLookup(routes []Route[string], host, method, path string) (string, Status,
	string) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	levels := []func(Route[string]) bool{
		func(r Route[string]) bool { return slices.Contains(lowerAll(r.Hosts), host) },
	}
	for i := 1; i < len(host); i++ {
		if host[i] == '.' {
			w := "*" + host[i:]
			levels = append(levels, func(r Route[string]) bool {
				return slices.Contains(lowerAll(r.Hosts), w)
			})
		}
	}
	levels = append(levels, func(r Route[string]) bool { return len(r.Hosts) == 0 })

	matched := false
	for _, inLevel := range levels {
		var cs []oracleCandidate
		for _, r := range routes {
			if kinds, vals, ok := oracleMatch(r.Pattern, path); ok && inLevel(r) {
				cs = append(cs, oracleCandidate{r, kinds, vals})
			}
		}
		matched = matched || len(cs) > 0
		slices.SortStableFunc(cs, func(a, b oracleCandidate) int {
			return slices.Compare(a.kinds, b.kinds)
		})
		for i := 0; i < len(cs); {
			j := i + 1
			for j < len(cs) && slices.Equal(cs[j].kinds, cs[i].kinds) {
				j++
			}
			if c, ok := oracleAccept(cs[i:j], method); ok {
				var ps []string
				for k, v := range c.vals {
					ps = append(ps, parseNames(c.route.Pattern)[k]+"="+v)
				}
				return c.route.Name, Found, strings.Join(ps, " ")
			}
			i = j
		}
	}
	if matched {
		return "", MethodNotAllowed, ""
	}
	return "", NotFound, ""
}

// oracleAccept picks the route of one pattern shape that takes method.
func oracleAccept(cs []oracleCandidate, method string) (oracleCandidate, bool) {
	for _, c := range cs {
		if len(c.route.Methods) == 0 || slices.Contains(c.route.Methods, method) {
			return c, true
		}
	}
	for _, c := range cs {
		if method == "HEAD" && slices.Contains(c.route.Methods, "GET") {
			return c, true
		}
	}
	return oracleCandidate{}, false
}

// parseNames returns the parameter names of a valid pattern.
func parseNames(pattern string) []string {
	p, _ := parsePattern(pattern)
	return p.names
}

// lowerAll returns hs in lower case.
func lowerAll(hs []string) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = strings.ToLower(h)
	}
	return out
}

// Hosts and methods for FuzzLookup to pick from.
var (
	fuzzHosts   = []string{"", "api.example.com", "x.eu.example.com", "a.b.example.com", "[::1]"}
	fuzzMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PURGE", "BREW"}
)

func FuzzLookup(f *testing.F) {
	for _, s := range []string{"/", "/users/new", "/a/b/d", "/a/q/d/e", "/static/",
		"/users/1/posts/2", "/cache/k", "/only", "/users//posts", "/a%20b"} {
		f.Add(uint8(0), uint8(0), s)
		f.Add(uint8(1), uint8(1), s)
	}
	tr := newTestTree(f)
	routes := append([]Route[string](nil), testRoutes...)
	for i := range routes {
		routes[i].Value = routes[i].Name
	}
	f.Fuzz(func(t *testing.T, hi, mi uint8, path string) {
		host := fuzzHosts[int(hi)%len(fuzzHosts)]
		method := fuzzMethods[int(mi)%len(fuzzMethods)]
		var ps Params
		got, st := tr.Lookup([]byte(host), []byte(method), []byte(path), &ps)
		want, wst, wps := oracleLookup(routes, host, method, path)
		if got != want || st != wst {
			t.Fatalf("Lookup(%q, %s, %q) = %q, %v, oracle says %q, %v", host, method, path,
				got, st, want, wst)
		}
		if st == Found && fmtParams(&ps) != wps {
			t.Fatalf("Lookup(%q, %s, %q) params = %q, oracle says %q", host, method, path,
				fmtParams(&ps), wps)
		}
		allow := string(tr.AppendAllow(nil, []byte(host), []byte(path)))
		if (st == NotFound) != (allow == "") {
			t.Fatalf("Lookup(%q, %q) = %v but AppendAllow = %q", host, path, st, allow)
		}
	})
}

func TestLookupMatchesOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	patSegs := []string{"a", "b", ":x", ":y", ":z", "*r"}
	pathSegs := []string{"a", "b", "c", ""}
	methodSets := [][]string{nil, {"GET"}, {"POST"}, {"HEAD"}, {"GET", "POST"}}
	hostSets := [][]string{nil, {"h.test"}, {"*.test"}, {"*.h.test"}}

	trees := 0
	for trees < 300 {
		routes := make([]Route[string], 1+rng.IntN(8))
		for i := range routes {
			p := ""
			for n := 1 + rng.IntN(4); n > 0; n-- {
				p += "/" + pick(patSegs)
			}
			if rng.IntN(4) == 0 {
				p += "/"
			}
			routes[i] = Route[string]{Name: "r" + strconv.Itoa(i), Pattern: p,
				Methods: methodSets[rng.IntN(len(methodSets))],
				Hosts:   hostSets[rng.IntN(len(hostSets))]}
			routes[i].Value = routes[i].Name
		}
		tr, err := New(routes)
		if err != nil {
			continue // a bad pattern or a conflict; the oracle assumes neither
		}
		trees++
		checkTree(t, tr)

		for range 40 {
			path := ""
			for n := rng.IntN(5); n >= 0; n-- {
				path += "/" + pick(pathSegs)
			}
			host := pick([]string{"", "h.test", "x.h.test", "y.test"})
			method := pick([]string{"GET", "HEAD", "POST", "PUT"})
			var ps Params
			got, st := tr.Lookup([]byte(host), []byte(method), []byte(path), &ps)
			want, wst, wps := oracleLookup(routes, host, method, path)
			if got != want || st != wst || (st == Found && fmtParams(&ps) != wps) {
				t.Fatalf("routes %v: Lookup(%q, %s, %q) = %q, %v, %q; oracle %q, %v, %q",
					routes, host, method, path, got, st, fmtParams(&ps), want, wst, wps)
			}
		}
	}
}
