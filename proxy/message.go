package proxy

import "bytes"

// Checks on the request message that fasthttp's parser lets through but
// a proxy must not forward: each is a way for the gateway and an upstream
// to read one message two ways.

// checkHeaderBlock walks the raw header block once and reports whether
// the message may be forwarded. It refuses
//   - a field name that is not a token (RFC 9110 §5.1), such as one with
//     a space: upstreams that fold spaces into dashes would read
//     "X Consumer" as the gateway's own identity header;
//   - Transfer-Encoding with Content-Length (RFC 9112 §6.3: a proxy must
//     not forward it), and Transfer-Encoding whose final coding is not
//     chunked (the body length cannot be known; fasthttp would read
//     "identity" as no body and serve the body as the next request).
//
// chunked reports whether fasthttp framed the body as chunked.
func checkHeaderBlock(raw []byte, chunked bool) bool {
	var te, cl bool
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !isToken(line[:colon]) {
			return false
		}
		switch name := line[:colon]; {
		case bytes.EqualFold(name, []byte("transfer-encoding")):
			te = true
		case bytes.EqualFold(name, []byte("content-length")):
			cl = true
		}
	}
	return !te || (chunked && !cl)
}

// validMethod reports whether m is a method token in upper case. Method
// names are case-sensitive (RFC 9110 §9.1), and upstreams differ on
// whether "get" is GET; like nginx, the gateway refuses lower case rather
// than let a route's method list be read two ways.
func validMethod(m []byte) bool {
	if len(m) == 0 {
		return false
	}
	for _, c := range m {
		if 'a' <= c && c <= 'z' || !tchar[c] {
			return false
		}
	}
	return true
}

func isToken(b []byte) bool {
	for _, c := range b {
		if !tchar[c] {
			return false
		}
	}
	return len(b) > 0
}

// tchar marks the token characters of RFC 9110 §5.6.2.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
