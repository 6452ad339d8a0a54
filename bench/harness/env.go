package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Env describes where and with what a run was made, for the report.
type Env struct {
	// Date is when the run started, in UTC.
	Date time.Time
	// CPUs is the number of online CPUs and CPUModel their model name.
	CPUs     int
	CPUModel string
	// LoadBefore and LoadAfter are /proc/loadavg's first three fields at
	// the start and end of the run: other work on the machine skews
	// results, and these say how much there was.
	LoadBefore, LoadAfter string
	// Versions maps a program to its version line.
	Versions map[string]string
	// Command is the exact command that made the run.
	Command string
}

// CollectEnv reads the machine description and the versions of the
// programs o names. Missing programs are reported as "not installed".
func CollectEnv(ctx context.Context, o Options, command string) Env {
	e := Env{Date: time.Now().UTC(), Command: command, LoadBefore: loadAvg(),
		Versions: map[string]string{}}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		e.CPUs, e.CPUModel = parseCPUInfo(data)
	}
	if e.CPUs == 0 {
		e.CPUs = runtime.NumCPU()
	}
	e.Versions["go"] = runtime.Version()
	e.Versions["portico"] = versionOf(ctx, o.PorticoBin, "version")
	e.Versions["nginx"] = versionOf(ctx, o.NginxBin, "-v")
	e.Versions["haproxy"] = versionOf(ctx, o.HAProxyBin, "-v")
	return e
}

// parseCPUInfo counts processors and returns the first model name.
func parseCPUInfo(data []byte) (int, string) {
	n, model := 0, ""
	for line := range bytes.Lines(data) {
		key, val, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		switch string(bytes.TrimSpace(key)) {
		case "processor":
			n++
		case "model name":
			if model == "" {
				model = string(bytes.TrimSpace(val))
			}
		}
	}
	return n, model
}

// loadAvg returns the 1, 5 and 15 minute load averages, or "unknown".
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// versionOf runs bin with arg and returns the first line it prints on
// stdout or stderr (nginx prints its version on stderr).
func versionOf(ctx context.Context, bin, arg string) string {
	path, err := lookBin(bin)
	if err != nil {
		return "not installed"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, arg).CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if err != nil && line == "" {
		return fmt.Sprintf("unknown (%v)", err)
	}
	return line
}

// Busy reports whether the 1-minute load average at the start or end of
// the run exceeded the number of CPUs, that is, whether other work
// competed with the run.
func (e *Env) Busy() bool {
	for _, l := range []string{e.LoadBefore, e.LoadAfter} {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(f[0], 64); err == nil && e.CPUs > 0 && v > float64(e.CPUs) {
			return true
		}
	}
	return false
}

// Finish records the end-of-run load average.
func (e *Env) Finish() { e.LoadAfter = loadAvg() }

// MachineCPUs returns the number of CPUs of the machine, not only those
// this process may run on (runtime.NumCPU counts those, and a pinned
// harness sees one).
func MachineCPUs() int {
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if n, _ := parseCPUInfo(data); n > 0 {
			return n
		}
	}
	return runtime.NumCPU()
}
