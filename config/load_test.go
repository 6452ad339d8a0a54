package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// base is a small valid config the broken cases below extend.
const base = `
[upstreams.users]
targets = [{ address = "127.0.0.1:9001" }]

[routes.users]
path = "/users/:id"
upstream = "users"
`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		toml string
		want []string
	}{
		{
			name: "unknown key at top level",
			toml: "listen = \"127.0.0.1:80\"\n" + base,
			want: []string{"t.toml:1: listen: unknown key"},
		},
		{
			name: "unknown table at top level reported once",
			toml: base + "[serverr]\nlisten = \"x\"\nport = 1\n",
			want: []string{"t.toml:8: serverr: unknown key"},
		},
		{
			name: "unknown key nested",
			toml: base + "[server]\nlisten = \"127.0.0.1:8080\"\nread_timout = \"1s\"\n",
			want: []string{"t.toml:10: server.read_timout: unknown key"},
		},
		{
			name: "unknown key in inline target gets its index",
			toml: `
[upstreams.users]
targets = [
  { address = "127.0.0.1:9001" },
  { address = "127.0.0.1:9002", wieght = 2 },
]
[routes.users]
path = "/"
upstream = "users"
`,
			want: []string{"t.toml:5: upstreams.users.targets[1].wieght: unknown key"},
		},
		{
			name: "unknown key in array of tables gets its index",
			toml: `
[[upstreams.users.targets]]
address = "127.0.0.1:9001"
[[upstreams.users.targets]]
address = "127.0.0.1:9002"
port = 9
[routes.users]
path = "/"
upstream = "users"
`,
			want: []string{"t.toml:6: upstreams.users.targets[1].port: unknown key"},
		},
		{
			name: "key in the wrong case",
			toml: base + "[Server]\nLISTEN = \"127.0.0.1:9\"\n",
			want: []string{
				`t.toml:8: Server: unknown key (keys are case-sensitive: "server")`,
				`t.toml:9: Server.LISTEN: unknown key (keys are case-sensitive: "listen")`,
			},
		},
		{
			name: "bad duration",
			toml: base + "[server]\nread_timeout = \"5 seconds\"\n",
			want: []string{`t.toml:9: server.read_timeout: invalid duration: "5 seconds"`},
		},
		{
			name: "integer duration",
			toml: base + "[server]\nidle_timeout = 30\n",
			want: []string{`t.toml:9: server.idle_timeout: duration must be a string with a unit, like "30s" or "250ms"`},
		},
		{
			name: "wrong type",
			toml: base + "[server]\nmax_connections = \"many\"\n",
			want: []string{"t.toml:9: server.max_connections: incompatible types: " +
				"TOML value has type string; destination has type integer"},
		},
		{
			name: "syntax error keeps the library's line",
			toml: base + "[server]\nlisten = \"127.0.0.1:8080\n",
			want: []string{"t.toml:9: server.listen: strings cannot contain newlines"},
		},
		{
			name: "dangling upstream",
			toml: base + "[routes.orders]\npath = \"/orders\"\nupstream = \"orderz\"\n",
			want: []string{`t.toml:10: routes.orders.upstream: unknown upstream "orderz"`},
		},
		{
			name: "route conflict",
			toml: base + "[routes.user2]\npath = \"/users/:name\"\nupstream = \"users\"\n",
			want: []string{`t.toml:9: routes.user2.path: "/users/:name" conflicts with ` +
				`routes.users (line 5, "/users/:id") on host (any), method (any)`},
		},
		{
			name: "bad pattern",
			toml: base + "[routes.bad]\npath = \"/a/*rest/b\"\nupstream = \"users\"\n",
			want: []string{`t.toml:9: routes.bad.path: bad pattern "/a/*rest/b": ` + patternMsg("/a/*rest/b")},
		},
		{
			name: "bad CIDR",
			toml: base + "[server]\ntrusted_proxies = [\"10.0.0.0/8\",\n  \"10.1.0.0/33\"]\n",
			want: []string{`t.toml:10: server.trusted_proxies[1]: "10.1.0.0/33" is neither an IP address nor a CIDR prefix`},
		},
		{
			name: "missing target",
			toml: "[upstreams.empty]\nbalance = \"weighted\"\n[routes.r]\npath = \"/\"\nupstream = \"empty\"\n",
			want: []string{"t.toml:1: upstreams.empty.targets: at least one target is required"},
		},
		{
			name: "several problems sorted by line",
			toml: `
[server]
listen = "127.0.0.1"
transport = "magic"
[upstreams.u]
balance = "round_robin"
hash_key = "path"
targets = [{ address = "127.0.0.1:0", weight = 2000 }]
[routes.r]
path = "/x"
methods = ["get", "GET "]
hosts = ["*.example.com", "a.*.com", "b.com:80"]
upstream = "u"
strip_prefix = "/y"
[routes.m]
path = "/m"
websocket = true
[routes.m.respond]
status = 700
[routes.n]
path = "/n"
`,
			want: []string{
				`t.toml:3: server.listen: "127.0.0.1" is not host:port`,
				`t.toml:4: server.transport: "magic" is not one of "standard", "eventloop"`,
				`t.toml:7: upstreams.u.hash_key: only allowed with balance = "consistent_hash"`,
				`t.toml:8: upstreams.u.targets[0].address: bad port "0"`,
				`t.toml:8: upstreams.u.targets[0].weight: 2000 is out of range 1..1000`,
				`t.toml:11: routes.r.methods[0]: "get" must be upper case (methods are case-sensitive)`,
				`t.toml:11: routes.r.methods[1]: "GET " is not a valid method`,
				`t.toml:12: routes.r.hosts[1]: "a.*.com": '*' is only allowed as the first label ("*.example.com")`,
				`t.toml:12: routes.r.hosts[2]: "b.com:80": must not include a port`,
				`t.toml:14: routes.r.strip_prefix: "/y": is not a prefix of path "/x"`,
				`t.toml:17: routes.m.websocket: needs an upstream`,
				`t.toml:19: routes.m.respond.status: 700 is out of range 100..599`,
				`t.toml:20: routes.n: needs an upstream or a respond table`,
			},
		},
		{
			name: "respond and upstream together",
			toml: base + "[routes.both]\npath = \"/b\"\nupstream = \"users\"\nrespond = { status = 204 }\n",
			want: []string{"t.toml:11: routes.both.respond: set either upstream or respond, not both"},
		},
		{
			name: "rewrite names a parameter the pattern lacks",
			toml: base + "[routes.rw]\npath = \"/v1/:id\"\nrewrite = \"/v2/:name\"\nupstream = \"users\"\n",
			want: []string{`t.toml:10: routes.rw.rewrite: bad template "/v2/:name": ` +
				rewriteMsg("/v2/:name", "/v1/:id")},
		},
		{
			name: "websocket on the event loop",
			toml: base + "[server]\ntransport = \"eventloop\"\n[routes.ws]\npath = \"/ws\"\nupstream = \"users\"\nwebsocket = true\n",
			want: []string{`t.toml:13: routes.ws.websocket: needs server.transport = "standard" ` +
				`(transport "eventloop" cannot hand over connections)`},
		},
		{
			name: "health check timeout longer than interval",
			toml: base + "[upstreams.users.health_check]\ninterval = \"1s\"\ntimeout = \"2s\"\n",
			want: []string{"t.toml:10: upstreams.users.health_check.timeout: must not be longer than interval (1s)"},
		},
		{
			name: "quoted route name",
			toml: base + "[routes.\"v1.orders\"]\npath = \"/o\"\nupstream = \"nope\"\n",
			want: []string{`t.toml:10: routes."v1.orders".upstream: unknown upstream "nope"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("t.toml", []byte(tt.toml))
			if err == nil {
				t.Fatalf("Parse = %+v, nil; want errors", f)
			}
			if f != nil {
				t.Errorf("Parse returned a File with an error")
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Parse errors =\n%s\nwant\n%s", err, strings.Join(tt.want, "\n"))
			}
			for _, e := range leafErrors(err) {
				var ce *Error
				if !errors.As(e, &ce) {
					t.Errorf("error %q is %T, want *Error", e, e)
				}
			}
		})
	}
}

// patternMsg is what the router says about a bad pattern, so the test
// does not depend on its exact wording.
func patternMsg(p string) string {
	return routerMsgOf(routerValidate(p))
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "edge.toml")
	if err := os.WriteFile(path, []byte(base), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%q) = %v", path, err)
	}
	if f.Path != path {
		t.Errorf("Path = %q, want %q", f.Path, path)
	}
	if len(f.Hash) != 12 || f.Hash != hashBytes([]byte(base)) {
		t.Errorf("Hash = %q, want 12 hex digits of sha256", f.Hash)
	}
	if _, err := Load(filepath.Join(dir, "missing.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want os.ErrNotExist", err)
	}
}

func TestDefaults(t *testing.T) {
	f, err := Parse("t.toml", []byte(base+"[upstreams.users.health_check]\n[upstreams.users.outlier]\n"+
		"[routes.r]\npath = \"/r\"\nrespond = {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	u := f.Upstreams["users"]
	checks := []struct {
		name      string
		got, want any
	}{
		{"server.listen", f.Server.Listen, "127.0.0.1:8080"},
		{"server.transport", f.Server.Transport, "standard"},
		{"server.read_timeout", f.Server.ReadTimeout, 30 * time.Second},
		{"server.idle_timeout", f.Server.IdleTimeout, 90 * time.Second},
		{"server.shutdown_timeout", f.Server.ShutdownTimeout, 15 * time.Second},
		{"server.max_header_bytes", f.Server.MaxHeaderBytes, 16384},
		{"server.max_body_bytes", f.Server.MaxBodyBytes, int64(10 << 20)},
		{"server.reduce_memory_usage", *f.Server.ReduceMemory, true},
		{"access_log.output", f.AccessLog.Output, "stdout"},
		{"access_log.buffer_records", f.AccessLog.BufferRecords, 8192},
		{"balance", u.Balance, "round_robin"},
		{"connect_timeout", u.ConnectTimeout, time.Second},
		{"max_conns_per_target", u.MaxConnsPerTarget, 512},
		{"queue_timeout", u.QueueTimeout, time.Duration(0)},
		{"host_header", u.HostHeader, "target"},
		{"retries", *u.Retries, 1},
		{"weight", u.Targets[0].Weight, 1},
		{"health_check.interval", u.HealthCheck.Interval, 10 * time.Second},
		{"outlier.max_ejected_percent", u.Outlier.MaxEjectedPercent, 50},
		{"respond.status", f.Routes["r"].Respond.Status, 200},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
			}
		})
	}
}

func TestLocate(t *testing.T) {
	src := `[routes.api]
path = "/api/*rest"
upstream = "u"
limits = [
  { rate = "10 per 1s" },
  { rate = "bad" },
]
[upstreams.u]
targets = [{ address = "127.0.0.1:1" }]
[consumers.alice]
plan = "gold"
`
	f, err := Parse("edge.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	err = errors.Join(
		Errorf("routes.api.limits[1].rate", "bad rate %q", "bad"),
		Errorf("consumers.alice.plan", "unknown plan %q", "gold"),
		Errorf("consumers.alice.groups", "made up"),
		Errorf("consumers.bob", "not in the file"),
		&Error{File: "other.toml", Line: 99, Key: "routes.api", Msg: "kept"},
	)
	wrapped := f.Locate(errors.Join(err))
	want := `edge.toml:6: routes.api.limits[1].rate: bad rate "bad"
edge.toml:11: consumers.alice.plan: unknown plan "gold"
edge.toml:10: consumers.alice.groups: made up
edge.toml:10: consumers.bob: not in the file
other.toml:99: routes.api: kept`
	if wrapped.Error() != want {
		t.Errorf("Locate =\n%s\nwant\n%s", wrapped, want)
	}

	// fmt.Errorf renders its text at once, so the located *Error is only
	// seen through errors.As.
	inner := Errorf("upstreams.u.targets[0].address", "wrapped")
	f.Locate(fmt.Errorf("proxy: %w", inner))
	if got := inner.Error(); got != "edge.toml:9: upstreams.u.targets[0].address: wrapped" {
		t.Errorf("Locate through %%w: %q", got)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  Error
		want string
	}{
		{"all", Error{"a.toml", 3, "server.listen", "bad"}, "a.toml:3: server.listen: bad"},
		{"no line", Error{File: "a.toml", Key: "k", Msg: "m"}, "a.toml: k: m"},
		{"no file", Error{Line: 3, Key: "k", Msg: "m"}, "line 3: k: m"},
		{"no key", Error{File: "a.toml", Line: 1, Msg: "m"}, "a.toml:1: m"},
		{"message only", Error{Msg: "m"}, "m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFileChecks covers the checks that look at the file system: TLS
// files and the access log's directory.
func TestFileChecks(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(cert, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nope", "x")
	tests := []struct {
		name  string
		extra string
		want  string
	}{
		{"files exist", "[server.tls]\ncert_file = '" + cert + "'\nkey_file = '" + cert +
			"'\n[access_log]\noutput = '" + filepath.Join(dir, "access.log") + "'\n", ""},
		{"missing key file", "[server.tls]\ncert_file = '" + cert + "'\nkey_file = '" + missing + "'\n",
			"t.toml:10: server.tls.key_file: file \"" + missing + "\" does not exist"},
		{"key file not set", "[server.tls]\ncert_file = '" + cert + "'\n",
			"t.toml:8: server.tls.key_file: is required"},
		{"log directory missing", "[access_log]\noutput = '" + missing + "'\n",
			"t.toml:9: access_log.output: directory \"" + filepath.Dir(missing) + "\" of the log file does not exist"},
		{"log path is a directory", "[access_log]\noutput = '" + dir + "'\n",
			"t.toml:9: access_log.output: \"" + dir + "\" is a directory, not a file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.toml", []byte(base+tt.extra))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Parse error = %q, want %q", got, tt.want)
			}
		})
	}
}
