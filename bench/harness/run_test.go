package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for the harness binary: Run
// starts Options.SelfBin with "backend" or "httputil", which lands here.
func TestMain(m *testing.M) {
	if code, ok := RunChild(os.Args[1:], os.Stderr); ok {
		os.Exit(code)
	}
	code := m.Run()
	if porticoBuild.path != "" {
		os.RemoveAll(filepath.Dir(porticoBuild.path))
	}
	os.Exit(code)
}

// porticoBuild builds ./cmd/portico once per test binary.
var porticoBuild struct {
	once sync.Once
	path string
	err  error
}

// porticoBin returns a freshly built Portico binary, or skips the test
// when it does not build (that is cmd/portico's test to fail, and make
// bench-smoke fails on it too).
func porticoBin(t *testing.T) string {
	t.Helper()
	porticoBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "portico-bench-test-")
		if err != nil {
			porticoBuild.err = err
			return
		}
		porticoBuild.path = filepath.Join(dir, "portico")
		out, err := exec.Command("go", "build", "-o", porticoBuild.path,
			"github.com/portico-gw/portico/cmd/portico").CombinedOutput()
		if err != nil {
			porticoBuild.err = fmt.Errorf("%v: %s", err, out)
		}
	})
	if porticoBuild.err != nil {
		t.Skipf("cmd/portico does not build: %v", porticoBuild.err)
	}
	return porticoBuild.path
}

// installed reports whether a program can be found as the harness would.
func installed(name string) bool {
	_, err := lookBin(name)
	return err == nil
}

func TestRunEndToEnd(t *testing.T) {
	falseBin, err := exec.LookPath("false")
	if err != nil {
		t.Skip("no false(1) to stand in for a broken target")
	}
	tests := []struct {
		name       string
		opts       Options
		wantFailed bool
		// want maps a target to "measured", "skipped" or "failed".
		want map[string]string
	}{
		{name: "every target answers",
			opts: Options{Targets: []string{TargetDirect, TargetHTTPUtil, TargetNginx, TargetHAProxy,
				TargetPortico}, NginxBin: "nginx", HAProxyBin: "haproxy", PorticoBin: "portico"},
			want: map[string]string{TargetDirect: "measured", TargetHTTPUtil: "measured",
				TargetNginx: ifInstalled("nginx"), TargetHAProxy: ifInstalled("haproxy"),
				TargetPortico: "measured"}},
		{name: "a missing program is skipped, not failed",
			opts: Options{Targets: []string{TargetDirect, TargetPortico}},
			want: map[string]string{TargetDirect: "measured", TargetPortico: "skipped"}},
		{name: "a target that exits at once fails the run",
			opts:       Options{Targets: []string{TargetDirect, TargetNginx}, NginxBin: falseBin},
			wantFailed: true,
			want:       map[string]string{TargetDirect: "measured", TargetNginx: "failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			if opts.PorticoBin != "" {
				opts.PorticoBin = porticoBin(t)
			}
			opts.SelfBin = os.Args[0]
			opts.Rounds, opts.Warmup, opts.Duration = 2, 50*time.Millisecond, 200*time.Millisecond
			opts.ServerCPU, opts.LoadCPU = -1, -1
			opts.Dir = t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			sc := getSmall.with("get-1k-c4", 4)

			rep, err := Run(ctx, opts, []Scenario{sc, {Name: "later", Skip: "not yet"}})
			if err != nil {
				t.Fatalf("Run() error: %v", err)
			}
			if got := rep.Failed(); got != tt.wantFailed {
				t.Errorf("Failed() = %v, want %v\n%s", got, tt.wantFailed, rep.Tables())
			}
			if len(rep.Scenarios) != 2 || len(rep.Scenarios[1].Targets) != 0 {
				t.Fatalf("scenarios = %+v, want the skipped one with no targets", rep.Scenarios)
			}
			for _, tr := range rep.Scenarios[0].Targets {
				if got := outcome(tr); got != tt.want[tr.Name] {
					t.Errorf("target %s: %s, want %s (skipped %q, failed %q)",
						tr.Name, got, tt.want[tr.Name], tr.Skipped, tr.Failed)
				}
				if outcome(tr) == "measured" {
					checkSamples(t, tr, opts.Rounds)
				}
			}
			if tables := string(rep.Tables()); !strings.Contains(tables, "| direct |") {
				t.Errorf("Tables() lacks the direct row:\n%s", tables)
			}
		})
	}
}

// ifInstalled is the outcome expected of a target that may be missing.
func ifInstalled(name string) string {
	if installed(name) {
		return "measured"
	}
	return "skipped"
}

// outcome classifies a target result.
func outcome(tr TargetResult) string {
	switch {
	case tr.Failed != "":
		return "failed"
	case tr.Skipped != "":
		return "skipped"
	case len(tr.Samples) > 0:
		return "measured"
	}
	return "nothing"
}

// checkSamples checks that every round of tr served requests cleanly and
// that CPU and memory were read.
func checkSamples(t *testing.T, tr TargetResult, rounds int) {
	t.Helper()
	if len(tr.Samples) != rounds {
		t.Errorf("%s: %d samples, want %d", tr.Name, len(tr.Samples), rounds)
	}
	for _, s := range tr.Samples {
		if s.Requests == 0 || s.Errors+s.Non2xx != 0 || s.CPUErr != "" || s.CPU < 0 {
			t.Errorf("%s round %d: %+v", tr.Name, s.Round, s)
		}
		// Four kept-alive client connections: the backend sees exactly
		// those when hit directly, and a proxy needs at most that many
		// upstream connections (twice, allowing for a pool's slack).
		if tr.Name == TargetDirect && s.BackendConns != 4 ||
			tr.Name != TargetDirect && (s.BackendConns < 0 || s.BackendConns > 8) {
			t.Errorf("%s round %d: backend accepted %d connections", tr.Name, s.Round, s.BackendConns)
		}
	}
	if tr.PeakRSS <= 0 {
		t.Errorf("%s: PeakRSS = %d, want > 0", tr.Name, tr.PeakRSS)
	}
}

func TestPolicyScenariosAreEnforced(t *testing.T) {
	// The limit and key scenarios only measure something if the check is
	// really on: a request without the key must be refused.
	var auth Scenario
	for _, sc := range FullScenarios() {
		if sc.Auth {
			auth = sc
		}
	}
	noKey := auth
	noKey.Headers = nil
	l := &launcher{opts: Options{SelfBin: os.Args[0], ServerCPU: -1, LoadCPU: -1,
		NginxBin: "nginx", HAProxyBin: "haproxy", Logger: nil}, dir: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := l.startBackend(ctx); err != nil {
		t.Fatalf("startBackend: %v", err)
	}
	defer l.backend.stop()

	for _, name := range []string{TargetNginx, TargetHAProxy, TargetPortico} {
		t.Run(name, func(t *testing.T) {
			if name == TargetPortico {
				l.opts.PorticoBin = porticoBin(t)
			} else if !installed(name) {
				t.Skipf("%s not installed", name)
			}
			tg, err := l.startTarget(ctx, name, auth)
			if err != nil {
				t.Fatalf("startTarget(%s) with the key: %v", name, err)
			}
			defer tg.stop()
			if err := probe(tg.addr, noKey); err == nil || !strings.Contains(err.Error(), "status 401") {
				t.Errorf("probe without key = %v, want status 401", err)
			}
		})
	}
}
