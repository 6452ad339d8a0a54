package config

import "time"

// File is the whole TOML document. Each table has its own type below; the
// field docs are the reference, and configs/portico.toml mirrors them.
// Defaults are applied in one place (SetDefaults), so a zero value in a
// field always means "the documented default".
type File struct {
	Server    Server              `toml:"server"`
	AccessLog AccessLog           `toml:"access_log"`
	Admin     Admin               `toml:"admin"`
	Upstreams map[string]Upstream `toml:"upstreams"`
	Routes    map[string]Route    `toml:"routes"`

	// Limits, plans and consumers are filled in by the limits and callers
	// work; see limits.go and auth.go. This package decodes them and
	// rejects unknown keys; their defaults and checks belong to the
	// packages that compile them.
	Limiter   Limiter             `toml:"limiter"`
	Plans     map[string]Plan     `toml:"plans"`
	Consumers map[string]Consumer `toml:"consumers"`
	Auth      Auth                `toml:"auth"`

	// Path is the file the config was read from; it is not a TOML key.
	Path string `toml:"-"`
	// Hash is a short hex digest of the file's bytes, logged on load and
	// reload so operators can tell which config is live.
	Hash string `toml:"-"`

	// index maps key paths to source lines for Locate.
	index *index
}

// Server is the [server] table: the client-facing listener.
type Server struct {
	// Listen is the host:port the gateway accepts clients on. Default
	// "127.0.0.1:8080"; use ":8080" or "0.0.0.0:8080" to listen on every
	// interface.
	Listen string `toml:"listen"`
	// Transport selects the HTTP/1 front end: "standard" (fasthttp's
	// server, the default) or "eventloop" (netpoll). WebSocket routes need
	// "standard".
	Transport string `toml:"transport"`
	// ReadTimeout bounds reading one request, headers and body, from the
	// client. Default 30s; must be positive.
	ReadTimeout time.Duration `toml:"read_timeout"`
	// WriteTimeout bounds writing one response to the client. Default 30s;
	// must be positive.
	WriteTimeout time.Duration `toml:"write_timeout"`
	// IdleTimeout is how long a keep-alive connection may wait for its
	// next request. Default 90s; must be positive.
	IdleTimeout time.Duration `toml:"idle_timeout"`
	// ShutdownTimeout is how long a shutdown or reload waits for in-flight
	// requests before closing their connections. Default 15s; must be
	// positive.
	ShutdownTimeout time.Duration `toml:"shutdown_timeout"`
	// MaxHeaderBytes is the largest request line plus header block
	// accepted, in bytes; larger requests get 431. It is also the size of
	// each connection's read buffer. Default 16384, range 1024 to 1048576.
	MaxHeaderBytes int `toml:"max_header_bytes"`
	// MaxBodyBytes is the largest request body accepted, in bytes; larger
	// requests get 413. Default 10485760 (10 MiB), range 1 to 4294967296
	// (4 GiB).
	MaxBodyBytes int64 `toml:"max_body_bytes"`
	// MaxConnections caps concurrent client connections; connections over
	// it are closed at once. Default 10000, range 1 to 1000000.
	MaxConnections int `toml:"max_connections"`
	// TrustedProxies lists the peers, as IP addresses or CIDR prefixes,
	// whose X-Forwarded-For header is believed when finding the client
	// IP. Default empty: the client IP is always the peer address.
	TrustedProxies []string `toml:"trusted_proxies"`
	// ReduceMemory trades some CPU for less memory per idle connection by
	// releasing buffers between requests. Default true.
	ReduceMemory *bool `toml:"reduce_memory_usage"`
	// LogFormat is the format of the process log: "text" (default) or
	// "json". It does not apply to the access log.
	LogFormat string `toml:"log_format"`
	// LogLevel is the least level of the process log: "debug", "info"
	// (default), "warn" or "error".
	LogLevel string `toml:"log_level"`
	// TLS, when present, makes the listener terminate TLS. Default absent:
	// plain HTTP.
	TLS *TLS `toml:"tls"`
}

// TLS is [server.tls]: terminate TLS on the listener. Relative paths are
// taken from the gateway's working directory, not the config file's.
type TLS struct {
	// CertFile is the PEM certificate chain, leaf first. Required; the file
	// must exist when the config is loaded.
	CertFile string `toml:"cert_file"`
	// KeyFile is the PEM private key of the leaf certificate. Required; the
	// file must exist when the config is loaded.
	KeyFile string `toml:"key_file"`
}

