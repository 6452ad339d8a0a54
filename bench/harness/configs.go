package harness

import (
	"bytes"
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
            proxy_pass http://b;
        }
`, filepath.Join(s.Dir, "nginx.pid"), filepath.Join(s.Dir, "nginx-error.log"),
		tmp("client"), tmp("proxy"), tmp("fastcgi"), tmp("uwsgi"), tmp("scgi"),
		s.Upstream, s.Listen)
	for i := range s.ExtraRoutes {
		fmt.Fprintf(&b, "        location %s {\n            proxy_pass http://b;\n        }\n",
			routePrefix(i))
	}
	b.WriteString("    }\n}\n")
	return b.Bytes()
}

// haproxyConfig renders a haproxy.cfg for s: one thread, HTTP mode,
// aggressive upstream connection reuse, no logging. Extra routes are
// path_beg rules, evaluated in order as HAProxy does.
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
	for i := range s.ExtraRoutes {
		fmt.Fprintf(&b, "    use_backend b if { path_beg %s }\n", routePrefix(i))
	}
	fmt.Fprintf(&b, `    default_backend b

backend b
    server s1 %s
`, s.Upstream)
	return b.Bytes()
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
`, strconv.Quote(s.Upstream))
	for i := range s.ExtraRoutes {
		fmt.Fprintf(&b, "\n[routes.r%04d]\npath = %s\nupstream = \"b\"\n",
			i, strconv.Quote(routePrefix(i)+"*rest"))
	}
	return b.Bytes()
}
