package harness

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for the harness binary: Run
// starts Options.SelfBin with "backend" or "httputil", which lands here.
func TestMain(m *testing.M) {
	if code, ok := RunChild(os.Args[1:], os.Stderr); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
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
				TargetPortico}, NginxBin: "nginx", HAProxyBin: "haproxy"},
			want: map[string]string{TargetDirect: "measured", TargetHTTPUtil: "measured",
				TargetNginx: ifInstalled("nginx"), TargetHAProxy: ifInstalled("haproxy"),
				TargetPortico: "skipped"}},
		{name: "a target that exits at once fails the run",
			opts:       Options{Targets: []string{TargetDirect, TargetNginx}, NginxBin: falseBin},
			wantFailed: true,
			want:       map[string]string{TargetDirect: "measured", TargetNginx: "failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
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
	}
	if tr.PeakRSS <= 0 {
		t.Errorf("%s: PeakRSS = %d, want > 0", tr.Name, tr.PeakRSS)
	}
}
