package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"
)

// TestMain lets the tests run this binary as the gateway process: with
// PORTICO_TEST_AS_MAIN=1 it is portico itself.
func TestMain(m *testing.M) {
	if os.Getenv("PORTICO_TEST_AS_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		config   string
		wantCode int
		want     string
	}{
		{
			name:     "good",
			config:   "[upstreams.a]\ntargets = [{ address = \"127.0.0.1:9\" }]\n[routes.r]\npath = \"/\"\nupstream = \"a\"\n",
			wantCode: 0,
			want:     ": ok (1 route, 1 upstream,",
		},
		{
			name:     "dangling upstream",
			config:   "[upstreams.a]\ntargets = [{ address = \"127.0.0.1:9\" }]\n[routes.r]\npath = \"/\"\nupstream = \"b\"\n",
			wantCode: 1,
			want:     "dangling.toml:5: routes.r.upstream:",
		},
		{
			name:     "unknown key",
			config:   "[server]\nlisten = \"127.0.0.1:0\"\nlisten_port = 9\n",
			wantCode: 1,
			want:     "unknown.toml:3: server.listen_port:",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.Fields(tt.name)[0]+".toml")
			if err := os.WriteFile(path, []byte(tt.config), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			code := run([]string{"validate", "-config", path}, &out, &errOut)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, errOut.String())
			}
			if got := out.String() + errOut.String(); !strings.Contains(got, tt.want) {
				t.Errorf("output %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

// process is a gateway process this test started.
type process struct {
	addr  string
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	seen  chan struct{} // signalled on every stderr line
}

// startProcess runs the test binary as `portico -config path` and waits
// for its ready line.
func startProcess(t *testing.T, path string) *process {
	t.Helper()
	p := &process{seen: make(chan struct{}, 1)}
	p.cmd = exec.Command(os.Args[0], "-config", path)
	p.cmd.Env = append(os.Environ(), "PORTICO_TEST_AS_MAIN=1")
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
	})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.seen <- struct{}{}:
			default:
			}
		}
	}()
	line := p.waitFor(t, `msg="portico ready"`)
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, "listen="); ok {
			p.addr = v
		}
	}
	if p.addr == "" {
		t.Fatalf("no listen address in %q", line)
	}
	return p
}

// waitFor blocks until a stderr line contains sub and returns it; it
// fails after 10 s (waiting on an external process).
func (p *process) waitFor(t *testing.T, sub string) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for i := 0; ; {
		p.mu.Lock()
		for ; i < len(p.lines); i++ {
			if strings.Contains(p.lines[i], sub) {
				line := p.lines[i]
				p.mu.Unlock()
				return line
			}
		}
		p.mu.Unlock()
		select {
		case <-p.seen:
		case <-deadline:
			p.mu.Lock()
			defer p.mu.Unlock()
			t.Fatalf("no stderr line containing %q; got:\n%s", sub, strings.Join(p.lines, "\n"))
		}
	}
}

func get(t *testing.T, addr, path string) int {
	t.Helper()
	status, _, err := fasthttp.GetTimeout(nil, "http://"+addr+path, 5*time.Second)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return status
}

func backend(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.WriteString("ok") }}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String()
}

const reloadConfig = `
[server]
listen = "127.0.0.1:0"
[access_log]
output = "off"
[upstreams.a]
targets = [{ address = "%s" }]
[routes.r]
path = "%s"
upstream = "a"
`

func TestReloadKeepsOldConfigOnError(t *testing.T) {
	up := backend(t)
	path := filepath.Join(t.TempDir(), "portico.toml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(fmt.Sprintf(reloadConfig, up, "/a"))
	p := startProcess(t, path)
	if s := get(t, p.addr, "/a"); s != 200 {
		t.Fatalf("/a = %d", s)
	}

	write(fmt.Sprintf(reloadConfig, up, "/a") + "\n[routes.bad]\npath = \"/b\"\nupstream = \"missing\"\n")
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	line := p.waitFor(t, "config reload rejected")
	if !strings.Contains(line, "portico.toml:14: routes.bad.upstream") {
		t.Errorf("rejection does not name file, line and key: %q", line)
	}
	if s := get(t, p.addr, "/a"); s != 200 {
		t.Errorf("/a after a rejected reload = %d, want 200", s)
	}

	write(fmt.Sprintf(reloadConfig, up, "/b"))
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "config reloaded")
	if s := get(t, p.addr, "/b"); s != 200 {
		t.Errorf("/b after reload = %d, want 200", s)
	}
	if s := get(t, p.addr, "/a"); s != 404 {
		t.Errorf("/a after reload = %d, want 404", s)
	}
}

