package limits

import (
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int64
		win  time.Duration
		err  error
	}{
		{name: "seconds", in: "100 per 1s", n: 100, win: time.Second},
		{name: "hours", in: "5000 per 1h", n: 5000, win: time.Hour},
		{name: "word", in: "10 per minute", n: 10, win: time.Minute},
		{name: "day", in: "7 per day", n: 7, win: 24 * time.Hour},
		{name: "extra spaces", in: "  3  per   10s ", n: 3, win: 10 * time.Second},
		{name: "zero", in: "0 per 1s", err: errRateCount},
		{name: "huge", in: "999999999 per 1s", err: errRateCount},
		{name: "negative", in: "-1 per 1s", err: errRateCount},
		{name: "short window", in: "1 per 500ms", err: errRateWindow},
		{name: "long window", in: "1 per 1000h", err: errRateWindow},
		{name: "no per", in: "100 / 1s", err: errRateSyntax},
		{name: "bad count", in: "ten per 1s", err: errRateSyntax},
		{name: "bad window", in: "10 per fortnight", err: errRateSyntax},
		{name: "empty", in: "", err: errRateSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, win, err := parseRate(tt.in)
			if err != tt.err || n != tt.n || win != tt.win {
				t.Errorf("parseRate(%q) = %d, %v, %v, want %d, %v, %v",
					tt.in, n, win, err, tt.n, tt.win, tt.err)
			}
		})
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"100 per 1s", "5 per hour", "1 per 744h", "x per y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, win, err := parseRate(s)
		if err != nil {
			return
		}
		if n < 1 || n > 268435454 || win < minWindow || win > maxWindow {
			t.Errorf("parseRate(%q) = %d, %v: out of range", s, n, win)
		}
	})
}
