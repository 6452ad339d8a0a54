package config

import (
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// index maps key paths to the line they are written on. The TOML library
// keeps positions to itself, so buildIndex scans the source again. The
// scan only follows structure (tables, keys, strings, arrays, inline
// tables); it trusts the library to have rejected bad syntax and never
// fails, whatever the input.
type index struct {
	// lines holds the first line of every key path, including the implicit
	// parents of dotted keys and headers, every array element, and every
	// path once more without its array indexes and without quotes.
	lines map[string]int
	// defs lists, in document order, the keys that are written with a
	// value, the table headers and the array elements. Unknown keys are
	// matched against it occurrence by occurrence, because the library
	// reports them without array indexes.
	defs []indexEntry
}

// indexEntry is one key path and the line it starts on.
type indexEntry struct {
	key  string
	line int
}

// maxIndexDepth bounds the nesting of arrays and inline tables the scanner
// follows; deeper values are skipped as a whole.
const maxIndexDepth = 32

// scanner is the state of one buildIndex run.
type scanner struct {
	src  []byte
	pos  int
	line int
	ix   *index
	// table is the key path of the current [table] or [[array]] header.
	table string
	// arrays counts the elements of each array of tables seen so far, by
	// its key path (parents carry their own indexes).
	arrays map[string]int
}

// buildIndex scans src and returns its key-path index.
func buildIndex(src []byte) *index {
	s := &scanner{
		src:    src,
		line:   1,
		ix:     &index{lines: make(map[string]int)},
		arrays: make(map[string]int),
	}
	for s.pos < len(s.src) {
		switch c := s.src[s.pos]; c {
		case '\n':
			s.line++
			s.pos++
		case ' ', '\t', '\r':
			s.pos++
		case '#':
			s.skipComment()
		case '[':
			s.header()
		default:
			start := s.pos
			s.keyValue(s.table, 0)
			if s.pos == start {
				s.pos++
			}
			s.skipLine()
		}
	}
	return s.ix
}

// line returns the line of key, or of its nearest parent in the file, or
// 0 when no part of it is written or there is no index.
func (ix *index) line(key string) int {
	if ix == nil {
		return 0
	}
	for key != "" {
		if l, ok := ix.lines[key]; ok {
			return l
		}
		key = parentKey(key)
	}
	return 0
}

// nth returns the indexed key path and line of the n-th (from 0)
// written key whose path without array indexes is bare.
func (ix *index) nth(bare string, n int) (string, int) {
	for _, d := range ix.defs {
		if stripIndexes(d.key) != bare {
			continue
		}
		if n == 0 {
			return d.key, d.line
		}
		n--
	}
	return bare, ix.line(bare)
}

// def records a key written with a value, a header or an array element.
func (ix *index) def(key string, line int) {
	ix.implicit(key, line)
	ix.defs = append(ix.defs, indexEntry{key, line})
}

// implicit records the line of key unless it is already known. A key
// with array indexes is also recorded without them, so that a key path
// given without indexes finds the first occurrence, and a key with quoted
// parts also without the quotes, for callers that join names with dots
// as they are ("routes." + name).
func (ix *index) implicit(key string, line int) {
	if _, ok := ix.lines[key]; !ok {
		ix.lines[key] = line
	}
	bare := stripIndexes(key)
	for _, k := range [...]string{bare, stripQuotes(key), stripQuotes(bare)} {
		if _, ok := ix.lines[k]; !ok && k != key && k != "" {
			ix.lines[k] = line
		}
	}
}

// header reads a [table] or [[array of tables]] line and makes it the
// current table.
func (s *scanner) header() {
	s.pos++
	array := s.peek() == '['
	if array {
		s.pos++
	}
	parts, ok := s.keyParts(']')
	if !ok {
		s.skipLine()
		return
	}
	path := ""
	for i, p := range parts {
		path = joinKey(path, p)
		n, seen := s.arrays[path]
		switch {
		case array && i == len(parts)-1:
			s.arrays[path] = n + 1
			path += "[" + strconv.Itoa(n) + "]"
		case seen:
			path += "[" + strconv.Itoa(n-1) + "]"
		}
		if i < len(parts)-1 {
			s.ix.implicit(path, s.line)
		}
	}
	s.ix.def(path, s.line)
	s.table = path
	s.skipLine()
}

// keyValue reads "key = value" below the table base. It stops after the
// value, or where the text stops looking like a key.
func (s *scanner) keyValue(base string, depth int) {
	line := s.line
	parts, ok := s.keyParts('=')
	if !ok {
		return
	}
	path := base
	for i, p := range parts {
		path = joinKey(path, p)
		if i < len(parts)-1 {
			s.ix.implicit(path, line)
		}
	}
	s.ix.def(path, line)
	s.value(path, depth)
}

// keyParts reads a dotted key up to and including the byte end ('=' for
// a key, ']' for a header, which may be doubled) and returns its parts
// unquoted. It reports false, having consumed some bytes, when the text is
// not a key.
func (s *scanner) keyParts(end byte) ([]string, bool) {
	var parts []string
	for {
		s.skipBlank()
		var p string
		switch c := s.peek(); {
		case c == '"' || c == '\'':
			var ok bool
			if p, ok = s.quotedKey(c); !ok {
				return nil, false
			}
		case isBare(c):
			start := s.pos
			for s.pos < len(s.src) && isBare(s.src[s.pos]) {
				s.pos++
			}
			p = string(s.src[start:s.pos])
		default:
			return nil, false
		}
		parts = append(parts, p)
		s.skipBlank()
		switch s.peek() {
		case '.':
			s.pos++
		case end:
			s.pos++
			if end == ']' && s.peek() == ']' {
				s.pos++
			}
			return parts, true
		default:
			return nil, false
		}
	}
}

// quotedKey reads a one-line quoted key part and returns it unquoted.
// Basic strings are unescaped with strconv.Unquote, which knows the TOML
// escapes people write in keys; a part it cannot decode is kept as written.
func (s *scanner) quotedKey(q byte) (string, bool) {
	start := s.pos
	for s.pos++; s.pos < len(s.src); s.pos++ {
		switch c := s.src[s.pos]; {
		case c == '\n':
			return "", false
		case c == '\\' && q == '"':
			s.pos++
		case c == q:
			s.pos++
			raw := string(s.src[start:s.pos])
			if q == '"' {
				if u, err := strconv.Unquote(raw); err == nil {
					return u, true
				}
			}
			return raw[1 : len(raw)-1], true
		}
	}
	return "", false
}

// value skips one value of the key at path, recording the elements of
// arrays and the keys of inline tables on the way.
func (s *scanner) value(path string, depth int) {
	s.skipBlank()
	switch c := s.peek(); {
	case c == '"' || c == '\'':
		s.skipString(c)
	case (c == '[' || c == '{') && depth >= maxIndexDepth:
		s.pos++
	case c == '[':
		s.array(path, depth+1)
	case c == '{':
		s.inline(path, depth+1)
	default:
		for s.pos < len(s.src) && !strings.ContainsRune(",]}#\n", rune(s.src[s.pos])) {
			s.pos++
		}
	}
}

// array reads the elements of an array value, recording each as
// path[i] on the line where it starts.
func (s *scanner) array(path string, depth int) {
	s.pos++
	for i := 0; s.pos < len(s.src); {
		s.skipSpace()
		switch s.peek() {
		case 0:
			return
		case ']':
			s.pos++
			return
		case ',':
			s.pos++
			continue
		}
		elem := path + "[" + strconv.Itoa(i) + "]"
		s.ix.def(elem, s.line)
		start := s.pos
		s.value(elem, depth)
		if s.pos == start {
			s.pos++
		}
		i++
	}
}

// inline reads the keys of an inline table below path.
func (s *scanner) inline(path string, depth int) {
	s.pos++
	for s.pos < len(s.src) {
		s.skipSpace()
		switch s.peek() {
		case 0:
			return
		case '}':
			s.pos++
			return
		case ',':
			s.pos++
			continue
		}
		start := s.pos
		s.keyValue(path, depth)
		if s.pos == start {
			s.pos++
		}
	}
}

// skipString skips a basic, literal or multi-line string starting at the
// quote q, counting the newlines inside it.
func (s *scanner) skipString(q byte) {
	delim := string([]byte{q})
	if strings.HasPrefix(string(s.src[s.pos:min(s.pos+3, len(s.src))]), delim+delim+delim) {
		delim += delim + delim
	}
	s.pos += len(delim)
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '\n' && len(delim) == 1:
			return
		case c == '\n':
			s.line++
		case c == '\\' && q == '"':
			if s.pos+1 < len(s.src) && s.src[s.pos+1] == '\n' {
				s.line++
			}
			s.pos += 2
			continue
		case c == q && hasPrefixAt(s.src, s.pos, delim):
			s.pos += len(delim)
			// A multi-line string may end in up to two extra quotes.
			for n := 0; n < 2 && len(delim) == 3 && s.peek() == q; n++ {
				s.pos++
			}
			return
		}
		s.pos++
	}
}

