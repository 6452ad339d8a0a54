package cors

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/portico-gw/portico/view"
)

// Header names of the protocol (Fetch standard, "HTTP responses" and
// "HTTP requests" of the CORS protocol).
const (
	hdrOrigin        = "Origin"
	hdrReqMethod     = "Access-Control-Request-Method"
	hdrReqHeaders    = "Access-Control-Request-Headers"
	hdrAllowOrigin   = "Access-Control-Allow-Origin"
	hdrAllowCreds    = "Access-Control-Allow-Credentials"
	hdrAllowMethods  = "Access-Control-Allow-Methods"
	hdrAllowHeaders  = "Access-Control-Allow-Headers"
	hdrExposeHeaders = "Access-Control-Expose-Headers"
	hdrMaxAge        = "Access-Control-Max-Age"
	hdrVary          = "Vary"

	// varyPreflight lists what a preflight answer depends on.
	varyPreflight = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
)

// ownHeaders are the response headers Handle owns: any copy of them from
// the upstream is removed, so an upstream that reflects Origin cannot
// widen the route's policy.
var ownHeaders = [...]string{
	hdrAllowOrigin, hdrAllowCreds, hdrAllowMethods, hdrAllowHeaders, hdrExposeHeaders, hdrMaxAge,
}

// headerDeleter and headerAdder are methods of *fasthttp.ResponseHeader
// that view.ResponseHeader does not require; Handle uses them when the
// header block has them.
type (
	headerDeleter interface{ Del(name string) }
	headerAdder   interface{ Add(name, value string) }
)

// maxMaxAge bounds max_age; browsers cap it lower anyway.
const maxMaxAge = 24 * time.Hour

// Policy is one route's CORS configuration, compiled. The zero value
// allows no origin. A Policy is immutable and safe for concurrent use.
type Policy struct {
	// anyOrigin is set by origin "*".
	anyOrigin bool
	// origins are exact origins, lower case.
	origins [][]byte
	// patterns are "scheme://*.suffix" origins split in two, lower case.
	patterns []pattern

	// methods are the allowed methods beyond the safelisted ones;
	// methodsHdr is the Access-Control-Allow-Methods value.
	methods    [][]byte
	methodsHdr []byte
	// anyHeader is set by header "*"; headers are lower case.
	anyHeader  bool
	headers    [][]byte
	headersHdr []byte
	exposeHdr  []byte

	credentials bool
	// maxAge is the Access-Control-Max-Age value, nil for none.
	maxAge []byte
}

// pattern is an origin with a wildcard host label: the request origin
// must be prefix + one or more host labels + suffix.
type pattern struct {
	prefix []byte // "https://"
	suffix []byte // ".example.com" or ".example.com:8443"
}

// Handle adds CORS response headers to h for the request v and reports
// whether v is a preflight (OPTIONS with Origin and
// Access-Control-Request-Method). On a preflight the front end answers
// 204 with h and does not contact the upstream; if the origin, method or
// headers are not allowed the answer simply lacks the allow headers and
// the browser refuses the real request. A request without Origin is not
// a CORS request and gets nothing. Handle allocates nothing.
//
// Call Handle after the upstream's headers are in h. When h can delete
// headers (a *fasthttp.ResponseHeader can), Handle first removes the
// upstream's Access-Control-* headers; when it can add them, Vary is
// added as a further field line (RFC 9110 §5.3) instead of replacing
// the upstream's Vary.
func (p *Policy) Handle(v *view.Request, h view.ResponseHeader) (preflight bool) {
	if d, ok := h.(headerDeleter); ok {
		for _, name := range ownHeaders {
			d.Del(name)
		}
	}
	origin := v.Header.Peek(hdrOrigin)
	if len(origin) == 0 {
		return false
	}
	reqMethod := v.Header.Peek(hdrReqMethod)
	preflight = string(v.Method) == "OPTIONS" && len(reqMethod) > 0

	// The answer depends on Origin unless it is a plain "*".
	if preflight {
		addVary(h, varyPreflight)
	} else if !p.anyOrigin || p.credentials {
		addVary(h, hdrOrigin)
	}
	allowed, echo := p.matchOrigin(origin)
	if !allowed {
		return preflight
	}

	var reqHeaders []byte
	if preflight {
		reqHeaders = v.Header.Peek(hdrReqHeaders)
		if !p.allowsMethod(reqMethod) || !p.allowsHeaders(reqHeaders) {
			return true
		}
	}
	p.setOrigin(h, origin, echo)
	if preflight {
		p.setPreflight(h, reqHeaders)
	} else if len(p.exposeHdr) > 0 {
		h.SetBytesV(hdrExposeHeaders, p.exposeHdr)
	}
	return preflight
}

// addVary adds a Vary field line, or sets Vary when h cannot add.
func addVary(h view.ResponseHeader, value string) {
	if a, ok := h.(headerAdder); ok {
		a.Add(hdrVary, value)
		return
	}
	h.Set(hdrVary, value)
}

