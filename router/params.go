package router

// MaxParams is the most parameters and catch-alls one pattern may have.
const MaxParams = 16

// Params holds the parameters a Lookup captured, in pattern order. It is
// a fixed-size value with no heap storage, meant to live in a pooled
// per-request object and be reused. The zero value is empty and ready to
// use. A Params is not safe for concurrent use.
//
// Values point into the path passed to Lookup and are valid only as long
// as that path's bytes are; keys point into the Tree and stay valid.
// Values are in the normalized path's form, percent escapes included
// ("a%2Fb"); decoding them is up to the caller.
type Params struct {
	n    int
	keys [MaxParams]string
	vals [MaxParams][]byte
}

// Get returns the value of the named parameter, or nil if the matched
// pattern has no such parameter. A catch-all that matched nothing returns
// an empty, non-nil slice.
func (p *Params) Get(name string) []byte {
	for i := 0; i < p.n; i++ {
		if p.keys[i] == name {
			return p.vals[i]
		}
	}
	return nil
}

// Len returns the number of captured parameters.
func (p *Params) Len() int { return p.n }

// Key returns the name of the i-th parameter; it panics unless
// 0 <= i < Len().
func (p *Params) Key(i int) string { return p.keys[:p.n][i] }

// Value returns the value of the i-th parameter; it panics unless
// 0 <= i < Len().
func (p *Params) Value(i int) []byte { return p.vals[:p.n][i] }

// Reset empties p and drops its references to path bytes, so a pooled
// Params does not keep a request's buffer alive.
func (p *Params) Reset() {
	*p = Params{}
}

// Expand appends template to dst with each ":name" and "*name" segment
// replaced by the value of that parameter in ps, and returns the extended
// slice. A name ends at the next '/' or at the end of the template. A
// parameter that ps lacks expands to nothing; ValidateRewrite catches that
// at load time. Values are copied as they were captured, that is in the
// normal form of the path, so they need no further escaping. Expand does
// not allocate when dst has room.
//
// For example, with "/users/:id/*rest" matched against "/users/7/a/b",
// the template "/v1/accounts/:id/*rest" expands to "/v1/accounts/7/a/b".
func Expand(dst []byte, template string, ps *Params) []byte {
	for i := 0; i < len(template); {
		c := template[i]
		if (c != ':' && c != '*') || (i > 0 && template[i-1] != '/') {
			dst = append(dst, c)
			i++
			continue
		}

		// A parameter reference runs to the end of its segment.
		j := i + 1
		for j < len(template) && template[j] != '/' {
			j++
		}
		if ps != nil {
			dst = append(dst, ps.Get(template[i+1:j])...)
		}
		i = j
	}
	return dst
}

// ValidateRewrite reports whether template can be expanded from what
// pattern captures: it must start with '/', and every ":name" or "*name"
// segment in it must name a parameter or catch-all of pattern. pattern
// must itself be valid. The error is a *PatternError about the template.
func ValidateRewrite(template, pattern string) error {
	ps, err := parsePattern(pattern)
	if err != nil {
		return err
	}
	if len(template) == 0 || template[0] != '/' {
		return &PatternError{Pattern: template, Msg: "rewrite must start with /"}
	}
	for i := 1; i < len(template); i++ {
		c := template[i]
		if (c != ':' && c != '*') || template[i-1] != '/' {
			continue
		}
		j := i + 1
		for j < len(template) && template[j] != '/' {
			j++
		}
		if !ps.has(template[i+1 : j]) {
			return &PatternError{Pattern: template,
				Msg: "rewrite uses " + template[i:j] + ", which pattern " + pattern +
					" does not capture"}
		}
		i = j
	}
	return nil
}
