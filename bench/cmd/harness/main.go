// Command harness runs the end-to-end benchmark of package bench/harness
// and prints one markdown table per scenario.
//
//	harness [flags]              run the benchmark (see -h)
//	harness backend              serve the bench backend on fd 3
//	harness httputil -upstream A serve httputil.ReverseProxy on fd 3
//
// make bench and make bench-smoke (bench/bench.mk) are the usual way in.
// The exit status is 0 when every target answered every request, 1 when
// any failed or was not started, 2 on bad usage. Speed never fails a run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/portico-gw/portico/bench/harness"
)

// pinnedEnv marks a harness process that already re-executed itself
// under taskset, so it does not do so again.
const pinnedEnv = "PORTICO_BENCH_PINNED"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if code, ok := harness.RunChild(args, stderr); ok {
		return code
	}
	return bench(args, stdout, stderr)
}

// flags are the command line of a benchmark run.
type flags struct {
	mode, targets, scenarios, out, command string
	jsonOut                                string
	rounds                                 int
	warmup, duration, timeout              time.Duration
	serverCPU, loadCPU                     int
	portico, nginx, haproxy                string
	keepDir, verbose                       bool
}

// parseFlags parses args; a nil result means usage was printed.
func parseFlags(args []string, stderr io.Writer) (*flags, error) {
	f := &flags{}
	fs := flag.NewFlagSet("harness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.mode, "mode", "full", `"full" (make bench) or "smoke" (make bench-smoke)`)
	fs.StringVar(&f.targets, "targets", strings.Join(harness.DefaultTargets, ","),
		"comma-separated targets: direct, portico, portico-eventloop, nginx, haproxy, httputil")
	fs.StringVar(&f.scenarios, "scenarios", "",
		"comma-separated scenario names; empty means all of the mode")
	fs.IntVar(&f.rounds, "rounds", 0, "rounds per scenario; 0 means 3 (full) or 1 (smoke)")
	fs.DurationVar(&f.warmup, "warmup", 0,
		"warm-up per measurement; 0 means 1s (full) or 200ms (smoke)")
	fs.DurationVar(&f.duration, "duration", 0, "measured window; 0 means 3s (full) or 1s (smoke)")
	fs.DurationVar(&f.timeout, "timeout", 0,
		"bound on the whole run; 0 means 25m (full) or 100s (smoke)")
	fs.IntVar(&f.serverCPU, "server-cpu", 0, "CPU for the server under test; -1 disables pinning")
	fs.IntVar(&f.loadCPU, "load-cpu", 1, "CPU for the load generator and the backend")
	fs.StringVar(&f.portico, "portico", "", "portico binary; empty skips Portico")
	fs.StringVar(&f.nginx, "nginx", "nginx", "nginx binary")
	fs.StringVar(&f.haproxy, "haproxy", "haproxy", "haproxy binary")
	fs.StringVar(&f.out, "out", "", "rewrite the bench section of this BENCHMARKS.md")
	fs.StringVar(&f.jsonOut, "json", "", "write every sample of the run as JSON to this file")
	fs.StringVar(&f.command, "command", "", "command to record in the report; empty means this one")
	fs.BoolVar(&f.keepDir, "keep-dir", false, "keep configs and logs of the run")
	fs.BoolVar(&f.verbose, "v", false, "log progress to stderr")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("harness: unexpected argument %q", fs.Arg(0))
	}
	if f.mode != "full" && f.mode != "smoke" {
		return nil, fmt.Errorf("harness: -mode %q: want full or smoke", f.mode)
	}
	return f, nil
}

