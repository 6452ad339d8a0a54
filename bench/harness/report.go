package harness

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"
)

// row is one target's line in a scenario table: medians over rounds.
type row struct {
	name       string
	rps        float64
	p50, p99   time.Duration
	p999       time.Duration
	added      time.Duration // p50 minus direct's p50 in the same round
	hasAdded   bool
	cpuPerReq  float64 // microseconds
	hasCPU     bool
	rss        int64
	rpsRatio   float64 // to nginx in the same round
	cpuRatio   float64
	hasRatio   bool
	errors     uint64
	firstError string
	empty      int // rounds in which no request completed in the window
	rounds     int
	requests   uint64 // summed over rounds
	upConns    int64  // backend connections summed over rounds; -1 unknown
}

// rows turns a scenario's samples into table rows.
func rows(sr ScenarioResult) []row {
	byName := map[string]*TargetResult{}
	for i := range sr.Targets {
		byName[sr.Targets[i].Name] = &sr.Targets[i]
	}
	direct, nginx := byName[TargetDirect], byName[TargetNginx]

	var out []row
	for _, tr := range sr.Targets {
		if len(tr.Samples) == 0 {
			continue
		}
		r := row{name: tr.Name, rss: tr.PeakRSS, rounds: len(tr.Samples)}
		var rps, cpu, added, rpsRatio, cpuRatio []float64
		var p50, p99, p999 []time.Duration
		for _, s := range tr.Samples {
			r.errors += s.Errors + s.Non2xx
			if s.Requests == 0 {
				r.empty++
			}
			r.requests += s.Requests
			if s.BackendConns < 0 || r.upConns < 0 {
				r.upConns = -1
			} else {
				r.upConns += s.BackendConns
			}
			if r.firstError == "" {
				r.firstError = s.FirstError
			}
			rps = append(rps, s.RPS)
			p50, p99, p999 = append(p50, s.P50), append(p99, s.P99), append(p999, s.P999)
			c, okCPU := cpuPerRequest(s)
			if okCPU {
				cpu = append(cpu, c)
			}
			if d, ok := sameRound(direct, s.Round); ok && tr.Name != TargetDirect {
				added = append(added, float64(s.P50-d.P50))
			}
			if n, ok := sameRound(nginx, s.Round); ok && n.RPS > 0 {
				rpsRatio = append(rpsRatio, s.RPS/n.RPS)
				if nc, okN := cpuPerRequest(n); okN && okCPU && nc > 0 {
					cpuRatio = append(cpuRatio, c/nc)
				}
			}
		}
		r.rps = median(rps)
		r.p50, r.p99, r.p999 = medianDur(p50), medianDur(p99), medianDur(p999)
		r.added, r.hasAdded = time.Duration(median(added)), len(added) > 0
		r.cpuPerReq, r.hasCPU = median(cpu), len(cpu) > 0
		r.rpsRatio, r.hasRatio = median(rpsRatio), len(rpsRatio) > 0
		r.cpuRatio = median(cpuRatio)
		out = append(out, r)
	}
	return out
}

// churns reports whether a proxy opened noticeably more upstream
// connections than a kept-alive pool would: more than twice the client
// connections per round and more than one per hundred requests.
func churns(r row, conns int) bool {
	return r.upConns > int64(2*conns*r.rounds) && r.upConns*100 > int64(r.requests)
}

// cpuPerRequest returns the sample's CPU microseconds per request.
func cpuPerRequest(s Sample) (float64, bool) {
	if s.CPUErr != "" || s.Requests == 0 {
		return 0, false
	}
	return float64(s.CPU) / float64(time.Microsecond) / float64(s.Requests), true
}

// sameRound returns tr's sample of round r.
func sameRound(tr *TargetResult, r int) (Sample, bool) {
	if tr == nil {
		return Sample{}, false
	}
	for _, s := range tr.Samples {
		if s.Round == r && s.Requests > 0 {
			return s, true
		}
	}
	return Sample{}, false
}

// median returns the median of v (mean of the middle two when even), or
// 0 when v is empty. v is reordered.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return (v[m-1] + v[m]) / 2
}

