package config

import (
	"testing"
)

func TestIndexLines(t *testing.T) {
	src := `# comment [not.a.table]
top = 1
dotted.key.here = "x"   # trailing comment
"quoted.key" = 2
'lit'.x = 3

[server]
listen = "127.0.0.1:8080"
[ server . tls ]
cert_file = """
multi
line"""
key_file = 'k'

[upstreams.a]
targets = [
  { address = "h:1", weight = 2 },
  # a comment between elements
  { address = "h:2",
    weight = 3 },
]
nested = [[1, 2], [{ deep = { er = 1 } }]]

[[upstreams.a.checks]]
path = "/one"
[[upstreams.a.checks]]
path = "/two"
[upstreams.a.checks.sub]
x = 1
[[upstreams.a.checks.list]]
y = 1

[routes."v1.users"]
path = "/v1/users"
respond = { status = 200, headers = { "Content-Type" = "text/plain" } }
[routes.b]
path = "/esc\"aped[0].x"
hosts = ["a", "b",
  "c"]
`
	ix := buildIndex([]byte(src))
	tests := []struct {
		name string
		key  string
		want int
	}{
		{"top level", "top", 2},
		{"dotted key", "dotted.key.here", 3},
		{"dotted parent", "dotted.key", 3},
		{"quoted key", `"quoted.key"`, 4},
		{"literal quoted part", "lit.x", 5},
		{"table header", "server", 7},
		{"key in table", "server.listen", 8},
		{"header with spaces", "server.tls", 9},
		{"multi-line string", "server.tls.cert_file", 10},
		{"after multi-line string", "server.tls.key_file", 13},
		{"array key", "upstreams.a.targets", 16},
		{"inline element", "upstreams.a.targets[0]", 17},
		{"inline element key", "upstreams.a.targets[0].weight", 17},
		{"second element after comment", "upstreams.a.targets[1]", 19},
		{"key on continuation line", "upstreams.a.targets[1].weight", 20},
		{"nested array", "upstreams.a.nested[1][0].deep.er", 22},
		{"array of tables first", "upstreams.a.checks[0].path", 25},
		{"array of tables second", "upstreams.a.checks[1].path", 27},
		{"sub-table of last element", "upstreams.a.checks[1].sub.x", 29},
		{"nested array of tables", "upstreams.a.checks[1].list[0].y", 31},
		{"quoted table name", `routes."v1.users".path`, 34},
		{"quoted name written plain", "routes.v1.users.respond", 35},
		{"inline table in table", `routes."v1.users".respond.headers."Content-Type"`, 35},
		{"string with escapes and brackets", "routes.b.hosts[2]", 39},
		{"missing key falls back to parent", "routes.b.methods[0]", 36},
		{"missing index falls back to array", "upstreams.a.targets[7].address", 16},
		{"unknown table", "nothing.here", 0},
		{"empty key", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ix.line(tt.key); got != tt.want {
				t.Errorf("line(%q) = %d, want %d", tt.key, got, tt.want)
			}
		})
	}
}

func TestIndexCRLF(t *testing.T) {
	src := "[server]\r\nlisten = \"x\"\r\n\r\n[upstreams.u]\r\ntargets = [\r\n\t{ address = \"h:1\" },\r\n]\r\n"
	ix := buildIndex([]byte(src))
	tests := []struct {
		name string
		key  string
		want int
	}{
		{"key", "server.listen", 2},
		{"table", "upstreams.u", 4},
		{"element", "upstreams.u.targets[0].address", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ix.line(tt.key); got != tt.want {
				t.Errorf("line(%q) = %d, want %d", tt.key, got, tt.want)
			}
		})
	}
}

func TestIndexNth(t *testing.T) {
	src := "[[a]]\nx = 1\n[[a]]\ny = 2\n[[a]]\nx = 3\n"
	ix := buildIndex([]byte(src))
	tests := []struct {
		name     string
		bare     string
		n        int
		wantKey  string
		wantLine int
	}{
		{"first", "a.x", 0, "a[0].x", 2},
		{"second occurrence skips an element", "a.x", 1, "a[2].x", 6},
		{"beyond the last", "a.x", 2, "a.x", 2},
		{"table itself", "a", 1, "a[1]", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, line := ix.nth(tt.bare, tt.n)
			if key != tt.wantKey || line != tt.wantLine {
				t.Errorf("nth(%q, %d) = %q, %d, want %q, %d",
					tt.bare, tt.n, key, line, tt.wantKey, tt.wantLine)
			}
		})
	}
}

func TestKeyHelpers(t *testing.T) {
	tests := []struct {
		name, key, parent, stripped string
	}{
		{"plain", "a.b.c", "a.b", "a.b.c"},
		{"index", "a.b[3]", "a.b", "a.b"},
		{"after index", "a.b[3].c", "a.b[3]", "a.b.c"},
		{"quoted dot", `a."b.c".d`, `a."b.c"`, `a."b.c".d`},
		{"quoted bracket", `a."b[1]"`, "a", `a."b[1]"`},
		{"single", "a", "", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parentKey(tt.key); got != tt.parent {
				t.Errorf("parentKey(%q) = %q, want %q", tt.key, got, tt.parent)
			}
			if got := stripIndexes(tt.key); got != tt.stripped {
				t.Errorf("stripIndexes(%q) = %q, want %q", tt.key, got, tt.stripped)
			}
		})
	}
}
