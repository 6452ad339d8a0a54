package config

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// problems collects the *Errors of one validation run.
type problems struct {
	errs []*Error
}

// add records a problem with the value at key.
func (p *problems) add(key, format string, args ...any) {
	p.errs = append(p.errs, Errorf(key, format, args...))
}

// validate checks a File whose defaults are applied and returns every
// problem found in the gateway core's tables.
func (f *File) validate() []*Error {
	var p problems
	f.Server.validate(&p)
	f.AccessLog.validate(&p)
	f.validateAdmin(&p)
	for _, name := range sortedKeys(f.Upstreams) {
		f.Upstreams[name].validate(&p, joinKey("upstreams", name))
	}
	f.validateRoutes(&p)
	return p.errs
}

// validate checks [server].
func (s *Server) validate(p *problems) {
	checkListen(p, "server.listen", s.Listen)
	checkEnum(p, "server.transport", s.Transport, "standard", "eventloop")
	checkPositive(p, "server.read_timeout", s.ReadTimeout)
	checkPositive(p, "server.write_timeout", s.WriteTimeout)
	checkPositive(p, "server.idle_timeout", s.IdleTimeout)
	checkPositive(p, "server.shutdown_timeout", s.ShutdownTimeout)
	checkRange(p, "server.max_header_bytes", int64(s.MaxHeaderBytes), 1<<10, 1<<20)
	checkRange(p, "server.max_body_bytes", s.MaxBodyBytes, 1, 4<<30)
	checkRange(p, "server.max_connections", int64(s.MaxConnections), 1, 1_000_000)
	checkEnum(p, "server.log_format", s.LogFormat, "text", "json")
	checkEnum(p, "server.log_level", s.LogLevel, "debug", "info", "warn", "error")

	// Trusted proxies are single addresses or prefixes; a host name here
	// would have to be resolved on every request, so it is refused.
	for i, tp := range s.TrustedProxies {
		key := "server.trusted_proxies[" + strconv.Itoa(i) + "]"
		if _, err := netip.ParsePrefix(tp); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(tp); err != nil {
			p.add(key, "%q is neither an IP address nor a CIDR prefix", tp)
		}
	}

	if s.TLS != nil {
		checkFile(p, "server.tls.cert_file", s.TLS.CertFile)
		checkFile(p, "server.tls.key_file", s.TLS.KeyFile)
	}
}

// validate checks [access_log].
func (a *AccessLog) validate(p *problems) {
	checkEnum(p, "access_log.format", a.Format, "json", "combined")
	checkRange(p, "access_log.buffer_records", int64(a.BufferRecords), 16, 1<<20)
	switch a.Output {
	case "off", "stdout", "stderr":
	default:
		dir := filepath.Dir(a.Output)
		if st, err := os.Stat(a.Output); err == nil && st.IsDir() {
			p.add("access_log.output", "%q is a directory, not a file", a.Output)
		} else if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			p.add("access_log.output", "directory %q of the log file does not exist", dir)
		}
	}
}

// validateAdmin checks [admin].
func (f *File) validateAdmin(p *problems) {
	l := f.Admin.Listen
	if l == "" {
		return
	}
	checkListen(p, "admin.listen", l)
	if l == f.Server.Listen && !strings.HasSuffix(l, ":0") {
		p.add("admin.listen", "must differ from server.listen %q", f.Server.Listen)
	}
}

