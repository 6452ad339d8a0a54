package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/proxy"
)

// sites are the site shapes every generator is tested with.
var sites = []struct {
	name string
	s    site
}{
	{name: "catch-all only", s: site{Listen: "127.0.0.1:18080", Upstream: "127.0.0.1:19000"}},
	{name: "1000 routes", s: site{Listen: "127.0.0.1:18080", Upstream: "127.0.0.1:19000",
		ExtraRoutes: 999}},
	{name: "eventloop", s: site{Listen: "127.0.0.1:18080", Upstream: "127.0.0.1:19000",
		Transport: "eventloop"}},
	{name: "rate limit", s: site{Listen: "127.0.0.1:18080", Upstream: "127.0.0.1:19000",
		Limit: true}},
	{name: "api key", s: site{Listen: "127.0.0.1:18080", Upstream: "127.0.0.1:19000",
		Auth: true, ExtraRoutes: 2}},
}

func TestRoutePrefix(t *testing.T) {
	if got := routePrefix(42); got != "/r0042/" {
		t.Errorf("routePrefix(42) = %q, want %q", got, "/r0042/")
	}
}

func TestPorticoConfigLoads(t *testing.T) {
	for _, tt := range sites {
		t.Run(tt.name, func(t *testing.T) {
			data := porticoConfig(tt.s)
			f, err := config.Parse("bench.toml", data)
			if err != nil {
				t.Fatalf("config.Parse(porticoConfig) error:\n%v\n%s", err, data)
			}
			if err := proxy.Check(f); err != nil {
				t.Fatalf("proxy.Check(porticoConfig) error:\n%v\n%s", err, data)
			}
			if got := f.Routes["all"]; tt.s.Limit != (len(got.Limits) == 1) ||
				tt.s.Auth != (got.Access != nil) || tt.s.Auth != (len(f.Consumers) == 1) {
				t.Errorf("route all limits, access, consumers = %v, %v, %v, want limit %v auth %v",
					got.Limits, got.Access, f.Consumers, tt.s.Limit, tt.s.Auth)
			}
			if got := len(f.Routes); got != tt.s.ExtraRoutes+1 {
				t.Errorf("routes = %d, want %d", got, tt.s.ExtraRoutes+1)
			}
			if f.Server.Listen != tt.s.Listen || f.AccessLog.Output != "off" {
				t.Errorf("listen, access log = %q, %q, want %q, off",
					f.Server.Listen, f.AccessLog.Output, tt.s.Listen)
			}
			if got := f.Upstreams["b"].Targets[0].Address; got != tt.s.Upstream {
				t.Errorf("upstream target = %q, want %q", got, tt.s.Upstream)
			}
		})
	}
}

func TestNginxConfig(t *testing.T) {
	for _, tt := range sites {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			s.Dir = t.TempDir()
			data := string(nginxConfig(s))
			for _, want := range []string{"worker_processes 1;", "access_log off;",
				"keepalive 64;", "proxy_http_version 1.1;", `proxy_set_header Connection "";`,
				"daemon off;", "listen " + s.Listen, "server " + s.Upstream + ";"} {
				if !strings.Contains(data, want) {
					t.Errorf("nginxConfig lacks %q", want)
				}
			}
			if got := strings.Count(data, "location "); got != s.ExtraRoutes+1 {
				t.Errorf("nginxConfig has %d locations, want %d", got, s.ExtraRoutes+1)
			}
			if got := strings.Count(data, "limit_req "); s.Limit != (got == s.ExtraRoutes+1) {
				t.Errorf("nginxConfig has %d limit_req, want one per location: %v", got, s.Limit)
			}
			if got := strings.Count(data, "return 401;"); s.Auth != (got == s.ExtraRoutes+1) {
				t.Errorf("nginxConfig has %d key checks, want one per location: %v", got, s.Auth)
			}
			checkWithTool(t, "nginx", s.Dir, "nginx.conf", data,
				func(path string) []string { return []string{"-t", "-q", "-p", s.Dir, "-c", path} })
		})
	}
}

func TestHAProxyConfig(t *testing.T) {
	for _, tt := range sites {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			s.Dir = t.TempDir()
			data := string(haproxyConfig(s))
			for _, want := range []string{"nbthread 1", "mode http", "http-reuse always",
				"bind " + s.Listen, "server s1 " + s.Upstream} {
				if !strings.Contains(data, want) {
					t.Errorf("haproxyConfig lacks %q", want)
				}
			}
			if strings.Contains(data, "\n    log ") {
				t.Errorf("haproxyConfig logs; want no log lines")
			}
			if s.Limit != strings.Contains(data, "track-sc0 src") ||
				s.Auth != strings.Contains(data, "req.hdr(x-api-key) -m str "+benchAPIKey) {
				t.Errorf("haproxyConfig limit or key check does not match limit %v auth %v",
					s.Limit, s.Auth)
			}
			if got := strings.Count(data, "use_backend"); got != s.ExtraRoutes {
				t.Errorf("haproxyConfig has %d use_backend rules, want %d", got, s.ExtraRoutes)
			}
			checkWithTool(t, "haproxy", s.Dir, "haproxy.cfg", data,
				func(path string) []string { return []string{"-c", "-q", "-f", path} })
		})
	}
}

// checkWithTool writes data to dir/name and, when the tool is installed,
// runs its own config check on it.
func checkWithTool(t *testing.T, tool, dir, name, data string, args func(string) []string) {
	t.Helper()
	bin, err := exec.LookPath(tool)
	if err != nil {
		t.Logf("%s not installed; config checked by content only", tool)
		return
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, args(path)...).CombinedOutput()
	if err != nil {
		t.Errorf("%s rejects its generated config: %v\n%s", tool, err, out)
	}
}
