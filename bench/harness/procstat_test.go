package harness

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// statLine builds a /proc/PID/stat line with the given fields of interest.
func statLine(pid int, comm string, ppid int, utime, stime uint64) string {
	return strconv.Itoa(pid) + " (" + comm + ") S " + strconv.Itoa(ppid) +
		" 1 1 0 -1 4194560 100 0 0 0 " +
		strconv.FormatUint(utime, 10) + " " + strconv.FormatUint(stime, 10) +
		" 0 0 20 0 1 0 12345 1000000 200 18446744073709551615\n"
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    procStat
		wantErr bool
	}{
		{name: "plain", in: statLine(42, "nginx", 1, 150, 50),
			want: procStat{ppid: 1, cpu: 2 * time.Second}},
		{name: "comm with spaces and parens", in: statLine(7, "a) (b c)", 3, 1, 2),
			want: procStat{ppid: 3, cpu: 30 * time.Millisecond}},
		{name: "no paren", in: "42 nginx S 1", wantErr: true},
		{name: "too short", in: "42 (x) S 1 1 1", wantErr: true},
		{name: "bad number", in: "42 (x) S 1 1 1 0 -1 4 1 0 0 0 z 2 0", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, errStat) {
					t.Errorf("parseStat(%q) error = %v, want %v", tt.in, err, errStat)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseStat(%q) = %+v, %v, want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseHWM(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{name: "present", in: "Name:\tnginx\nVmPeak:\t  9000 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 1024 kB\n",
			want: 2 << 20},
		{name: "zombie has none", in: "Name:\tx\nState:\tZ (zombie)\n", want: 0},
		{name: "wrong unit", in: "VmHWM:\t 12 MB\n", wantErr: true},
		{name: "not a number", in: "VmHWM:\t x kB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHWM([]byte(tt.in))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseHWM(%q) = %d, %v, want %d (error %v)", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// fakeProc writes a /proc-like tree: pid -> {ppid, utime ticks, VmHWM kB}.
func fakeProc(t *testing.T, procs map[int][3]int) procFS {
	t.Helper()
	root := t.TempDir()
	for pid, p := range procs {
		dir := filepath.Join(root, strconv.Itoa(pid))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		stat := statLine(pid, "p", p[0], uint64(p[1]), 0)
		status := "Name:\tp\nVmHWM:\t" + strconv.Itoa(p[2]) + " kB\n"
		if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "status"), []byte(status), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Entries that are not processes are ignored.
	if err := os.WriteFile(filepath.Join(root, "loadavg"), []byte("0 0 0"), 0o644); err != nil {
		t.Fatal(err)
	}
	return procFS{root: root}
}

func TestTreeCPUAndRSS(t *testing.T) {
	fs := fakeProc(t, map[int][3]int{
		1:   {0, 1000, 100},
		100: {1, 10, 1000}, // master
		101: {100, 200, 3000},
		102: {100, 300, 3000},
		103: {101, 5, 10},  // grandchild
		200: {1, 999, 999}, // unrelated
	})
	tests := []struct {
		name    string
		pid     int
		wantCPU time.Duration
		wantRSS int64
	}{
		{name: "whole tree", pid: 100, wantCPU: 5150 * time.Millisecond, wantRSS: 7010 << 10},
		{name: "leaf", pid: 103, wantCPU: 50 * time.Millisecond, wantRSS: 10 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cpu, err := fs.treeCPU(tt.pid)
			if err != nil || cpu != tt.wantCPU {
				t.Errorf("treeCPU(%d) = %v, %v, want %v", tt.pid, cpu, err, tt.wantCPU)
			}
			rss, err := fs.treePeakRSS(tt.pid)
			if err != nil || rss != tt.wantRSS {
				t.Errorf("treePeakRSS(%d) = %d, %v, want %d", tt.pid, rss, err, tt.wantRSS)
			}
		})
	}
	if _, err := fs.treeCPU(999); err == nil {
		t.Errorf("treeCPU(999) of a missing process: want an error")
	}
}

func TestRealProcSelf(t *testing.T) {
	fs := procFS{root: "/proc"}
	before, err := fs.treeCPU(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	// Burn a little CPU, bounded by a deadline, and expect the counter to
	// move by at least one tick.
	deadline := time.Now().Add(2 * time.Second)
	after := before
	for x := uint64(1); after == before && time.Now().Before(deadline); x++ {
		for i := 0; i < 1e6; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
		after, err = fs.treeCPU(os.Getpid())
		if err != nil {
			t.Fatalf("treeCPU(self): %v", err)
		}
	}
	if after <= before {
		t.Errorf("treeCPU(self) did not grow: %v then %v", before, after)
	}
	rss, err := fs.treePeakRSS(os.Getpid())
	if err != nil || rss <= 0 {
		t.Errorf("treePeakRSS(self) = %d, %v, want > 0", rss, err)
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte(statLine(1, "init", 0, 5, 6)))
	f.Add([]byte(statLine(2, ") ) (", 1, 0, 0)))
	f.Add([]byte("1 (x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseStat(data)
		if err != nil && st != (procStat{}) {
			t.Errorf("parseStat returned %+v with error %v", st, err)
		}
	})
}

func FuzzParseHWM(f *testing.F) {
	f.Add([]byte("VmHWM:\t 100 kB\n"))
	f.Add([]byte("VmHWM: -1 kB"))
	f.Add([]byte("Name: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseHWM(data)
		if n < 0 || (err != nil && n != 0) {
			t.Errorf("parseHWM = %d, %v", n, err)
		}
	})
}
