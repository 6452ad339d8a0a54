package main

import (
	"bytes"
	"testing"
	"time"
)

func TestOptions(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		wantErr     bool
		rounds      int
		duration    time.Duration
		timeout     time.Duration
		scenarios   []string
		wantTargets int
	}{
		{name: "full defaults", args: nil, rounds: 3, duration: 3 * time.Second,
			timeout: 25 * time.Minute, wantTargets: 6},
		{name: "smoke defaults", args: []string{"-mode", "smoke"}, rounds: 1, duration: time.Second,
			timeout: 100 * time.Second, wantTargets: 6},
		{name: "overrides", args: []string{"-rounds", "5", "-duration", "2s", "-targets", "direct, nginx",
			"-scenarios", "get-1k-c1,get-1k-c10-newconn"}, rounds: 5, duration: 2 * time.Second,
			timeout: 25 * time.Minute, scenarios: []string{"get-1k-c1", "get-1k-c10-newconn"},
			wantTargets: 2},
		{name: "unknown scenario", args: []string{"-scenarios", "nope"}, wantErr: true},
		{name: "bad mode", args: []string{"-mode", "fast"}, wantErr: true},
		{name: "stray argument", args: []string{"extra"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			f, err := parseFlags(tt.args, &stderr)
			if err == nil {
				opts, scs, timeout, err2 := f.options(&stderr)
				err = err2
				if err == nil {
					if opts.Rounds != tt.rounds || opts.Duration != tt.duration || timeout != tt.timeout ||
						len(opts.Targets) != tt.wantTargets {
						t.Errorf("options = rounds %d duration %v timeout %v targets %v",
							opts.Rounds, opts.Duration, timeout, opts.Targets)
					}
					if tt.scenarios != nil {
						if len(scs) != len(tt.scenarios) {
							t.Fatalf("scenarios = %d, want %v", len(scs), tt.scenarios)
						}
						for i, sc := range scs {
							if sc.Name != tt.scenarios[i] {
								t.Errorf("scenario %d = %q, want %q", i, sc.Name, tt.scenarios[i])
							}
						}
					}
				}
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("parse and options error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestSplitList(t *testing.T) {
	got := splitList(" a, ,b,")
	if len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("splitList = %q, want [a b]", got)
	}
}
