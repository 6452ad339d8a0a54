package config

import "time"

// File is the whole TOML document. Each table has its own type below; the
// field docs are the reference, and configs/portico.toml mirrors them.
// Defaults are applied in one place (defaults.go), so a zero value in a
// field always means "the documented default".
type File struct {
	Server    Server              `toml:"server"`
	AccessLog AccessLog           `toml:"access_log"`
	Admin     Admin               `toml:"admin"`
	Upstreams map[string]Upstream `toml:"upstreams"`
	Routes    map[string]Route    `toml:"routes"`

	// Limits, plans and consumers are filled in by the limits and callers
	// work; see limits.go and auth.go.
	Limiter   Limiter             `toml:"limiter"`
	Plans     map[string]Plan     `toml:"plans"`
	Consumers map[string]Consumer `toml:"consumers"`
	Auth      Auth                `toml:"auth"`

	// Path is the file the config was read from; it is not a TOML key.
	Path string `toml:"-"`
	// Hash is a short hex digest of the file's bytes, logged on load and
	// reload so operators can tell which config is live.
	Hash string `toml:"-"`
}

// Server is the [server] table: the client-facing listener.
type Server struct {
	Listen          string        `toml:"listen"`
	Transport       string        `toml:"transport"`
	ReadTimeout     time.Duration `toml:"read_timeout"`
	WriteTimeout    time.Duration `toml:"write_timeout"`
	IdleTimeout     time.Duration `toml:"idle_timeout"`
	ShutdownTimeout time.Duration `toml:"shutdown_timeout"`
	MaxHeaderBytes  int           `toml:"max_header_bytes"`
	MaxBodyBytes    int64         `toml:"max_body_bytes"`
	MaxConnections  int           `toml:"max_connections"`
	TrustedProxies  []string      `toml:"trusted_proxies"`
	ReduceMemory    *bool         `toml:"reduce_memory_usage"`
	ReadBufferBytes int           `toml:"read_buffer_bytes"`
	LogFormat       string        `toml:"log_format"`
	LogLevel        string        `toml:"log_level"`
	TLS             *TLS          `toml:"tls"`
}

// TLS is [server.tls]: terminate TLS on the listener.
type TLS struct {
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
}

// AccessLog is the [access_log] table.
type AccessLog struct {
	Format        string `toml:"format"`
	Output        string `toml:"output"`
	BufferRecords int    `toml:"buffer_records"`
}

// Admin is the [admin] table: a separate listener for operators.
type Admin struct {
	Listen string `toml:"listen"`
}

// Upstream is one [upstreams.NAME] table.
type Upstream struct {
	Targets            []Target      `toml:"targets"`
	Balance            string        `toml:"balance"`
	HashKey            string        `toml:"hash_key"`
	ConnectTimeout     time.Duration `toml:"connect_timeout"`
	ResponseTimeout    time.Duration `toml:"response_timeout"`
	IdleTimeout        time.Duration `toml:"idle_timeout"`
	MaxConnsPerTarget  int           `toml:"max_conns_per_target"`
	QueueTimeout       time.Duration `toml:"queue_timeout"`
	HostHeader         string        `toml:"host_header"`
	Retries            *int          `toml:"retries"`
	HealthCheck        *HealthCheck  `toml:"health_check"`
	Outlier            *Outlier      `toml:"outlier"`
	MaxResponseHeaders int           `toml:"max_response_header_bytes"`
}

// Target is one entry of an upstream's targets array.
type Target struct {
	Address string `toml:"address"`
	Weight  int    `toml:"weight"`
}

// HealthCheck is [upstreams.NAME.health_check]: active probing.
type HealthCheck struct {
	Path               string        `toml:"path"`
	Interval           time.Duration `toml:"interval"`
	Timeout            time.Duration `toml:"timeout"`
	HealthyThreshold   int           `toml:"healthy_threshold"`
	UnhealthyThreshold int           `toml:"unhealthy_threshold"`
	ExpectStatus       []int         `toml:"expect_status"`
}

// Outlier is [upstreams.NAME.outlier]: passive ejection on errors.
type Outlier struct {
	ConsecutiveFailures int           `toml:"consecutive_failures"`
	EjectionTime        time.Duration `toml:"ejection_time"`
	MaxEjectedPercent   int           `toml:"max_ejected_percent"`
}

// Route is one [routes.NAME] table.
type Route struct {
	Hosts       []string      `toml:"hosts"`
	Methods     []string      `toml:"methods"`
	Path        string        `toml:"path"`
	Upstream    string        `toml:"upstream"`
	StripPrefix string        `toml:"strip_prefix"`
	Rewrite     string        `toml:"rewrite"`
	Timeout     time.Duration `toml:"timeout"`
	WebSocket   bool          `toml:"websocket"`
	Respond     *Respond      `toml:"respond"`

	// Plan, Limits and Auth are the per-route policy hooks of the limits
	// and callers work (limits.go, auth.go).
	Plan   string      `toml:"plan"`
	Limits []LimitRule `toml:"limits"`
	Access *Access     `toml:"access"`
	CORS   *CORS       `toml:"cors"`
}

// Respond is [routes.NAME.respond]: the gateway answers by itself.
type Respond struct {
	Status  int               `toml:"status"`
	Headers map[string]string `toml:"headers"`
	Body    string            `toml:"body"`
}
