package harness

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// Markers delimit the section of BENCHMARKS.md that a full run rewrites.
// Everything outside them belongs to other benchmarks and is kept.
const (
	MarkBegin = "<!-- bench:begin -->"
	MarkEnd   = "<!-- bench:end -->"
)

// errMarkers reports a BENCHMARKS.md whose markers are missing or out of
// order, or a section that holds a marker itself; the file is left alone
// rather than guessed at.
var errMarkers = errors.New("harness: BENCHMARKS.md markers missing or out of order")

// benchmarksIntro starts a BENCHMARKS.md that does not exist yet.
const benchmarksIntro = `# Benchmarks

End-to-end numbers come from ` + "`make bench`" + ` (package bench/harness): a
backend, Portico, nginx and HAProxy on loopback, each proxy pinned to its
own CPU, driven with the same load in interleaved rounds. The section
between the markers below is rewritten by every full run; micro
benchmarks of single packages go outside it.

`

// Section renders the whole rewritten section for r run in e, markers
// excluded: how it was made, then one table per scenario.
func Section(r *Report, e Env) []byte {
	var b bytes.Buffer
	b.WriteString("## End-to-end (make bench)\n\n")
	fmt.Fprintf(&b, "- Date: %s\n", e.Date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- Machine: %d CPUs, %s; load average %s before, %s after\n",
		e.CPUs, e.CPUModel, e.LoadBefore, e.LoadAfter)
	if e.Busy() {
		b.WriteString("- Warning: other work kept the machine busy (load average above " +
			"its CPU count), so req/s and latency are noisy; CPU µs/req is the steadier figure\n")
	}
	names := make([]string, 0, len(e.Versions))
	for k := range e.Versions {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(&b, "- %s: %s\n", k, e.Versions[k])
	}
	fmt.Fprintf(&b, "- Command: `%s`\n", e.Command)
	o := r.Options
	fmt.Fprintf(&b, "- Rounds: %d per scenario, %v warm-up and %v measured each; medians shown\n",
		o.Rounds, o.Warmup, o.Duration)
	if o.ServerCPU >= 0 {
		fmt.Fprintf(&b, "- Pinning: server under test on CPU %d, load generator and backend on CPU %d\n",
			o.ServerCPU, o.LoadCPU)
	} else {
		b.WriteString("- Pinning: none\n")
	}
	b.WriteString(`
CPU µs/req is the server's own user+system time from /proc over the
measured window divided by the requests served; for "direct" it is the
backend's, which shares its CPU with the load generator. Peak RSS is the
sum of VmHWM over the server's processes (for "direct", the backend's
peak over the run so far, as it serves every scenario). Ratios compare
with nginx in the same round. On a machine this small the load side
saturates first, so req/s ranks the load generator as much as the proxy;
compare CPU µs/req.

`)
	b.Write(r.Tables())
	return b.Bytes()
}

// RewriteSection replaces what lies between MarkBegin and MarkEnd in the
// file at path with section. A missing file is created with a short
// introduction and the markers.
func RewriteSection(path string, section []byte) error {
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		old = []byte(benchmarksIntro + MarkBegin + "\n" + MarkEnd + "\n")
	} else if err != nil {
		return fmt.Errorf("rewrite %s: %w", path, err)
	}
	out, err := replaceSection(old, section)
	if err != nil {
		return fmt.Errorf("rewrite %s: %w", path, err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return fmt.Errorf("rewrite %s: %w", path, err)
	}
	return nil
}

// replaceSection returns doc with the text between the markers replaced.
func replaceSection(doc, section []byte) ([]byte, error) {
	s := string(doc)
	i := strings.Index(s, MarkBegin)
	j := strings.Index(s, MarkEnd)
	if i < 0 || j < i || strings.Count(s, MarkBegin) != 1 || strings.Count(s, MarkEnd) != 1 ||
		bytes.Contains(section, []byte(MarkBegin)) || bytes.Contains(section, []byte(MarkEnd)) {
		return nil, errMarkers
	}
	var b bytes.Buffer
	b.WriteString(s[:i+len(MarkBegin)])
	b.WriteString("\n")
	b.Write(bytes.TrimSpace(section))
	b.WriteString("\n")
	b.WriteString(s[j:])
	return b.Bytes(), nil
}

// Raw is everything a run recorded, for WriteJSON: every sample of every
// round, not only the medians the tables show.
type Raw struct {
	Env    Env
	Report *Report
}

// WriteJSON writes r and e as indented JSON, so that a run can be
// compared with another or rendered again after the fact.
func WriteJSON(w io.Writer, r *Report, e Env) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(Raw{Env: e, Report: r}); err != nil {
		return fmt.Errorf("harness: write JSON: %w", err)
	}
	return nil
}
