package router

// Normalize appends the normal form of the absolute request path to dst
// and returns the extended slice. The query string must already be split
// off. Normalize allocates nothing when dst has room for len(path) more
// bytes, and the result is never longer than path, so dst may be path[:0]
// to normalize in place. On error it returns dst unchanged and one of
// ErrPathNotAbsolute, ErrBadEscape or ErrControlByte; the request should
// then be answered with 400.
//
// The steps, per segment, are those of RFC 3986:
//   - Percent escapes of unreserved characters (ALPHA, DIGIT, '-', '.',
//     '_', '~') are decoded and the hex digits of every other escape are
//     upper-cased (§6.2.2.1, §6.2.2.2). "%2F" is never decoded, so an
//     encoded slash stays inside its segment: "/public/..%2fadmin" becomes
//     "/public/..%2Fadmin", one segment under /public/.
//   - Decoding comes first, so "%2e%2e" and ".%2E" are dot segments like
//     ".." and are resolved (§5.2.4). Routing sees the resolved path, so
//     "/public/%2e%2e/admin" is routed as "/admin", and can never reach a
//     route under /public/ while naming something outside it.
//   - "." segments are dropped and ".." removes the segment before it, but
//     never climbs above the root. A final dot segment leaves a trailing
//     slash: "/a/b/.." is "/a/".
//   - Empty segments ("//") are folded away; a trailing slash is kept.
//
// Raw control bytes and an encoded NUL are rejected rather than passed on,
// because upstream servers disagree on how to read them. Other bytes,
// including ones above 0x7f and '\', are kept as they are.
//
// An upstream that decodes "%2F" or treats '\' as '/' before resolving dot
// segments sees a different path than the one that was routed, and can be
// reached outside a route's prefix; don't put such an upstream behind a
// prefix route that guards anything.
func Normalize(dst, path []byte) ([]byte, error) {
	// TODO: an option to reject or rewrite "%2F", "%5C" and '\' is
	// missing; operators with upstreams that decode them must filter such
	// requests themselves, or "/public/..%2Fadmin" reaches the upstream's
	// /admin.
	if len(path) == 0 || path[0] != '/' {
		return dst, ErrPathNotAbsolute
	}
	base := len(dst)
	out := append(dst, '/')

	// Each round decodes one segment, path[i:j], onto out and then
	// resolves it if it turned out to be a dot segment. out ends in '/'
	// at the start of every round.
	for i := 1; i <= len(path); {
		j := i
		for j < len(path) && path[j] != '/' {
			j++
		}
		seg := len(out)
		var err error
		if out, err = appendSegment(out, path[i:j]); err != nil {
			return dst[:base], err
		}

		switch s := out[seg:]; {
		case len(s) == 0:
			// "//" or the final slash: nothing to add.
		case len(s) == 1 && s[0] == '.':
			out = out[:seg]
		case len(s) == 2 && s[0] == '.' && s[1] == '.':
			out = out[:seg]
			if seg > base+1 {
				// Drop the previous segment, keeping its leading slash.
				k := seg - 2
				for out[k] != '/' {
					k--
				}
				out = out[:k+1]
			}
		default:
			if j < len(path) {
				out = append(out, '/')
			}
		}
		i = j + 1
	}
	return out, nil
}

// appendSegment appends one path segment, which holds no '/', to out with
// its escapes in normal form.
func appendSegment(out, seg []byte) ([]byte, error) {
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c < 0x20 || c == 0x7f {
			return out, ErrControlByte
		}
		if c != '%' {
			out = append(out, c)
			continue
		}

		if i+2 >= len(seg) {
			return out, ErrBadEscape
		}
		hi, lo := unhex(seg[i+1]), unhex(seg[i+2])
		if hi < 0 || lo < 0 {
			return out, ErrBadEscape
		}
		switch b := byte(hi<<4 | lo); {
		case b == 0:
			return out, ErrControlByte
		case isUnreserved(b):
			out = append(out, b)
		default:
			out = append(out, '%', upperHex[hi], upperHex[lo])
		}
		i += 2
	}
	return out, nil
}

const upperHex = "0123456789ABCDEF"

// unhex returns the value of the hex digit c, or -1.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// isUnreserved reports whether c is an unreserved character of RFC 3986
// §2.3, which percent-encoding must not change the meaning of.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