// AccessLog is the [access_log] table: one record per proxied request.
type AccessLog struct {
	// Format is "json" (default, one object a line) or "combined" (the
	// Apache/nginx combined format with durations appended).
	Format string `toml:"format"`
	// Output is "stdout" (default), "stderr", "off" (no access log), or a
	// file path whose directory must exist.
	Output string `toml:"output"`
	// BufferRecords is how many records wait in memory for the writer;
	// records beyond it are dropped and counted, never blocking a request.
	// Default 8192, range 16 to 1048576.
	BufferRecords int `toml:"buffer_records"`
}

// Admin is the [admin] table: a separate listener for operators.
type Admin struct {
	// Listen is the host:port of the admin listener. Default empty: no
	// admin listener. It must differ from server.listen.
	Listen string `toml:"listen"`
	// Pprof serves Go's profiler under /debug/pprof/ on the admin
	// listener. Default false. Profiles expose internals and a CPU
	// profile costs CPU while it runs: keep the admin listener private.
	Pprof bool `toml:"pprof"`
}

// Upstream is one [upstreams.NAME] table: a set of targets that share a
// connection pool and a balancing policy.
type Upstream struct {
	// Targets are the servers behind the upstream; at least one.
	Targets []Target `toml:"targets"`
	// Balance picks a target per request: "round_robin" (default),
	// "weighted" (smooth weighted round robin on target weights),
	// "least_outstanding" (fewest requests in flight) or
	// "consistent_hash" (on HashKey).
	Balance string `toml:"balance"`
	// HashKey is what consistent_hash hashes: "client_ip" (default with
	// consistent_hash), "path", "header:NAME" or "consumer". Only allowed
	// with balance = "consistent_hash".
	HashKey string `toml:"hash_key"`
	// ConnectTimeout bounds dialing a target. Default 1s; must be
	// positive.
	ConnectTimeout time.Duration `toml:"connect_timeout"`
	// ResponseTimeout bounds waiting for a target's full response; a
	// route's timeout overrides it. Default 30s; must be positive.
	ResponseTimeout time.Duration `toml:"response_timeout"`
	// IdleTimeout closes pooled keep-alive connections unused for this
	// long. Default 60s; must be positive.
	IdleTimeout time.Duration `toml:"idle_timeout"`
	// MaxConnsPerTarget caps the open connections to each target. Default
	// 512, range 1 to 100000.
	MaxConnsPerTarget int `toml:"max_conns_per_target"`
	// QueueTimeout is how long a request waits for a free connection when
	// a target's pool is full. Default 0: fail at once (503); must not be
	// negative.
	QueueTimeout time.Duration `toml:"queue_timeout"`
	// HostHeader sets the Host header sent upstream: "target" (default,
	// the target's address), "client" (the Host the client sent) or any
	// other value, sent as written.
	HostHeader string `toml:"host_header"`
	// Retries is how many other targets a request may try after a failure
	// that is safe to retry (see the pool package). Default 1; 0 turns
	// retries off; range 0 to 10.
	Retries *int `toml:"retries"`
	// HealthCheck, when present, probes every target actively. Default
	// absent: targets are assumed healthy unless Outlier ejects them.
	HealthCheck *HealthCheck `toml:"health_check"`
	// Outlier tunes passive ejection of targets after repeated failures.
	// Passive ejection is always on; an absent table means its defaults.
	//
	// TODO: no switch turns passive ejection off; an operator who wants
	// none must set consecutive_failures = 1000 and may still see ejections.
	Outlier *Outlier `toml:"outlier"`
	// MaxResponseHeaders is the largest response header block read from a
	// target, in bytes; larger responses fail with 502. Default 16384,
	// range 1024 to 1048576.
	MaxResponseHeaders int `toml:"max_response_header_bytes"`
}

// Target is one entry of an upstream's targets array.
type Target struct {
	// Address is the target's host:port (a name, IPv4 or [IPv6] with a
	// port). Required.
	Address string `toml:"address"`
	// Weight is the target's share of requests under balance "weighted"
	// (and the number of virtual nodes under "consistent_hash"). Default
	// 1, range 1 to 1000.
	Weight int `toml:"weight"`
}

