package cors

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/portico-gw/portico/config"
)

// New compiles a [routes.NAME.cors] table. key is the table's config path
// ("routes.api.cors"); each problem found is returned as a *config.Error
// naming the offending key, and the Policy is nil if there are any.
func New(key string, c *config.CORS) (*Policy, []error) {
	var errs []error
	p := &Policy{credentials: c.Credentials}
	p.compileOrigins(key, c.Origins, &errs)
	p.compileMethods(key, c.Methods, &errs)
	p.compileHeaders(key, c.Headers, &errs)

	for i, h := range c.ExposeHeaders {
		if !isToken(h) {
			errs = append(errs, config.Errorf(idx(key+".expose_headers", i), "not a header name"))
		}
	}
	p.exposeHdr = appendList(nil, c.ExposeHeaders)

	if c.MaxAge < 0 || c.MaxAge > maxMaxAge {
		errs = append(errs, config.Errorf(key+".max_age", "must be between 0 and 24h"))
	}
	p.maxAge = maxAgeValue(c.MaxAge)
	if len(errs) > 0 {
		return nil, errs
	}
	return p, nil
}

// compileOrigins reads origins: "*", "scheme://host[:port]" or
// "scheme://*.domain[:port]".
func (p *Policy) compileOrigins(key string, origins []string, errs *[]error) {
	key += ".origins"
	if len(origins) == 0 {
		*errs = append(*errs, config.Errorf(key, "must list at least one origin"))
	}
	for i, o := range origins {
		if o == "*" {
			if p.credentials {
				*errs = append(*errs, config.Errorf(idx(key, i),
					"\"*\" cannot be used with credentials; list the origins"))
			}
			p.anyOrigin = true
			continue
		}
		if msg := checkOrigin(o); msg != "" {
			*errs = append(*errs, config.Errorf(idx(key, i), "%s", msg))
			continue
		}
		scheme, host, _ := strings.Cut(o, "://")
		if rest, ok := strings.CutPrefix(host, "*."); ok {
			p.patterns = append(p.patterns, pattern{
				prefix: lower(scheme + "://"),
				suffix: lower("." + rest),
			})
			continue
		}
		p.origins = append(p.origins, lower(o))
	}
}

// checkOrigin returns what is wrong with a configured origin, or "".
func checkOrigin(o string) string {
	u, err := url.Parse(strings.Replace(o, "://*.", "://wildcard.", 1))
	switch {
	case o == "null":
		return "\"null\" is sent by sandboxed documents and files and is never allowed"
	case err != nil || u.Host == "" || u.Scheme == "":
		return "want scheme://host[:port], for example https://app.example.com"
	case u.Scheme != "http" && u.Scheme != "https":
		return "scheme must be http or https"
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "an origin has no path, query, fragment or user"
	case strings.Count(o, "*") > 1 || strings.Contains(o, "*") && !strings.Contains(o, "://*."):
		return "a wildcard must be the whole first host label, as in https://*.example.com"
	}
	for i := 0; i < len(u.Host); i++ {
		if c := u.Host[i]; !isHostByte(c) && c != ':' {
			return "host must be letters, digits, '-' and '.' (IPv6 literals are not supported)"
		}
	}
	return ""
}

// compileMethods reads methods; empty means the safelisted ones.
func (p *Policy) compileMethods(key string, methods []string, errs *[]error) {
	if len(methods) == 0 {
		methods = []string{"GET", "HEAD", "POST"}
	}
	for i, m := range methods {
		if !isToken(m) || strings.ToUpper(m) != m {
			*errs = append(*errs, config.Errorf(idx(key+".methods", i),
				"want an upper-case method such as PUT"))
		}
		p.methods = append(p.methods, []byte(m))
	}
	p.methodsHdr = appendList(nil, methods)
}

// compileHeaders reads headers; "*" allows any name.
func (p *Policy) compileHeaders(key string, headers []string, errs *[]error) {
	var names []string
	for i, h := range headers {
		if h == "*" {
			if p.credentials {
				*errs = append(*errs, config.Errorf(idx(key+".headers", i),
					"\"*\" cannot be used with credentials; list the headers"))
			}
			p.anyHeader = true
			continue
		}
		if !isToken(h) {
			*errs = append(*errs, config.Errorf(idx(key+".headers", i), "not a header name"))
		}
		p.headers = append(p.headers, lower(h))
		names = append(names, h)
	}
	p.headersHdr = appendList(nil, names)
}

// isToken reports whether s is a non-empty RFC 9110 §5.6.2 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// idx renders a config path to a list element: key[i].
func idx(key string, i int) string { return fmt.Sprintf("%s[%d]", key, i) }
