package harness

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReplaceSection(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    string
		wantErr bool
	}{
		{name: "keeps the outside",
			doc:  "# B\nintro\n" + MarkBegin + "\nold\nold\n" + MarkEnd + "\n## micro\nkeep\n",
			want: "# B\nintro\n" + MarkBegin + "\nNEW\n" + MarkEnd + "\n## micro\nkeep\n"},
		{name: "empty section", doc: MarkBegin + MarkEnd, want: MarkBegin + "\nNEW\n" + MarkEnd},
		{name: "no markers", doc: "# B\n", wantErr: true},
		{name: "reversed", doc: MarkEnd + MarkBegin, wantErr: true},
		{name: "twice", doc: MarkBegin + MarkEnd + MarkBegin + MarkEnd, wantErr: true},
	}
	if _, err := replaceSection([]byte(MarkBegin+MarkEnd), []byte(MarkEnd)); !errors.Is(err, errMarkers) {
		t.Errorf("replaceSection with a marker in the section: error = %v, want %v", err, errMarkers)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := replaceSection([]byte(tt.doc), []byte("\nNEW\n\n"))
			if tt.wantErr {
				if !errors.Is(err, errMarkers) {
					t.Errorf("replaceSection(%q) error = %v, want %v", tt.doc, err, errMarkers)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("replaceSection(%q) = %q, %v, want %q", tt.doc, got, err, tt.want)
			}
		})
	}
}

func TestRewriteSectionCreatesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	for i, sec := range []string{"first", "second"} {
		if err := RewriteSection(path, []byte(sec)); err != nil {
			t.Fatalf("RewriteSection #%d: %v", i, err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if !strings.HasPrefix(s, "# Benchmarks") || !strings.Contains(s, MarkBegin+"\nsecond\n"+MarkEnd) ||
		strings.Contains(s, "first") {
		t.Errorf("BENCHMARKS.md after two rewrites:\n%s", s)
	}
}

func TestSection(t *testing.T) {
	rep := &Report{Options: Options{Rounds: 3, Warmup: time.Second, Duration: 4 * time.Second,
		ServerCPU: 0, LoadCPU: 1}}
	env := Env{Date: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), CPUs: 2, CPUModel: "Test CPU",
		LoadBefore: "0.10 0.20 0.30", LoadAfter: "1.00 1.00 1.00", Command: "make bench",
		Versions: map[string]string{"nginx": "nginx version: nginx/1.22.1", "go": "go1.26"}}
	got := string(Section(rep, env))
	for _, want := range []string{"- Date: 2026-01-02 03:04 UTC",
		"- Machine: 2 CPUs, Test CPU; load average 0.10 0.20 0.30 before, 1.00 1.00 1.00 after",
		"- go: go1.26\n- nginx: nginx version: nginx/1.22.1\n", "- Command: `make bench`",
		"- Rounds: 3 per scenario, 1s warm-up and 4s measured each",
		"- Pinning: server under test on CPU 0, load generator and backend on CPU 1"} {
		if !strings.Contains(got, want) {
			t.Errorf("Section lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "- Warning:") {
		t.Errorf("Section warns of a busy machine at load 1.00 on 2 CPUs:\n%s", got)
	}
	env.LoadAfter = "7.50 6.00 5.00"
	if got := string(Section(rep, env)); !strings.Contains(got, "- Warning: other work") {
		t.Errorf("Section does not warn at load 7.50 on 2 CPUs:\n%s", got)
	}
}

func TestParseCPUInfo(t *testing.T) {
	data := "processor\t: 0\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n"
	n, model := parseCPUInfo([]byte(data))
	if n != 2 || model != "AMD EPYC 7B13" {
		t.Errorf("parseCPUInfo = %d, %q, want 2, %q", n, model, "AMD EPYC 7B13")
	}
}

func FuzzReplaceSection(f *testing.F) {
	f.Add("# B\n"+MarkBegin+"\nold\n"+MarkEnd+"\n", "new")
	f.Add(MarkEnd+MarkBegin, "x")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, doc, section string) {
		out, err := replaceSection([]byte(doc), []byte(section))
		if err != nil {
			return
		}
		// The text outside the markers is kept byte for byte, and the
		// result can be rewritten again.
		if _, err := replaceSection(out, []byte(section)); err != nil {
			t.Errorf("second replaceSection(%q) error: %v", out, err)
		}
		s := string(out)
		i, j := strings.Index(doc, MarkBegin), strings.Index(doc, MarkEnd)
		if !strings.HasPrefix(s, doc[:i+len(MarkBegin)]) || !strings.HasSuffix(s, doc[j:]) {
			t.Errorf("replaceSection(%q, %q) = %q: outside text changed", doc, section, s)
		}
	})
}

func FuzzParseCPUInfo(f *testing.F) {
	f.Add("processor\t: 0\nmodel name\t: X\n")
	f.Add(":\n:::\nprocessor")
	f.Fuzz(func(t *testing.T, data string) {
		n, _ := parseCPUInfo([]byte(data))
		if n < 0 || n > strings.Count(data, "processor") {
			t.Errorf("parseCPUInfo(%q) counted %d processors", data, n)
		}
	})
}

func TestWriteJSON(t *testing.T) {
	rep := &Report{Options: Options{Rounds: 1, Targets: []string{TargetDirect}},
		Scenarios: []ScenarioResult{{Scenario: getSmall.with("x", 1), Targets: []TargetResult{
			{Name: TargetDirect, Samples: []Sample{sample(0, 100, time.Millisecond, time.Microsecond)}},
		}}}}
	env := Env{CPUs: 2, Command: "make bench", Versions: map[string]string{"go": "go1.26"}}
	var b bytes.Buffer
	if err := WriteJSON(&b, rep, env); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	var got Raw
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("decode WriteJSON output: %v", err)
	}
	s := got.Report.Scenarios[0].Targets[0].Samples[0]
	if got.Env.Command != "make bench" || s.P50 != time.Millisecond || s.Requests != 1000 {
		t.Errorf("round trip = %+v, %+v", got.Env, s)
	}
}
