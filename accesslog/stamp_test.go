package accesslog

import (
	"testing"
	"time"
)

// TestStamp formats a sequence of times through one cache, so each row
// also checks that the row before it does not leak into it, and compares
// with time.AppendFormat.
func TestStamp(t *testing.T) {
	base := time.Date(2026, 12, 4, 16, 48, 13, 123456789, time.UTC)
	east := time.FixedZone("E", 5*3600+45*60)
	west := time.FixedZone("W", -8*3600)
	tests := []struct {
		name string
		t    time.Time
	}{
		{name: "first", t: base},
		{name: "same second", t: base.Add(800 * time.Millisecond)},
		{name: "next second", t: base.Add(time.Second)},
		{name: "same instant, other zone", t: base.Add(time.Second).In(east)},
		{name: "west zone", t: base.In(west)},
		{name: "whole second", t: base.Truncate(time.Second)},
		{name: "last microsecond", t: base.Truncate(time.Second).Add(999999999)},
		{name: "before 1970", t: time.Date(1969, 12, 31, 23, 59, 59, 1000, time.UTC)},
		{name: "zero", t: time.Time{}},
		{name: "local", t: base.Local()},
	}
	var ts stamp
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(ts.appendJSONTime(nil, tt.t))
			want := tt.t.Format("2006-01-02T15:04:05.000000Z07:00")
			if got != want {
				t.Errorf("appendJSONTime(%v) = %q, want %q", tt.t, got, want)
			}
			got = string(ts.appendCombinedTime(nil, tt.t))
			if want := tt.t.Format(combinedTime); got != want {
				t.Errorf("appendCombinedTime(%v) = %q, want %q", tt.t, got, want)
			}
		})
	}
}