const fleetConfig = `
[server]
listen = "127.0.0.1:0"
[access_log]
output = "off"
[limiter]
backend = "redis"
[limiter.redis]
address = "%s"
mode = "%s"
timeout = "1s"
sync_interval = "%s"
[plans.anonymous]
limits = [{ name = "fleet", rate = "%d per 1m", key = ["route"] }]
[upstreams.a]
targets = [{ address = "%s" }]
[routes.all]
path = "/*rest"
upstream = "a"
`

// TestTwoGatewaysShareOneRedis runs two gateway processes on one Redis,
// each driven by a paced client, and checks the requests they admit
// together. Strict mode is exact. Synced mode can over-admit by what the
// other gateways admit between two syncs: at most
// (gateways-1) x per-gateway rate x sync interval, doubled for slack on a
// loaded machine. Killing Redis mid-run must fail no request.
func TestTwoGatewaysShareOneRedis(t *testing.T) {
	const (
		limit      = 100
		perClient  = 150 // requests per client goroutine
		clients    = 4   // per gateway
		clientRate = 100 // requests per second per client goroutine
		interval   = 20 * time.Millisecond
	)
	syncedSlack := 2 * (clients * clientRate) * interval.Seconds() // one gateway's admits in two intervals
	tests := []struct {
		name      string
		mode      string
		slack     float64 // allowed over-admission; <0: not checked
		killRedis bool
	}{
		{name: "strict", mode: "strict", slack: 0},
		{name: "synced", mode: "synced", slack: syncedSlack},
		{name: "redis dies mid-run", mode: "synced", slack: -1, killRedis: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := startRedis(t)
			up := backend(t)
			path := filepath.Join(t.TempDir(), "fleet.toml")
			cfg := fmt.Sprintf(fleetConfig, rs.addr, tt.mode, interval.String(), limit, up)
			if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			gws := []*process{startProcess(t, path), startProcess(t, path)}

			var admitted, limited, other atomic.Int64
			var wg sync.WaitGroup
			var killOnce sync.Once
			var sent atomic.Int64
			for _, gw := range gws {
				for range clients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						c := &fasthttp.HostClient{Addr: gw.addr}
						// Paced like real clients: an open loop at a
						// fixed rate, not a synchronisation.
						tick := time.NewTicker(time.Second / clientRate)
						defer tick.Stop()
						for range perClient {
							<-tick.C
							if tt.killRedis && sent.Add(1) == clients*perClient/2 {
								killOnce.Do(rs.stop)
							}
							status, _, err := c.GetTimeout(nil, "http://x/fleet", 5*time.Second)
							switch {
							case err != nil:
								other.Add(1)
							case status == 200:
								admitted.Add(1)
							case status == 429:
								limited.Add(1)
							default:
								other.Add(1)
							}
						}
					}()
				}
			}
			wg.Wait()
			t.Logf("%s: admitted %d, limited %d, other %d (limit %d over two gateways)",
				tt.name, admitted.Load(), limited.Load(), other.Load(), limit)
			if n := other.Load(); n > 0 {
				t.Errorf("%d requests failed with neither 200 nor 429", n)
			}
			if tt.slack >= 0 {
				if max := float64(limit) + tt.slack; float64(admitted.Load()) > max {
					t.Errorf("admitted %d, want at most %.0f", admitted.Load(), max)
				}
				if admitted.Load() < limit*9/10 {
					t.Errorf("admitted %d, want close to %d", admitted.Load(), limit)
				}
			}
		})
	}
}

// redisServer is a redis-server this test started on a free port.
type redisServer struct {
	addr string
	cmd  *exec.Cmd
	once sync.Once
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server not on PATH; make test installs it")
		}
		t.Skip("redis-server not on PATH (apt-get install redis-server)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	rs := &redisServer{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	rs.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := rs.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.stop)
	c := redis.NewClient(&redis.Options{Addr: rs.addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return rs
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not answer PING: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // polling an external process, bounded
	}
}

// stop kills the server by its PID, once.
func (rs *redisServer) stop() {
	rs.once.Do(func() {
		_ = rs.cmd.Process.Kill()
		_ = rs.cmd.Wait()
	})
}
