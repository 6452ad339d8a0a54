package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/portico-gw/portico/bench/backend"
	"github.com/valyala/fasthttp"
)

// Target names accepted in Options.Targets.
const (
	// TargetDirect is the backend itself, the baseline of added latency.
	TargetDirect = "direct"
	// TargetPortico is Portico with its default transport.
	TargetPortico = "portico"
	// TargetPorticoEventloop is Portico with transport = "eventloop",
	// run with GOMAXPROCS at least 2 (still on one CPU), which that
	// transport requires.
	TargetPorticoEventloop = "portico-eventloop"
	// TargetNginx is nginx with one worker.
	TargetNginx = "nginx"
	// TargetHAProxy is HAProxy with one thread.
	TargetHAProxy = "haproxy"
	// TargetHTTPUtil is Go's net/http/httputil.ReverseProxy, served by the
	// harness binary itself, as a reference for a plain Go proxy.
	TargetHTTPUtil = "httputil"
)

// DefaultTargets is the target list of a run that names none.
var DefaultTargets = []string{
	TargetDirect, TargetPortico, TargetPorticoEventloop, TargetNginx, TargetHAProxy,
	TargetHTTPUtil,
}

// errNotInstalled reports a target whose program is missing; the run
// skips it with a note rather than failing.
var errNotInstalled = errors.New("harness: program not installed")

// readyTimeout bounds how long a started target may take to answer.
const readyTimeout = 15 * time.Second

// startTries is how often a target is started when it exits at once,
// which is what happens when another program took its port first.
const startTries = 3

// target is one server under test in one scenario.
type target struct {
	name string
	addr string   // where the load is sent
	proc *process // whose CPU and memory are measured
	own  bool     // whether the scenario started proc and must stop it
}

// launcher starts the servers the harness needs.
type launcher struct {
	opts    Options
	dir     string
	backend *process
	backAdr string
	// ctl asks the backend for its accepted-connection count over one
	// kept-alive connection, so that asking adds nothing to the count.
	ctl *fasthttp.HostClient
}

// startBackend starts the backend on the load CPU, on a listener the
// harness binds and hands over as fd 3, so no port can be lost.
func (l *launcher) startBackend(ctx context.Context) error {
	p, addr, err := l.startSelf(ctx, "backend", nil, l.opts.LoadCPU)
	if err != nil {
		return err
	}
	l.backend, l.backAdr = p, addr
	l.ctl = &fasthttp.HostClient{Addr: addr, MaxConns: 1}
	return nil
}

// accepted returns the number of connections the backend has accepted.
func (l *launcher) accepted() (uint64, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + l.backAdr + backend.PathAccepted)
	if err := l.ctl.DoTimeout(req, resp, 5*time.Second); err != nil {
		return 0, err
	}
	return strconv.ParseUint(string(resp.Body()), 10, 64)
}

// startSelf runs the harness binary's subcommand sub on a fresh loopback
// listener passed as fd 3 and waits until it accepts connections.
func (l *launcher) startSelf(ctx context.Context, sub string, env []string,
	cpu int) (*process, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("%s: listen: %w", sub, err)
	}
	f, err := ln.(*net.TCPListener).File()
	addr := ln.Addr().String()
	ln.Close() // the child holds its own copy through f
	if err != nil {
		return nil, "", fmt.Errorf("%s: listener file: %w", sub, err)
	}
	defer f.Close()
	argv := []string{l.opts.SelfBin, sub}
	if sub == TargetHTTPUtil {
		argv = append(argv, "-upstream", l.backAdr)
	}
	p, err := start(spec{name: sub, argv: argv, env: env, cpu: cpu,
		files: []*os.File{f}, dir: l.dir})
	if err != nil {
		return nil, "", err
	}
	if err := p.waitReady(ctx, readyTimeout, func() error { return dialOK(addr) }); err != nil {
		p.stop()
		return nil, "", err
	}
	return p, addr, nil
}