// validate checks one [upstreams.NAME] table; key is its key path.
func (u Upstream) validate(p *problems, key string) {
	if len(u.Targets) == 0 {
		p.add(key+".targets", "at least one target is required")
	}
	seen := make(map[string]bool, len(u.Targets))
	for i, t := range u.Targets {
		tk := key + ".targets[" + strconv.Itoa(i) + "]"
		checkAddress(p, tk+".address", t.Address)
		if seen[t.Address] {
			p.add(tk+".address", "duplicate target %q", t.Address)
		}
		seen[t.Address] = true
		checkRange(p, tk+".weight", int64(t.Weight), 1, 1000)
	}

	checkEnum(p, key+".balance", u.Balance,
		"round_robin", "weighted", "least_outstanding", "consistent_hash")
	if u.HashKey != "" {
		if u.Balance != "consistent_hash" {
			p.add(key+".hash_key", `only allowed with balance = "consistent_hash"`)
		} else if msg := hashKeyProblem(u.HashKey); msg != "" {
			p.add(key+".hash_key", "%s", msg)
		}
	}

	checkPositive(p, key+".connect_timeout", u.ConnectTimeout)
	checkPositive(p, key+".response_timeout", u.ResponseTimeout)
	checkPositive(p, key+".idle_timeout", u.IdleTimeout)
	if u.QueueTimeout < 0 {
		p.add(key+".queue_timeout", "must not be negative")
	}
	checkRange(p, key+".max_conns_per_target", int64(u.MaxConnsPerTarget), 1, 100_000)
	checkRange(p, key+".max_response_header_bytes", int64(u.MaxResponseHeaders), 1<<10, 1<<20)
	if u.Retries != nil {
		checkRange(p, key+".retries", int64(*u.Retries), 0, 10)
	}
	if strings.ContainsFunc(u.HostHeader, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		p.add(key+".host_header", "must not contain spaces or control characters")
	}

	if h := u.HealthCheck; h != nil {
		h.validate(p, key+".health_check")
	}
	if o := u.Outlier; o != nil {
		checkRange(p, key+".outlier.consecutive_failures", int64(o.ConsecutiveFailures), 1, 1000)
		checkPositive(p, key+".outlier.ejection_time", o.EjectionTime)
		checkRange(p, key+".outlier.max_ejected_percent", int64(o.MaxEjectedPercent), 1, 100)
	}
}

// validate checks one [upstreams.NAME.health_check] table at key.
func (h *HealthCheck) validate(p *problems, key string) {
	if !strings.HasPrefix(h.Path, "/") {
		p.add(key+".path", `must start with "/"`)
	}
	checkPositive(p, key+".interval", h.Interval)
	checkPositive(p, key+".timeout", h.Timeout)
	if h.Timeout > h.Interval && h.Interval > 0 {
		p.add(key+".timeout", "must not be longer than interval (%s)", h.Interval)
	}
	checkRange(p, key+".healthy_threshold", int64(h.HealthyThreshold), 1, 100)
	checkRange(p, key+".unhealthy_threshold", int64(h.UnhealthyThreshold), 1, 100)
	for i, st := range h.ExpectStatus {
		checkRange(p, key+".expect_status["+strconv.Itoa(i)+"]", int64(st), 100, 599)
	}
}

// hashKeyProblem returns what is wrong with a consistent-hash key, or "".
func hashKeyProblem(k string) string {
	switch k {
	case "client_ip", "path", "consumer":
		return ""
	}
	if name, ok := strings.CutPrefix(k, "header:"); ok {
		if !isToken(name) {
			return fmt.Sprintf("%q is not a valid header name", name)
		}
		return ""
	}
	return fmt.Sprintf(`%q must be "client_ip", "path", "consumer" or "header:NAME"`, k)
}

// checkListen checks a listen address: host:port with an optional host
// and a port in 0..65535 (0 picks a free port, which tests use).
func checkListen(p *problems, key, addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		p.add(key, "%q is not host:port", addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		p.add(key, "bad port %q", port)
	}
	if host != "" && !validAddrHost(host) {
		p.add(key, "bad host %q", host)
	}
}

// checkAddress checks a target address: host:port with a host and a port
// in 1..65535.
func checkAddress(p *problems, key, addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		p.add(key, "%q is not host:port", addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		p.add(key, "bad port %q", port)
	}
	if host == "" {
		p.add(key, "host is missing in %q", addr)
	} else if !validAddrHost(host) {
		p.add(key, "bad host %q", host)
	}
}

// validAddrHost reports whether the host part of a host:port, as
// net.SplitHostPort returns it, is an IP address or a DNS name.
func validAddrHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	return hostProblem(h, false) == ""
}

// checkEnum checks that v is one of allowed.
func checkEnum(p *problems, key, v string, allowed ...string) {
	if slices.Contains(allowed, v) {
		return
	}
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = strconv.Quote(a)
	}
	p.add(key, "%q is not one of %s", v, strings.Join(quoted, ", "))
}

// checkPositive checks that a duration is above zero.
func checkPositive(p *problems, key string, d time.Duration) {
	if d <= 0 {
		p.add(key, "must be positive, got %s", d)
	}
}

// checkRange checks lo <= v <= hi.
func checkRange(p *problems, key string, v, lo, hi int64) {
	if v < lo || v > hi {
		p.add(key, "%d is out of range %d..%d", v, lo, hi)
	}
}

// checkFile checks that a required file exists.
func checkFile(p *problems, key, path string) {
	if path == "" {
		p.add(key, "is required")
		return
	}
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		p.add(key, "file %q does not exist", path)
	}
}

// sortedKeys returns the keys of m in order, so problems come out in the
// same order on every run.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