// medianDur is median for durations.
func medianDur(d []time.Duration) time.Duration {
	f := make([]float64, len(d))
	for i, x := range d {
		f[i] = float64(x)
	}
	return time.Duration(median(f))
}

// tableHeader is the header of every scenario table.
const tableHeader = "| target | req/s | p50 | p99 | p99.9 | added p50 vs direct | " +
	"CPU µs/req | peak RSS | req/s vs nginx | CPU vs nginx |\n" +
	"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"

// writeScenario renders one scenario: heading, description, table and
// notes on skipped, failed and erroring targets.
func writeScenario(b *bytes.Buffer, sr ScenarioResult) {
	sc := sr.Scenario
	fmt.Fprintf(b, "### %s\n\n%s.\n\n", sc.Name, sc.Describe())
	if sc.Skip != "" {
		fmt.Fprintf(b, "Skipped: %s.\n\n", sc.Skip)
		return
	}
	rs := rows(sr)
	if len(rs) > 0 {
		b.WriteString(tableHeader)
	}
	for _, r := range rs {
		fmt.Fprintf(b, "| %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.name, r.rps, durText(r.p50), durText(r.p99), durText(r.p999),
			addedText(r), cpuText(r), rssText(r.rss), ratioText(r.rpsRatio, r.hasRatio),
			ratioText(r.cpuRatio, r.hasRatio && r.cpuRatio > 0))
	}
	if len(rs) > 0 {
		b.WriteString("\n")
	}
	var notes bytes.Buffer
	for _, tr := range sr.Targets {
		switch {
		case tr.Skipped != "":
			fmt.Fprintf(&notes, "- %s skipped: %s\n", tr.Name, tr.Skipped)
		case tr.Failed != "":
			fmt.Fprintf(&notes, "- %s FAILED: %s\n", tr.Name, oneLine(tr.Failed))
		}
	}
	for _, r := range rs {
		if r.errors > 0 {
			fmt.Fprintf(&notes, "- %s: %d failed requests, first: %s\n", r.name, r.errors,
				oneLine(r.firstError))
		}
		if r.name != TargetDirect && churns(r, sr.Scenario.Conns) {
			fmt.Fprintf(&notes, "- %s opened %d upstream connections for %d requests: "+
				"upstream keep-alive is not holding\n", r.name, r.upConns, r.requests)
		}
		if r.empty > 0 {
			fmt.Fprintf(&notes, "- %s: no request completed in the measured window "+
				"in %d of %d rounds\n", r.name, r.empty, r.rounds)
		}
	}
	if notes.Len() > 0 {
		b.Write(notes.Bytes())
		b.WriteString("\n")
	}
}

// oneLine flattens a message for a markdown list item.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// durText renders a latency: "87 µs", "1.23 ms", "12.3 ms", "1.20 s".
func durText(d time.Duration) string {
	us := float64(d) / float64(time.Microsecond)
	switch {
	case us < 1000:
		return fmt.Sprintf("%.0f µs", us)
	case us < 10000:
		return fmt.Sprintf("%.2f ms", us/1000)
	case us < 1e6:
		return fmt.Sprintf("%.1f ms", us/1000)
	default:
		return fmt.Sprintf("%.2f s", us/1e6)
	}
}

// addedText renders the added median latency, signed.
func addedText(r row) string {
	if !r.hasAdded {
		return "–"
	}
	if r.added < 0 {
		return "−" + durText(-r.added)
	}
	return "+" + durText(r.added)
}

// cpuText renders CPU microseconds per request.
func cpuText(r row) string {
	if !r.hasCPU {
		return "–"
	}
	return fmt.Sprintf("%.1f", r.cpuPerReq)
}

// rssText renders bytes as MiB.
func rssText(n int64) string {
	if n <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// ratioText renders a ratio like "0.93×", or a dash when unknown.
func ratioText(v float64, ok bool) string {
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.2f×", v)
}

// Tables renders every scenario of the report as markdown.
func (r *Report) Tables() []byte {
	var b bytes.Buffer
	for _, sr := range r.Scenarios {
		writeScenario(&b, sr)
	}
	return b.Bytes()
}
