package harness

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// userHZ is the unit of utime and stime in /proc/PID/stat. The kernel
// reports them in USER_HZ, fixed at 100 on every architecture Go targets
// on Linux, so no sysconf call is needed.
const userHZ = 100

// errStat reports a /proc/PID/stat or status line that could not be read.
var errStat = errors.New("harness: malformed /proc stat")

// procStat is the part of /proc/PID/stat the harness uses.
type procStat struct {
	ppid int
	cpu  time.Duration // utime + stime of all the process's threads
}

// parseStat parses the contents of /proc/PID/stat. The command name, in
// parentheses, may hold spaces and parentheses itself, so fields are
// counted from the last ')' (proc(5): fields 4 ppid, 14 utime, 15 stime).
func parseStat(data []byte) (procStat, error) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return procStat{}, errStat
	}
	fields := bytes.Fields(data[end+1:])
	// fields[0] is field 3 (state), so field n is fields[n-3].
	if len(fields) < 13 {
		return procStat{}, errStat
	}
	ppid, err1 := strconv.Atoi(string(fields[1]))
	utime, err2 := strconv.ParseUint(string(fields[11]), 10, 64)
	stime, err3 := strconv.ParseUint(string(fields[12]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return procStat{}, errStat
	}
	ticks := utime + stime
	return procStat{ppid: ppid, cpu: time.Duration(ticks) * (time.Second / userHZ)}, nil
}

// parseHWM returns VmHWM (peak resident set size) in bytes from the
// contents of /proc/PID/status. A process without memory (a zombie) has
// no VmHWM line and reports 0.
func parseHWM(data []byte) (int64, error) {
	for line := range bytes.Lines(data) {
		rest, ok := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, errStat
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || kb < 0 || kb > 1<<50 {
			return 0, errStat
		}
		return kb << 10, nil
	}
	return 0, nil
}

// procFS reads process information below a /proc mount. Tests point root
// at a fake tree.
type procFS struct {
	root string
}

// stat reads and parses root/PID/stat.
func (p procFS) stat(pid int) (procStat, error) {
	data, err := os.ReadFile(filepath.Join(p.root, strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(data)
}

// tree returns pid and all its descendants, found by scanning every
// process's parent. Processes that exit during the scan are skipped.
func (p procFS) tree(pid int) ([]int, error) {
	entries, err := os.ReadDir(p.root)
	if err != nil {
		return nil, err
	}
	children := map[int][]int{}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := p.stat(child)
		if err != nil {
			continue
		}
		children[st.ppid] = append(children[st.ppid], child)
	}

	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out, nil
}

// treeCPU returns the user+system CPU time used so far by pid and its
// descendants. Time of children that already exited is not included;
// none of the targets starts short-lived children while it serves.
func (p procFS) treeCPU(pid int) (time.Duration, error) {
	pids, err := p.tree(pid)
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for i, q := range pids {
		st, err := p.stat(q)
		if err != nil {
			if i == 0 {
				return 0, err
			}
			continue // a descendant exited meanwhile
		}
		total += st.cpu
	}
	return total, nil
}

// treePeakRSS returns the sum of VmHWM over pid and its descendants: the
// memory the target needed at its peak, counting every worker process.
//
// TODO: count pages shared between processes once (from smaps_rollup
// Pss); until then nginx's figure includes its master's and worker's
// shared text twice and reads a few MiB high.
func (p procFS) treePeakRSS(pid int) (int64, error) {
	pids, err := p.tree(pid)
	if err != nil {
		return 0, err
	}
	var total int64
	for i, q := range pids {
		data, err := os.ReadFile(filepath.Join(p.root, strconv.Itoa(q), "status"))
		if err != nil {
			if i == 0 {
				return 0, err
			}
			continue
		}
		hwm, err := parseHWM(data)
		if err != nil {
			return 0, err
		}
		total += hwm
	}
	return total, nil
}