// skipBlank skips spaces and tabs.
func (s *scanner) skipBlank() {
	for s.pos < len(s.src) && (s.src[s.pos] == ' ' || s.src[s.pos] == '\t') {
		s.pos++
	}
}

// skipSpace skips white space, newlines and comments inside an array or
// inline table.
func (s *scanner) skipSpace() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\r':
			s.pos++
		case '\n':
			s.line++
			s.pos++
		case '#':
			s.skipComment()
		default:
			return
		}
	}
}

// skipComment skips to the end of the line, leaving the newline.
func (s *scanner) skipComment() {
	for s.pos < len(s.src) && s.src[s.pos] != '\n' {
		s.pos++
	}
}

// skipLine skips what is left of the line (a comment, or text the scan
// does not understand), leaving the newline.
func (s *scanner) skipLine() { s.skipComment() }

// peek returns the current byte, or 0 at the end.
func (s *scanner) peek() byte {
	if s.pos < len(s.src) {
		return s.src[s.pos]
	}
	return 0
}

// hasPrefixAt reports whether src[i:] starts with p.
func hasPrefixAt(src []byte, i int, p string) bool {
	return len(src)-i >= len(p) && string(src[i:i+len(p)]) == p
}

// isBare reports whether c may appear in a bare TOML key.
func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-'
}

