package harness

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// sample builds a sample of round r with rps, p50 and CPU per request.
func sample(r int, rps float64, p50 time.Duration, cpuPerReq time.Duration) Sample {
	const n = 1000
	return Sample{Round: r, Requests: n, RPS: rps, P50: p50, P99: 2 * p50, P999: 3 * p50,
		CPU: cpuPerReq * n, Elapsed: time.Second, BackendConns: 50}
}

func TestRows(t *testing.T) {
	us := time.Microsecond
	sr := ScenarioResult{Scenario: getSmall.with("x", 50), Targets: []TargetResult{
		{Name: TargetDirect, Samples: []Sample{sample(0, 40000, 100*us, 8*us),
			sample(1, 42000, 110*us, 8*us), sample(2, 41000, 90*us, 8*us)}},
		{Name: TargetPortico, PeakRSS: 20 << 20, Samples: []Sample{sample(0, 20000, 300*us, 30*us),
			sample(1, 22000, 330*us, 20*us), sample(2, 10000, 250*us, 25*us)}},
		{Name: TargetNginx, Samples: []Sample{sample(0, 20000, 200*us, 20*us),
			sample(1, 20000, 210*us, 20*us), sample(2, 20000, 190*us, 25*us)}},
		{Name: TargetHAProxy, Skipped: "not installed"},
	}}
	got := rows(sr)
	if len(got) != 3 {
		t.Fatalf("rows() = %d rows, want 3 (skipped target left out)", len(got))
	}
	tests := []struct {
		name              string
		row               row
		rps               float64
		p50, added        time.Duration
		cpu, rpsR, cpuR   float64
		hasAdded, hasRate bool
	}{
		// portico added per round: 200, 220, 160 -> 200 µs; rps ratios
		// 1.0, 1.1, 0.5 -> 1.0; CPU ratios 1.5, 1.0, 1.0 -> 1.0.
		{name: "portico", row: got[1], rps: 20000, p50: 300 * us, added: 200 * us,
			cpu: 25, rpsR: 1.0, cpuR: 1.0, hasAdded: true, hasRate: true},
		{name: "nginx", row: got[2], rps: 20000, p50: 200 * us, added: 100 * us,
			cpu: 20, rpsR: 1, cpuR: 1, hasAdded: true, hasRate: true},
		{name: "direct", row: got[0], rps: 41000, p50: 100 * us, cpu: 8, rpsR: 2.05,
			cpuR: 0.4, hasRate: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.row
			if r.name != tt.name || r.rps != tt.rps || r.p50 != tt.p50 || r.hasAdded != tt.hasAdded ||
				(tt.hasAdded && r.added != tt.added) {
				t.Errorf("row = %+v, want rps %v p50 %v added %v (%v)", r, tt.rps, tt.p50, tt.added, tt.hasAdded)
			}
			if !near(r.cpuPerReq, tt.cpu) || !near(r.rpsRatio, tt.rpsR) || !near(r.cpuRatio, tt.cpuR) ||
				r.hasRatio != tt.hasRate {
				t.Errorf("row cpu, ratios = %v, %v, %v, want %v, %v, %v",
					r.cpuPerReq, r.rpsRatio, r.cpuRatio, tt.cpu, tt.rpsR, tt.cpuR)
			}
		})
	}
}

