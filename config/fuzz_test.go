package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/BurntSushi/toml"
)

// fuzzSeeds are small documents that reach the scanner's and the
// validator's corners; the example configs are added as well.
var fuzzSeeds = []string{
	base,
	"[server]\nlisten = \"127.0.0.1:0\"\n",
	"a.b.'c'.\"d\" = 1\n[x]\ny = [1, [2, {z = 3}]]\n",
	"[[a.b]]\nc = 1\n[[a.b]]\n[a.b.d]\ne = 2\n",
	"s = \"\"\"\nx\\\n\"\"\"\"\nt = '''a\n'''\n",
	"[routes.r]\npath = \"/a/:x\"\n[routes.s]\npath = \"/a/:y\"\n",
	"[upstreams.u]\ntargets = [{address = \"h:1\", weight = 0}]\ntimeout = 5\n",
	"[server\n",
	"x = {a = 1,\n b = 2}\n",
	"k = \"unterminated\n",
}

func addSeeds(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	paths, _ := filepath.Glob("../configs/*.toml")
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
}

// FuzzParse checks that Parse never panics and that every problem it
// reports is an *Error whose line lies inside the document.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.toml", data)
		if err == nil {
			if cfg == nil || cfg.Hash == "" {
				t.Fatalf("Parse = %v, nil", cfg)
			}
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, e := range leafErrors(err) {
			var ce *Error
			if !errors.As(e, &ce) {
				t.Fatalf("error %q is %T, want *Error", e, e)
			}
			if ce.File != "f.toml" || ce.Line < 0 || ce.Line > lines || ce.Msg == "" {
				t.Fatalf("error %+v: bad file, line (of %d) or message", ce, lines)
			}
		}
	})
}

// FuzzIndex checks that the line scanner never panics, always ends, and
// records only lines that exist; and, for documents the TOML library
// accepts, that it finds every key the library found.
func FuzzIndex(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ix := buildIndex(data)
		lines := bytes.Count(data, []byte("\n")) + 1
		for key, l := range ix.lines {
			if l < 1 || l > lines {
				t.Fatalf("line(%q) = %d, outside 1..%d", key, l, lines)
			}
			if p := parentKey(key); len(p) >= len(key) {
				t.Fatalf("parentKey(%q) = %q does not shrink", key, p)
			}
		}

		var v map[string]any
		md, err := toml.Decode(string(data), &v)
		if err != nil {
			return
		}
		for _, k := range md.Keys() {
			if _, ok := ix.lines[k.String()]; !ok && plainKey(k) {
				t.Fatalf("key %q not in the index", k.String())
			}
		}
	})
}

// plainKey reports whether every part of k is free of the backslashes
// and control bytes whose TOML escapes the index does not decode exactly
// like the library.
func plainKey(k toml.Key) bool {
	for _, p := range k {
		for _, r := range p {
			if r < 0x20 || r == 0x7f || r == '\\' || r >= 0x80 {
				return false
			}
		}
	}
	return true
}
