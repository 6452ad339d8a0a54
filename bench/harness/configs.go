package harness

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
)

// site is what every proxy target is configured to do: listen on one
// loopback port and pass every request to the backend over kept-alive
// upstream connections, with ExtraRoutes prefix routes in front of the
// catch-all so that route tables of equal size can be compared.
type site struct {
	// Listen is the proxy's host:port.
	Listen string
	// Upstream is the backend's host:port.
	Upstream string
	// ExtraRoutes is the number of routes besides the catch-all, each a
	// prefix routePrefix(i) for i in 0..ExtraRoutes-1, all to the backend.
	ExtraRoutes int
	// Dir holds the pid file, error log and temp files.
	Dir string
	// Transport is Portico's [server] transport; empty keeps its default.
	Transport string
	// Limit adds a per-client-IP rate limit of limitPerSecond.
	Limit bool
	// Auth requires the X-API-Key header to hold benchAPIKey.
	Auth bool
}

// limitPerSecond is the rate of the bench's rate limit: far above what
// one machine can send, so it counts every request and refuses none.
const limitPerSecond = 100000000

// benchAPIKey is the API key the auth scenario sends. nginx and HAProxy
// compare it as text; Portico is given only its SHA-256, as it would be
// in production.
const benchAPIKey = "bench-key-0123456789abcdef"

// nginxLimitZone returns the limit_req_zone line of the limit scenario.
func nginxLimitZone(s site) string {
	if !s.Limit {
		return ""
	}
	return fmt.Sprintf("    limit_req_zone $binary_remote_addr zone=bench:10m rate=%dr/s;\n",
		limitPerSecond)
}

// nginxKeyMap returns the map that marks requests with the bench API key.
func nginxKeyMap(s site) string {
	if !s.Auth {
		return ""
	}
	return "    map $http_x_api_key $bench_key_ok {\n        default 0;\n        \"" +
		benchAPIKey + "\" 1;\n    }\n"
}

// nginxChecks returns the per-location limit and key checks.
func nginxChecks(s site) string {
	var c string
	if s.Limit {
		c += fmt.Sprintf("            limit_req zone=bench burst=%d nodelay;\n", limitPerSecond)
	}
	if s.Auth {
		c += "            if ($bench_key_ok = 0) {\n                return 401;\n            }\n"
	}
	return c
}

// routePrefix returns the path prefix of extra route i, like "/r0042/".
func routePrefix(i int) string {
	return fmt.Sprintf("/r%04d/", i)
}

// nginxConfig renders an nginx.conf for s: one worker, no access log,
// an upstream with keepalive, HTTP/1.1 to the upstream with the client's
// Connection header cleared, and buffers large enough that a 16 KiB body
// and a 64 KiB response stay in memory, as they do in the other targets.
func nginxConfig(s site) []byte {
	var b bytes.Buffer
	tmp := func(name string) string { return filepath.Join(s.Dir, "nginx-"+name) }
	fmt.Fprintf(&b, `daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 16384;
pid %s;
error_log %s warn;

events {
    worker_connections 8192;
}

http {
    access_log off;
    client_body_temp_path %s;
    proxy_temp_path %s;
    fastcgi_temp_path %s;
    uwsgi_temp_path %s;
    scgi_temp_path %s;

    keepalive_timeout 75s;
    keepalive_requests 1000000;
    client_max_body_size 1m;
    client_body_buffer_size 64k;
    proxy_buffer_size 16k;
    proxy_buffers 16 16k;

%s%s
    upstream b {
        server %s;
        keepalive 64;
        keepalive_requests 1000000;
    }

    server {
        listen %s backlog=4096;
        proxy_http_version 1.1;
        proxy_set_header Connection "";

        location / {
%s            proxy_pass http://b;
        }
`, filepath.Join(s.Dir, "nginx.pid"), filepath.Join(s.Dir, "nginx-error.log"),
		tmp("client"), tmp("proxy"), tmp("fastcgi"), tmp("uwsgi"), tmp("scgi"),
		nginxLimitZone(s), nginxKeyMap(s), s.Upstream, s.Listen, nginxChecks(s))
	for i := range s.ExtraRoutes {
		fmt.Fprintf(&b, "        location %s {\n%s            proxy_pass http://b;\n        }\n",
			routePrefix(i), nginxChecks(s))
	}
	b.WriteString("    }\n}\n")
	return b.Bytes()
}

// haproxyConfig renders a haproxy.cfg for s: one thread, HTTP mode,
// aggressive upstream connection reuse, no logging. Extra routes are
// path_beg rules, evaluated in order as HAProxy does.
//
// TODO: also measure the extra routes as one map_beg lookup, the form a
// large HAProxy table would take in production; until then the 1,000
// route scenario charges HAProxy for about 500 rule checks per request,
// which readers of that table should keep in mind.
func haproxyConfig(s site) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `global
    nbthread 1
    maxconn 8192
    pidfile %s

defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 75s

frontend fe
    bind %s
    maxconn 8192
`, filepath.Join(s.Dir, "haproxy.pid"), s.Listen)
	if s.Limit {
		fmt.Fprintf(&b, `    stick-table type ip size 100k expire 10s store http_req_rate(1s)
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt %d }
`, limitPerSecond)
	}
	if s.Auth {
		fmt.Fprintf(&b, "    http-request deny deny_status 401 unless { req.hdr(x-api-key) -m str %s }\n",
			benchAPIKey)
	}
	for i := range s.ExtraRoutes {
		fmt.Fprintf(&b, "    use_backend b if { path_beg %s }\n", routePrefix(i))
	}
	fmt.Fprintf(&b, `    default_backend b

backend b
    server s1 %s
`, s.Upstream)
	return b.Bytes()
}

// porticoPolicy returns the limit and access keys of route name. The
// limit is hidden so that, like nginx and HAProxy, Portico sends no
// rate-limit headers.
func porticoPolicy(s site, name string) string {
	var p string
	if s.Limit {
		p += fmt.Sprintf("limits = [{ name = \"bench\", rate = \"%d per 1s\", "+
			"key = [\"ip\"], hidden = true }]\n", limitPerSecond)
	}
	if s.Auth {
		p += "\n[routes." + name + ".access]\nmethods = [\"key\"]\n"
	}
	return p
}

// porticoConfig renders a Portico TOML file for s: access log off, one
// upstream, a catch-all route and the extra prefix routes.
func porticoConfig(s site) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "[server]\nlisten = %s\n", strconv.Quote(s.Listen))
	if s.Transport != "" {
		fmt.Fprintf(&b, "transport = %s\n", strconv.Quote(s.Transport))
	}
	fmt.Fprintf(&b, `
[access_log]
output = "off"

[upstreams.b]
targets = [{address = %s}]

[routes.all]
path = "/*rest"
upstream = "b"
%s`, strconv.Quote(s.Upstream), porticoPolicy(s, "all"))
	for i := range s.ExtraRoutes {
		name := fmt.Sprintf("r%04d", i)
		fmt.Fprintf(&b, "\n[routes.%s]\npath = %s\nupstream = \"b\"\n%s",
			name, strconv.Quote(routePrefix(i)+"*rest"), porticoPolicy(s, name))
	}
	if s.Auth {
		sum := sha256.Sum256([]byte(benchAPIKey))
		fmt.Fprintf(&b, "\n[consumers.bench]\nkey_sha256 = [%q]\n", hex.EncodeToString(sum[:]))
	}
	return b.Bytes()
}