// near reports whether a and b agree to 1e-9 relative.
func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-9*(1+b)
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{name: "empty", in: nil, want: 0},
		{name: "one", in: []float64{3}, want: 3},
		{name: "odd unsorted", in: []float64{9, 1, 5}, want: 5},
		{name: "even", in: []float64{4, 1, 3, 2}, want: 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{name: "µs", got: durText(87 * time.Microsecond), want: "87 µs"},
		{name: "ms", got: durText(1234 * time.Microsecond), want: "1.23 ms"},
		{name: "tens of ms", got: durText(12345 * time.Microsecond), want: "12.3 ms"},
		{name: "s", got: durText(1200 * time.Millisecond), want: "1.20 s"},
		{name: "added", got: addedText(row{added: 130 * time.Microsecond, hasAdded: true}), want: "+130 µs"},
		{name: "added negative", got: addedText(row{added: -5 * time.Microsecond, hasAdded: true}),
			want: "−5 µs"},
		{name: "added unknown", got: addedText(row{}), want: "–"},
		{name: "rss", got: rssText(15 << 20), want: "15.0 MiB"},
		{name: "ratio", got: ratioText(0.934, true), want: "0.93×"},
		{name: "size", got: sizeText(16 << 10), want: "16 KiB"},
		{name: "one line", got: oneLine("a\n  b\tc"), want: "a b c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestWriteScenario(t *testing.T) {
	us := time.Microsecond
	bad := sample(0, 100, 50*us, 10*us)
	bad.Errors, bad.FirstError = 3, "load: response status not 2xx"
	churning := sample(0, 1000, 50*us, 10*us)
	churning.BackendConns = 400
	tests := []struct {
		name  string
		sr    ScenarioResult
		wants []string
	}{
		{name: "table and notes", sr: ScenarioResult{Scenario: getSmall.with("get-1k-c50", 50),
			Targets: []TargetResult{
				{Name: TargetDirect, Samples: []Sample{sample(0, 1000, 50*us, 10*us)}},
				{Name: TargetPortico, Samples: []Sample{bad}},
				{Name: TargetNginx, Skipped: "harness: program not installed: nginx"},
				{Name: TargetHAProxy, Failed: "haproxy: process exited early\nbind failed"},
				{Name: TargetHTTPUtil, Samples: []Sample{{Round: 0}}},
				{Name: TargetPorticoEventloop, Samples: []Sample{churning}},
			}},
			wants: []string{"### get-1k-c50\n", "GET /1k, 50 connections, keep-alive, closed loop.",
				tableHeader, "| direct | 1000 | 50 µs |", "| portico | 100 |",
				"- nginx skipped: harness: program not installed: nginx",
				"- haproxy FAILED: haproxy: process exited early bind failed",
				"- portico: 3 failed requests, first: load: response status not 2xx",
				"- httputil: no request completed in the measured window in 1 of 1 rounds",
				"- portico-eventloop opened 400 upstream connections for 1000 requests"}},
		{name: "skipped scenario", sr: ScenarioResult{Scenario: Scenario{Name: "auth-c50",
			Method: "GET", Path: "/1k", Conns: 50, Skip: "not yet"}},
			wants: []string{"### auth-c50", "Skipped: not yet."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			writeScenario(&b, tt.sr)
			for _, w := range tt.wants {
				if !strings.Contains(b.String(), w) {
					t.Errorf("writeScenario output lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}

func TestReportFailed(t *testing.T) {
	ok := TargetResult{Name: "a", Samples: []Sample{{Requests: 10}}}
	tests := []struct {
		name string
		tr   TargetResult
		want bool
	}{
		{name: "all good", tr: ok, want: false},
		{name: "skipped is not a failure", tr: TargetResult{Name: "b", Skipped: "x"}, want: false},
		{name: "failed to start", tr: TargetResult{Name: "b", Failed: "x"}, want: true},
		{name: "errors", tr: TargetResult{Name: "b", Samples: []Sample{{Requests: 9, Errors: 1}}}, want: true},
		{name: "non 2xx", tr: TargetResult{Name: "b", Samples: []Sample{{Requests: 9, Non2xx: 1}}}, want: true},
		{name: "nothing served", tr: TargetResult{Name: "b", Samples: []Sample{{}}}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{Scenarios: []ScenarioResult{{Targets: []TargetResult{ok, tt.tr}}}}
			if got := r.Failed(); got != tt.want {
				t.Errorf("Failed() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRoundOrder(t *testing.T) {
	names := []string{TargetDirect, "a", "b", "c"}
	live := []int{0, 1, 2, 3}
	tests := []struct {
		name  string
		round int
		want  []int
	}{
		{name: "round 0", round: 0, want: []int{0, 1, 2, 3}},
		{name: "round 1", round: 1, want: []int{0, 2, 3, 1}},
		{name: "round 3 wraps", round: 3, want: []int{0, 1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roundOrder(len(live), tt.round, names, live)
			if len(got) != len(tt.want) {
				t.Fatalf("roundOrder = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("roundOrder = %v, want %v", got, tt.want)
				}
			}
		})
	}
}