// joinKey appends the key part p to the path base, quoting p the way the
// TOML library renders keys when it is not a bare key.
func joinKey(base, p string) string {
	q := toml.Key{p}.String()
	if base == "" {
		return q
	}
	return base + "." + q
}

// parentKey returns key without its last part or array index, or "".
func parentKey(key string) string {
	if strings.HasSuffix(key, "]") {
		if i := strings.LastIndexByte(key, '['); i >= 0 {
			return key[:i]
		}
		return ""
	}
	// Find the last dot outside quotes, scanning from the front so that
	// quoted parts containing dots or brackets are skipped whole.
	last := -1
	for i := 0; i < len(key); i++ {
		switch key[i] {
		case '"':
			for i++; i < len(key) && key[i] != '"'; i++ {
				if key[i] == '\\' {
					i++
				}
			}
		case '.':
			last = i
		}
	}
	if last < 0 {
		return ""
	}
	return key[:last]
}

// stripIndexes removes the array indexes ("[3]") from key, leaving quoted
// parts alone.
func stripIndexes(key string) string {
	if !strings.Contains(key, "[") {
		return key
	}
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		switch c := key[i]; c {
		case '"':
			j := i + 1
			for ; j < len(key) && key[j] != '"'; j++ {
				if key[j] == '\\' {
					j++
				}
			}
			b.WriteString(key[i:min(j+1, len(key))])
			i = j
		case '[':
			for i < len(key) && key[i] != ']' {
				i++
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// stripQuotes removes the quotes around quoted key parts and their
// escapes: routes."v1.users".path becomes routes.v1.users.path.
func stripQuotes(key string) string {
	if !strings.Contains(key, `"`) {
		return key
	}
	var b strings.Builder
	quoted := false
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case c == '"':
			quoted = !quoted
		case c == '\\' && quoted && i+1 < len(key):
			i++
			b.WriteByte(key[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
