package config

import "time"

// The defaults of config.go's fields, kept together so the field docs,
// configs/portico.toml and SetDefaults are easy to compare (a test checks
// that the reference file changes nothing when defaults are applied).
const (
	defaultListen          = "127.0.0.1:8080"
	defaultTransport       = "standard"
	defaultReadTimeout     = 30 * time.Second
	defaultWriteTimeout    = 30 * time.Second
	defaultIdleTimeout     = 90 * time.Second
	defaultShutdownTimeout = 15 * time.Second
	defaultMaxHeaderBytes  = 16 << 10
	defaultMaxBodyBytes    = 10 << 20
	defaultMaxConnections  = 10000
	defaultLogFormat       = "text"
	defaultLogLevel        = "info"

	defaultAccessLogFormat = "json"
	defaultAccessLogOutput = "stdout"
	defaultBufferRecords   = 8192

	defaultBalance             = "round_robin"
	defaultHashKey             = "client_ip"
	defaultConnectTimeout      = time.Second
	defaultResponseTimeout     = 30 * time.Second
	defaultUpstreamIdleTimeout = 60 * time.Second
	defaultMaxConnsPerTarget   = 512
	defaultHostHeader          = "target"
	defaultRetries             = 1
	defaultWeight              = 1
	defaultMaxResponseHeaders  = 16 << 10

	defaultHealthPath         = "/"
	defaultHealthInterval     = 10 * time.Second
	defaultHealthTimeout      = 2 * time.Second
	defaultHealthyThreshold   = 2
	defaultUnhealthyThreshold = 3

	defaultConsecutiveFailures = 5
	defaultEjectionTime        = 30 * time.Second
	defaultMaxEjectedPercent   = 50

	defaultRespondStatus = 200
)

// SetDefaults replaces every zero field that has a documented default
// with that default, in the gateway core's tables (server, access log,
// upstreams, routes). It leaves the limiter, plans, consumers and auth
// tables to the packages that compile them. Load and Parse call it; it is
// exported for code that builds a File by hand, and calling it twice
// changes nothing.
func (f *File) SetDefaults() {
	f.Server.setDefaults()
	f.AccessLog.setDefaults()
	for name, u := range f.Upstreams {
		u.setDefaults()
		f.Upstreams[name] = u
	}
	for name, r := range f.Routes {
		if r.Respond != nil && r.Respond.Status == 0 {
			r.Respond.Status = defaultRespondStatus
		}
		f.Routes[name] = r
	}
}

// setDefaults fills the zero fields of [server].
func (s *Server) setDefaults() {
	setString(&s.Listen, defaultListen)
	setString(&s.Transport, defaultTransport)
	setDuration(&s.ReadTimeout, defaultReadTimeout)
	setDuration(&s.WriteTimeout, defaultWriteTimeout)
	setDuration(&s.IdleTimeout, defaultIdleTimeout)
	setDuration(&s.ShutdownTimeout, defaultShutdownTimeout)
	setInt(&s.MaxHeaderBytes, defaultMaxHeaderBytes)
	if s.MaxBodyBytes == 0 {
		s.MaxBodyBytes = defaultMaxBodyBytes
	}
	setInt(&s.MaxConnections, defaultMaxConnections)
	if s.ReduceMemory == nil {
		on := true
		s.ReduceMemory = &on
	}
	setString(&s.LogFormat, defaultLogFormat)
	setString(&s.LogLevel, defaultLogLevel)
}

// setDefaults fills the zero fields of [access_log].
func (a *AccessLog) setDefaults() {
	setString(&a.Format, defaultAccessLogFormat)
	setString(&a.Output, defaultAccessLogOutput)
	setInt(&a.BufferRecords, defaultBufferRecords)
}

// setDefaults fills the zero fields of one upstream, its targets, health
// check and outlier tables.
func (u *Upstream) setDefaults() {
	setString(&u.Balance, defaultBalance)
	if u.Balance == "consistent_hash" {
		setString(&u.HashKey, defaultHashKey)
	}
	setDuration(&u.ConnectTimeout, defaultConnectTimeout)
	setDuration(&u.ResponseTimeout, defaultResponseTimeout)
	setDuration(&u.IdleTimeout, defaultUpstreamIdleTimeout)
	setInt(&u.MaxConnsPerTarget, defaultMaxConnsPerTarget)
	setString(&u.HostHeader, defaultHostHeader)
	if u.Retries == nil {
		n := defaultRetries
		u.Retries = &n
	}
	setInt(&u.MaxResponseHeaders, defaultMaxResponseHeaders)
	for i := range u.Targets {
		setInt(&u.Targets[i].Weight, defaultWeight)
	}
	if h := u.HealthCheck; h != nil {
		setString(&h.Path, defaultHealthPath)
		setDuration(&h.Interval, defaultHealthInterval)
		setDuration(&h.Timeout, defaultHealthTimeout)
		setInt(&h.HealthyThreshold, defaultHealthyThreshold)
		setInt(&h.UnhealthyThreshold, defaultUnhealthyThreshold)
	}
	// Passive ejection is always on (the pool applies it), so an absent
	// table is filled in to show what runs.
	if u.Outlier == nil {
		u.Outlier = &Outlier{}
	}
	o := u.Outlier
	setInt(&o.ConsecutiveFailures, defaultConsecutiveFailures)
	setDuration(&o.EjectionTime, defaultEjectionTime)
	setInt(&o.MaxEjectedPercent, defaultMaxEjectedPercent)
}

// setString sets *p to def when it is empty.
func setString(p *string, def string) {
	if *p == "" {
		*p = def
	}
}

// setInt sets *p to def when it is zero.
func setInt(p *int, def int) {
	if *p == 0 {
		*p = def
	}
}

// setDuration sets *p to def when it is zero.
func setDuration(p *time.Duration, def time.Duration) {
	if *p == 0 {
		*p = def
	}
}