// bench runs the benchmark and prints the tables.
func bench(args []string, stdout, stderr io.Writer) int {
	f, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if code, done := pinSelf(f, stderr); done {
		return code
	}

	opts, scenarios, timeout, err := f.options(stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	command := f.command
	if command == "" {
		command = strings.Join(os.Args, " ")
	}
	env := harness.CollectEnv(ctx, opts, command)
	rep, err := harness.Run(ctx, opts, scenarios)
	env.Finish()
	if rep != nil {
		stdout.Write(harness.Section(rep, env))
	}
	if err != nil {
		fmt.Fprintf(stderr, "harness: %v\n", err)
		return 1
	}
	if f.jsonOut != "" {
		if err := writeJSONFile(f.jsonOut, rep, env); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	if f.out != "" {
		if err := harness.RewriteSection(f.out, harness.Section(rep, env)); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	if rep.Failed() {
		fmt.Fprintln(stderr, "harness: some targets failed or answered with errors; "+
			"see the notes under the tables")
		return 1
	}
	return 0
}

// options turns flags into harness options for the chosen mode.
func (f *flags) options(stderr io.Writer) (
	harness.Options, []harness.Scenario, time.Duration, error) {
	self, err := os.Executable()
	if err != nil {
		return harness.Options{}, nil, 0, fmt.Errorf("harness: own path: %w", err)
	}
	o := harness.Options{
		Targets: splitList(f.targets), Rounds: f.rounds, Warmup: f.warmup, Duration: f.duration,
		ServerCPU: f.serverCPU, LoadCPU: f.loadCPU, SelfBin: self,
		PorticoBin: f.portico, NginxBin: f.nginx, HAProxyBin: f.haproxy, KeepDir: f.keepDir,
	}
	if f.verbose {
		o.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	scenarios, timeout := harness.FullScenarios(), f.timeout
	rounds, warmup, duration, deflt := 3, time.Second, 3*time.Second, 25*time.Minute
	if f.mode == "smoke" {
		scenarios = harness.SmokeScenarios()
		rounds, warmup, duration, deflt = 1, 200*time.Millisecond, time.Second, 100*time.Second
	}
	o.Rounds, o.Warmup = or(o.Rounds, rounds), or(o.Warmup, warmup)
	o.Duration = or(o.Duration, duration)
	timeout = or(timeout, deflt)
	if o.ServerCPU < 0 || o.LoadCPU < 0 || harness.MachineCPUs() < 2 {
		o.ServerCPU, o.LoadCPU = -1, -1
	}

	if f.scenarios != "" {
		want := splitList(f.scenarios)
		var picked []harness.Scenario
		for _, sc := range append(harness.FullScenarios(), harness.SmokeScenarios()...) {
			for _, w := range want {
				if sc.Name == w && !hasScenario(picked, w) {
					picked = append(picked, sc)
				}
			}
		}
		if len(picked) != len(want) {
			return o, nil, 0, fmt.Errorf("harness: -scenarios %q: unknown name", f.scenarios)
		}
		scenarios = picked
	}
	return o, scenarios, timeout, nil
}

// hasScenario reports whether list holds a scenario called name.
func hasScenario(list []harness.Scenario, name string) bool {
	for _, sc := range list {
		if sc.Name == name {
			return true
		}
	}
	return false
}

// or returns v, or def when v is the zero value.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// splitList splits a comma-separated flag, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// pinSelf re-executes the harness under taskset on the load CPU, so that
// every thread of the load generator stays off the server's CPU. done is
// false when the process should go on (already pinned, or no pinning).
func pinSelf(f *flags, stderr io.Writer) (code int, done bool) {
	if os.Getenv(pinnedEnv) != "" || f.serverCPU < 0 || f.loadCPU < 0 || harness.MachineCPUs() < 2 {
		return 0, false
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		fmt.Fprintln(stderr, "harness: taskset not found; running without CPU pinning")
		f.serverCPU, f.loadCPU = -1, -1
		return 0, false
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "harness: own path: %v\n", err)
		return 1, true
	}
	argv := append([]string{taskset, "-c", strconv.Itoa(f.loadCPU), self}, os.Args[1:]...)
	env := append(os.Environ(), pinnedEnv+"=1")
	err = syscall.Exec(taskset, argv, env)
	fmt.Fprintf(stderr, "harness: exec taskset: %v\n", err)
	return 1, true
}

// writeJSONFile writes the run's raw samples to path.
func writeJSONFile(path string, rep *harness.Report, env harness.Env) error {
	fl, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	if err := harness.WriteJSON(fl, rep, env); err != nil {
		fl.Close()
		return err
	}
	if err := fl.Close(); err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	return nil
}
