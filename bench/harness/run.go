package harness

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/portico-gw/portico/bench/load"
)

// Options configures a Run. Zero values mean the documented defaults.
type Options struct {
	// Targets are the targets to drive, in order; nil means
	// DefaultTargets. TargetDirect is always measured first in a round.
	Targets []string
	// Rounds is how many times every target is measured per scenario; the
	// report shows medians. Zero means 3.
	Rounds int
	// Warmup is the load run before each measurement; zero means none.
	Warmup time.Duration
	// Duration is each measured window; zero means 5s.
	Duration time.Duration

	// ServerCPU is the CPU the server under test is pinned to and LoadCPU
	// the one for the load generator's children (the backend). Negative
	// means no pinning. The harness process itself is pinned by whoever
	// starts it (taskset in bench.mk).
	ServerCPU, LoadCPU int
	// PorticoProcs is GOMAXPROCS for Portico; zero means 1 (2 for the
	// event-loop transport, which refuses 1).
	PorticoProcs int

	// SelfBin is the harness binary, run with the subcommands "backend"
	// and "httputil". It is required.
	SelfBin string
	// PorticoBin, NginxBin and HAProxyBin are the programs under test;
	// a name is looked up in PATH. A missing one is skipped with a note.
	PorticoBin, NginxBin, HAProxyBin string

	// Dir is where configs, logs and temp files go; empty means a new
	// temporary directory, removed at the end unless KeepDir is set.
	Dir string
	// KeepDir keeps the temporary directory for inspection.
	KeepDir bool

	// Logger receives progress at Info; nil means no progress output.
	Logger *slog.Logger `json:"-"`
}

// Sample is one measurement of one target in one round.
type Sample struct {
	// Round is the round's index, from 0.
	Round int
	// Requests is the number of good responses in the measured window.
	Requests uint64
	// Errors and Non2xx count failed requests (see load.Result).
	Errors, Non2xx uint64
	// FirstError describes the first failure; empty when none.
	FirstError string
	// Elapsed is the measured window's length and RPS Requests over it.
	Elapsed time.Duration
	RPS     float64
	// P50, P99 and P999 are latency percentiles of the window.
	P50, P99, P999 time.Duration
	// CPU is the user+system time of the target's processes over the
	// window; CPUErr says why it could not be read, if so.
	CPU    time.Duration
	CPUErr string
	// BackendConns is the number of connections the backend accepted
	// from warm-up start to the last response, or -1 when unknown. For
	// a proxy these are its upstream connections; with keep-alive they
	// stay near the number of client connections.
	BackendConns int64
}

// TargetResult is everything measured of one target in one scenario.
type TargetResult struct {
	// Name is the target's name, e.g. TargetNginx.
	Name string
	// Samples holds one Sample per round, in round order.
	Samples []Sample
	// PeakRSS is the sum of VmHWM over the target's processes at the end
	// of the scenario, in bytes; zero when unknown.
	PeakRSS int64
	// Skipped says why the target was not measured (not installed).
	Skipped string
	// Failed says why the target could not be started or answered wrong.
	Failed string
}

// ScenarioResult is one scenario's results.
type ScenarioResult struct {
	// Scenario is the scenario as run.
	Scenario Scenario
	// Targets holds one result per target, in Options.Targets order;
	// it is empty for a skipped scenario.
	Targets []TargetResult
}

// Report is the outcome of a Run.
type Report struct {
	// Options are the options of the run, defaults applied.
	Options Options
	// Scenarios holds one result per scenario, in the order given.
	Scenarios []ScenarioResult
	// Started and Finished bound the run.
	Started, Finished time.Time
}

// Failed reports whether any target failed to start or any measured
// request failed. It never looks at speed.
func (r *Report) Failed() bool {
	for _, sr := range r.Scenarios {
		for _, tr := range sr.Targets {
			if tr.Failed != "" {
				return true
			}
			for _, s := range tr.Samples {
				if s.Errors > 0 || s.Non2xx > 0 || s.Requests == 0 {
					return true
				}
			}
		}
	}
	return false
}

// Progress log keys.
const (
	logScenario = "scenario"
	logTarget   = "target"
	logRound    = "round"
	logReason   = "reason"
	logError    = "error"
	logRPS      = "req_per_s"
	logP50      = "p50"
	logP99      = "p99"
	logErrors   = "errors"
)

// errSelfBin reports Options without the harness binary.
var errSelfBin = errors.New("harness: Options.SelfBin is required")

// Run starts the backend, then for each scenario starts every target,
// measures them in interleaved rounds and stops them. It returns an error
// only when the run as a whole cannot go on (no backend, ctx ended);
// target failures are recorded in the Report.
func Run(ctx context.Context, opts Options, scenarios []Scenario) (*Report, error) {
	opts.setDefaults()
	if opts.SelfBin == "" {
		return nil, errSelfBin
	}
	dir, cleanup, err := workDir(opts)
	if err != nil {
		return nil, err
	}
	defer cleanup()

	l := &launcher{opts: opts, dir: dir}
	if err := l.startBackend(ctx); err != nil {
		return nil, fmt.Errorf("start backend: %w", err)
	}
	defer l.backend.stop()

	rep := &Report{Options: opts, Started: time.Now()}
	for _, sc := range scenarios {
		sr := ScenarioResult{Scenario: sc}
		if sc.Skip == "" {
			sr.Targets = l.runScenario(ctx, sc)
		}
		rep.Scenarios = append(rep.Scenarios, sr)
		if err := ctx.Err(); err != nil {
			rep.Finished = time.Now()
			return rep, err
		}
	}
	rep.Finished = time.Now()
	return rep, nil
}

