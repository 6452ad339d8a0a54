// Package router maps a request's host, method and path to a route value.
//
// A Tree is built once from a list of Routes by New, which rejects bad
// patterns and ambiguous routes with typed errors, and is then read-only:
// any number of goroutines may call Lookup, AppendAllow and the other
// methods at the same time. A config reload builds a new Tree and swaps it
// in; the package keeps no global state.
//
// # Patterns
//
// A pattern is an absolute path in the normal form that Normalize
// produces. A segment is either literal text, a parameter ":name" that
// matches one non-empty segment, or a catch-all "*name" that matches the
// rest of the path (possibly empty, without the slash in front of it) and
// must be the last segment. Literal text may not contain ':' or '*', so a
// path such as "/v1/items:batchGet" needs a parameter or catch-all route.
// Names are ASCII letters, digits and '_', do not start with a digit, and
// are unique within a pattern; a pattern has at most MaxParams of them. A
// trailing slash is significant: "/a" and "/a/" are different routes, and
// the router never redirects between them.
//
// # Matching
//
// Hosts are matched case-insensitively. The caller strips the port; an
// IPv6 literal keeps its brackets ("[::1]"). Lookup ignores one trailing
// dot.
// A route's host is either exact ("api.example.com"), a wildcard
// ("*.example.com", which matches any depth of subdomain but not
// "example.com" itself), or absent, which matches every host. Candidates
// are tried in this order: the exact host, then each matching wildcard
// from the longest to the shortest, then the routes with no host. The
// first of these whose routes match the method and the path wins, so a
// request whose path is unknown under its exact host still reaches a
// wildcard or host-less route.
//
// Within one host, a literal segment beats a parameter, which beats a
// catch-all. The search backtracks: with "/a/b/c" and "/a/:x/d" both
// registered, "/a/b/d" matches the second. A route that lists no methods
// accepts every method. HEAD is allowed wherever GET is, unless a route
// lists HEAD explicitly for the same pattern, in which case that route
// wins for HEAD.
//
// If some route matches the host and path but none accepts the method,
// Lookup reports MethodNotAllowed and AppendAllow builds the Allow header
// for the 405 response (RFC 9110 §15.5.6).
//
// # Paths
//
// Lookup matches the path bytes as given. The front end runs Normalize on
// the raw request path first (it resolves dot segments, folds repeated
// slashes and canonicalises percent escapes, RFC 3986 §6.2.2) and answers
// 400 when it fails; the query string is split off before either step.
//
// The package does not rewrite, redirect or proxy anything: Expand fills a
// rewrite template from the captured parameters, and applying the result
// is the proxy's job.
package router