// dialOK reports, as an error, whether addr accepts a TCP connection.
func dialOK(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

// startTarget starts the named proxy for scenario sc and waits until it
// answers sc's request. The backend must be running.
func (l *launcher) startTarget(ctx context.Context, name string, sc Scenario) (*target, error) {
	if name == TargetDirect {
		return &target{name: name, addr: l.backAdr, proc: l.backend}, nil
	}
	if name == TargetHTTPUtil {
		p, addr, err := l.startSelf(ctx, name, []string{"GOMAXPROCS=1"}, l.opts.ServerCPU)
		if err != nil {
			return nil, err
		}
		return l.ready(ctx, &target{name: name, addr: addr, proc: p, own: true}, sc)
	}

	var last error
	for range startTries {
		addr, err := freePort()
		if err != nil {
			return nil, err
		}
		s := site{Listen: addr, Upstream: l.backAdr, ExtraRoutes: sc.ExtraRoutes,
			Dir: filepath.Join(l.dir, name+"-"+sc.Name), Limit: sc.Limit, Auth: sc.Auth}
		sp, err := l.spec(name, s)
		if err != nil {
			return nil, err
		}
		p, err := start(sp)
		if err != nil {
			return nil, err
		}
		t := &target{name: name, addr: addr, proc: p, own: true}
		ready := func() error { return dialOK(addr) }
		if last = p.waitReady(ctx, readyTimeout, ready); last == nil {
			return l.ready(ctx, t, sc)
		}
		p.stop()
		if !errors.Is(last, errExited) {
			break
		}
	}
	return nil, last
}

// ready checks that t answers sc's request correctly, and stops it if not
// or if ctx ended meanwhile.
func (l *launcher) ready(ctx context.Context, t *target, sc Scenario) (*target, error) {
	if err := probe(t.addr, sc); err != nil {
		t.stop()
		return nil, fmt.Errorf("%s: first request: %w: %s", t.name, err, t.proc.logTail())
	}
	if err := ctx.Err(); err != nil {
		t.stop()
		return nil, err
	}
	return t, nil
}

// stop stops t's process if the scenario started it.
func (t *target) stop() {
	if t.own {
		t.proc.stop()
	}
}

// spec writes the config of proxy name for s and returns how to run it.
func (l *launcher) spec(name string, s site) (spec, error) {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return spec{}, fmt.Errorf("%s: %w", name, err)
	}
	var (
		bin, file string
		data      []byte
		argv      []string
		env       []string
	)
	switch name {
	case TargetPortico, TargetPorticoEventloop:
		procs := l.opts.PorticoProcs
		if name == TargetPorticoEventloop {
			// The event-loop transport refuses GOMAXPROCS=1 (its poller
			// then stalls the tail); it gets two Ps on the one CPU.
			s.Transport, procs = "eventloop", max(procs, 2)
		}
		bin, file, data = l.opts.PorticoBin, "portico.toml", porticoConfig(s)
		argv = []string{"-config", filepath.Join(s.Dir, file)}
		env = []string{"GOMAXPROCS=" + strconv.Itoa(procs)}
	case TargetNginx:
		bin, file, data = l.opts.NginxBin, "nginx.conf", nginxConfig(s)
		argv = []string{"-p", s.Dir, "-e", filepath.Join(s.Dir, "nginx-startup.log"),
			"-c", filepath.Join(s.Dir, file)}
	case TargetHAProxy:
		bin, file, data = l.opts.HAProxyBin, "haproxy.cfg", haproxyConfig(s)
		argv = []string{"-db", "-f", filepath.Join(s.Dir, file)}
	default:
		return spec{}, fmt.Errorf("harness: unknown target %q", name)
	}

	path, err := lookBin(bin)
	if err != nil {
		return spec{}, fmt.Errorf("%s: %w", name, err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, file), data, 0o644); err != nil {
		return spec{}, fmt.Errorf("%s: %w", name, err)
	}
	return spec{name: name, argv: append([]string{path}, argv...), env: env,
		cpu: l.opts.ServerCPU, dir: s.Dir}, nil
}

// lookBin resolves a program path or name, or reports errNotInstalled.
func lookBin(bin string) (string, error) {
	if bin == "" {
		return "", errNotInstalled
	}
	path, err := exec.LookPath(bin)
	if err != nil && !strings.ContainsRune(bin, '/') {
		// Daemons live in /usr/sbin, which a user's PATH may lack.
		path, err = exec.LookPath(filepath.Join("/usr/sbin", bin))
	}
	if err != nil {
		return "", fmt.Errorf("%w: %s", errNotInstalled, bin)
	}
	return path, nil
}

// probe sends sc's request to addr once and checks the answer.
func probe(addr string, sc Scenario) error {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(sc.Method)
	req.SetRequestURI("http://" + addr + sc.Path)
	for _, h := range sc.Headers {
		req.Header.Set(h[0], h[1])
	}
	if sc.BodyBytes > 0 {
		req.SetBody(make([]byte, sc.BodyBytes))
	}
	c := &fasthttp.HostClient{Addr: addr}
	if err := c.DoTimeout(req, resp, 5*time.Second); err != nil {
		return err
	}
	if st := resp.StatusCode(); st < 200 || st > 299 {
		return fmt.Errorf("status %d: %.200s", st, resp.Body())
	}
	if n := len(resp.Body()); sc.ExpectBodyBytes > 0 && n != sc.ExpectBodyBytes {
		return fmt.Errorf("body of %d bytes, want %d", n, sc.ExpectBodyBytes)
	}
	return nil
}