// setDefaults applies the documented defaults.
func (o *Options) setDefaults() {
	if o.Targets == nil {
		o.Targets = DefaultTargets
	}
	if o.Rounds <= 0 {
		o.Rounds = 3
	}
	if o.Duration <= 0 {
		o.Duration = 5 * time.Second
	}
	if o.PorticoProcs <= 0 {
		o.PorticoProcs = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// workDir returns the run's directory and a function that removes it
// when the harness made it. It is world-readable so that nginx workers,
// which drop privileges when started as root, can use their temp paths.
func workDir(o Options) (string, func(), error) {
	if o.Dir != "" {
		return o.Dir, func() {}, os.MkdirAll(o.Dir, 0o755)
	}
	dir, err := os.MkdirTemp("", "portico-bench-")
	if err != nil {
		return "", nil, fmt.Errorf("harness: work dir: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("harness: work dir: %w", err)
	}
	if o.KeepDir {
		return dir, func() {}, nil
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// runScenario starts every target for sc, measures each Rounds times,
// interleaved (direct first, then the others in an order that rotates
// every round so none always runs right after another), and stops them.
func (l *launcher) runScenario(ctx context.Context, sc Scenario) []TargetResult {
	log := l.opts.Logger
	results := make([]TargetResult, len(l.opts.Targets))
	var live []*target
	var liveIdx []int
	for i, name := range l.opts.Targets {
		results[i].Name = name
		t, err := l.startTarget(ctx, name, sc)
		switch {
		case errors.Is(err, errNotInstalled):
			results[i].Skipped = err.Error()
			log.Info("target skipped", slog.String(logScenario, sc.Name),
				slog.String(logTarget, name), slog.String(logReason, err.Error()))
		case err != nil:
			results[i].Failed = err.Error()
			log.Error("target failed to start", slog.String(logScenario, sc.Name),
				slog.String(logTarget, name), slog.String(logError, err.Error()))
		default:
			live = append(live, t)
			liveIdx = append(liveIdx, i)
		}
	}
	defer func() {
		for _, t := range live {
			t.stop()
		}
	}()

	fs := procFS{root: "/proc"}
	for round := 0; round < l.opts.Rounds && ctx.Err() == nil; round++ {
		for _, k := range roundOrder(len(live), round, l.opts.Targets, liveIdx) {
			if ctx.Err() != nil {
				break
			}
			t := live[k]
			s := l.measure(ctx, fs, t, sc, round)
			results[liveIdx[k]].Samples = append(results[liveIdx[k]].Samples, s)
			log.Info("measured", slog.String(logScenario, sc.Name), slog.String(logTarget, t.name),
				slog.Int(logRound, round+1), slog.Float64(logRPS, s.RPS),
				slog.Duration(logP50, s.P50), slog.Duration(logP99, s.P99),
				slog.Uint64(logErrors, s.Errors+s.Non2xx))
		}
	}
	for k, t := range live {
		rss, err := fs.treePeakRSS(t.proc.pid())
		if err == nil {
			results[liveIdx[k]].PeakRSS = rss
		}
	}
	return results
}

// roundOrder returns the indexes into live in the order of round r: the
// direct target first, the others rotated by r.
func roundOrder(n, r int, names []string, liveIdx []int) []int {
	var direct, others []int
	for k := range n {
		if names[liveIdx[k]] == TargetDirect {
			direct = append(direct, k)
		} else {
			others = append(others, k)
		}
	}
	order := direct
	for j := range others {
		order = append(order, others[(j+r)%len(others)])
	}
	return order
}

// measure runs one measured load against t and reads t's CPU time over
// the measured window.
func (l *launcher) measure(ctx context.Context, fs procFS, t *target, sc Scenario,
	round int) Sample {
	var cpu0, cpu1 time.Duration
	var cpuErr error
	mark := func(begin bool) {
		c, err := fs.treeCPU(t.proc.pid())
		if err != nil && cpuErr == nil {
			cpuErr = err
		}
		if begin {
			cpu0 = c
		} else {
			cpu1 = c
		}
	}
	cfg := load.Config{
		Addr: t.addr, Method: sc.Method, Path: sc.Path, Headers: sc.Headers,
		ExpectBodyBytes: sc.ExpectBodyBytes, Conns: sc.Conns,
		NewConnPerRequest: sc.NewConnPerRequest, Rate: sc.Rate,
		Warmup: l.opts.Warmup, Duration: l.opts.Duration, OnMeasure: mark,
	}
	if sc.BodyBytes > 0 {
		cfg.Body = make([]byte, sc.BodyBytes)
	}
	conns0, err0 := l.accepted()
	res, err := load.Run(ctx, cfg)
	conns1, err1 := l.accepted()
	s := Sample{Round: round, BackendConns: -1}
	if err0 == nil && err1 == nil {
		s.BackendConns = int64(conns1 - conns0)
	}
	if err != nil {
		s.FirstError = err.Error()
		s.Errors = 1
		return s
	}
	s.Requests, s.Errors, s.Non2xx = res.Requests, res.Errors, res.Non2xx
	if res.FirstError != nil {
		s.FirstError = res.FirstError.Error()
	}
	s.Elapsed, s.RPS = res.Elapsed, res.Throughput()
	h := &res.Latency
	s.P50, s.P99, s.P999 = h.Quantile(0.5), h.Quantile(0.99), h.Quantile(0.999)
	s.CPU = cpu1 - cpu0
	if cpuErr != nil {
		s.CPUErr = cpuErr.Error()
	}
	return s
}