// setOrigin writes Access-Control-Allow-Origin and -Credentials. echo is
// the configured origin, or nil to send the request's (pattern match).
func (p *Policy) setOrigin(h view.ResponseHeader, origin, echo []byte) {
	switch {
	case p.anyOrigin && !p.credentials:
		h.Set(hdrAllowOrigin, "*")
	case echo != nil:
		h.SetBytesV(hdrAllowOrigin, echo)
	default:
		h.SetBytesV(hdrAllowOrigin, origin)
	}
	if p.credentials {
		h.Set(hdrAllowCreds, "true")
	}
}

// setPreflight writes the headers only a preflight answer carries.
func (p *Policy) setPreflight(h view.ResponseHeader, reqHeaders []byte) {
	if len(p.methodsHdr) > 0 {
		h.SetBytesV(hdrAllowMethods, p.methodsHdr)
	}
	if len(reqHeaders) > 0 {
		if p.anyHeader && !p.credentials {
			h.Set(hdrAllowHeaders, "*")
		} else {
			h.SetBytesV(hdrAllowHeaders, p.headersHdr)
		}
	}
	if p.maxAge != nil {
		h.SetBytesV(hdrMaxAge, p.maxAge)
	}
}

// matchOrigin reports whether origin is allowed, and returns the
// configured spelling to send back (nil when the request's own bytes,
// checked by a pattern, are to be sent).
func (p *Policy) matchOrigin(origin []byte) (ok bool, echo []byte) {
	for _, o := range p.origins {
		if bytes.EqualFold(o, origin) {
			return true, o
		}
	}
	for i := range p.patterns {
		if p.patterns[i].match(origin) {
			return true, nil
		}
	}
	if p.anyOrigin {
		return true, nil
	}
	return false, nil
}

// match reports whether origin is prefix, then host labels, then suffix,
// with only letters, digits, '-' and '.' in between: enough that the
// origin is safe to send back in a header.
func (pt *pattern) match(origin []byte) bool {
	n := len(pt.prefix) + len(pt.suffix)
	if len(origin) <= n || !hasPrefixFold(origin, pt.prefix) ||
		!bytes.EqualFold(origin[len(origin)-len(pt.suffix):], pt.suffix) {
		return false
	}
	mid := origin[len(pt.prefix) : len(origin)-len(pt.suffix)]
	if mid[0] == '.' || mid[len(mid)-1] == '.' {
		return false
	}
	for _, c := range mid {
		if !isHostByte(c) {
			return false
		}
	}
	return true
}

// allowsMethod reports whether a preflight may ask for method. The
// CORS-safelisted methods are always allowed; others are compared
// case-sensitively, as methods are (RFC 9110 §9.1).
func (p *Policy) allowsMethod(method []byte) bool {
	switch string(method) {
	case "GET", "HEAD", "POST":
		return true
	}
	for _, m := range p.methods {
		if bytes.Equal(m, method) {
			return true
		}
	}
	return false
}

// allowsHeaders reports whether every name in the comma-separated
// Access-Control-Request-Headers value is allowed. With "*" (and no
// credentials) any name is, except Authorization, which the Fetch
// standard never covers by the wildcard.
func (p *Policy) allowsHeaders(list []byte) bool {
	for len(list) > 0 {
		var name []byte
		name, list = nextToken(list)
		if len(name) == 0 {
			continue
		}
		if p.anyHeader && !p.credentials && !bytes.EqualFold(name, []byte("authorization")) {
			continue
		}
		if !p.allowsHeader(name) {
			return false
		}
	}
	return true
}

// allowsHeader reports whether one header name is in the list.
func (p *Policy) allowsHeader(name []byte) bool {
	for _, h := range p.headers {
		if bytes.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// nextToken returns the first comma-separated element of list, trimmed
// of spaces and tabs, and the rest after the comma.
func nextToken(list []byte) (tok, rest []byte) {
	i := bytes.IndexByte(list, ',')
	if i < 0 {
		tok, rest = list, nil
	} else {
		tok, rest = list[:i], list[i+1:]
	}
	return bytes.Trim(tok, " \t"), rest
}

// hasPrefixFold is bytes.HasPrefix, ASCII case-insensitive.
func hasPrefixFold(s, prefix []byte) bool {
	return len(s) >= len(prefix) && bytes.EqualFold(s[:len(prefix)], prefix)
}

// isHostByte reports whether c may appear in a host name.
func isHostByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.'
}

// appendList joins items with ", ".
func appendList(dst []byte, items []string) []byte {
	for i, s := range items {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, s...)
	}
	return dst
}

// maxAgeValue renders max_age as whole seconds, or nil for none.
func maxAgeValue(d time.Duration) []byte {
	if d <= 0 {
		return nil
	}
	return strconv.AppendInt(nil, int64(d/time.Second), 10)
}

// lower returns s in lower case as bytes.
func lower(s string) []byte { return []byte(strings.ToLower(s)) }