// HealthCheck is [upstreams.NAME.health_check]: active probing of every
// target with a GET.
type HealthCheck struct {
	// Path is the request path probed. Default "/"; must start with "/".
	Path string `toml:"path"`
	// Interval is the time between probes of a target. Default 10s; must
	// be positive.
	Interval time.Duration `toml:"interval"`
	// Timeout bounds one probe. Default 2s; must be positive and not
	// longer than Interval.
	Timeout time.Duration `toml:"timeout"`
	// HealthyThreshold is how many probes in a row must pass before a
	// down target is used again. Default 2, range 1 to 100.
	HealthyThreshold int `toml:"healthy_threshold"`
	// UnhealthyThreshold is how many probes in a row must fail before a
	// target is marked down. Default 3, range 1 to 100.
	UnhealthyThreshold int `toml:"unhealthy_threshold"`
	// ExpectStatus lists the statuses that pass. Default empty: 200 to
	// 399 pass. Each must be in 100..599.
	ExpectStatus []int `toml:"expect_status"`
}

// Outlier is [upstreams.NAME.outlier]: passive ejection on errors.
type Outlier struct {
	// ConsecutiveFailures is how many connection or 5xx-class failures
	// in a row eject a target. Default 5, range 1 to 1000.
	ConsecutiveFailures int `toml:"consecutive_failures"`
	// EjectionTime is how long a first ejection lasts; repeated ejections
	// last longer (see the pool package). Default 30s; must be positive.
	EjectionTime time.Duration `toml:"ejection_time"`
	// MaxEjectedPercent caps the share of an upstream's targets ejected at
	// once. Default 50, range 1 to 100.
	MaxEjectedPercent int `toml:"max_ejected_percent"`
}

// Route is one [routes.NAME] table: which requests it takes and where
// they go. Exactly one of Upstream and Respond must be set.
type Route struct {
	// Hosts are the Host values the route answers, without port, matched
	// case-insensitively; "*.example.com" matches any subdomain depth.
	// Default empty: any host.
	Hosts []string `toml:"hosts"`
	// Methods are the upper-case methods the route answers; HEAD is
	// implied by GET. Default empty: any method.
	Methods []string `toml:"methods"`
	// Path is the route's pattern: "/users/:id" names one segment,
	// "/static/*rest" the rest of the path. Required. Two routes with the
	// same host, method and pattern shape are a conflict.
	Path string `toml:"path"`
	// Upstream is the name of the [upstreams.NAME] table requests go to.
	Upstream string `toml:"upstream"`
	// StripPrefix is removed from the path before forwarding; it must
	// start with "/" and be a literal prefix of Path ending at a segment
	// boundary. Default empty. Not allowed together with Rewrite.
	StripPrefix string `toml:"strip_prefix"`
	// Rewrite replaces the forwarded path with a template that may use
	// Path's parameters, e.g. "/v2/users/:id" or "*rest". Default empty:
	// the path is forwarded as received (less StripPrefix).
	Rewrite string `toml:"rewrite"`
	// Timeout overrides the upstream's response_timeout for this route.
	// Default 0: the upstream's response_timeout; must not be negative.
	Timeout time.Duration `toml:"timeout"`
	// WebSocket lets upgrade requests through to the upstream. Default
	// false. Needs an upstream and server.transport = "standard".
	WebSocket bool `toml:"websocket"`
	// Respond, when present, makes the gateway answer by itself instead
	// of forwarding (maintenance pages, redirects).
	Respond *Respond `toml:"respond"`

	// Plan names a [plans.NAME] table that applies on this route instead
	// of the caller's own plan. Default empty: the caller's plan. The
	// limits package checks it.
	Plan string `toml:"plan"`
	// Limits are extra rate limits on this route, added to the plan's
	// (see LimitRule and the limits package). Default none.
	Limits []LimitRule `toml:"limits"`
	// Access, when present, says who may call the route (see Access and
	// the auth package). Default absent: any caller the global IP lists
	// in [auth] let through.
	Access *Access `toml:"access"`
	// CORS, when present, answers cross-origin preflights and adds CORS
	// headers (see CORS). Default absent: no CORS handling.
	CORS *CORS `toml:"cors"`
}

// Respond is [routes.NAME.respond]: the gateway answers by itself.
type Respond struct {
	// Status is the response status. Default 200, range 100 to 599.
	Status int `toml:"status"`
	// Headers are set on the response, e.g. Location for a redirect or
	// Content-Type for the body. Default none.
	Headers map[string]string `toml:"headers"`
	// Body is sent as written. Default empty.
	Body string `toml:"body"`
}
