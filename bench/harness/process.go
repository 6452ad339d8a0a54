package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Errors of process management.
var (
	// errExited reports a process that ended before it was stopped.
	errExited = errors.New("harness: process exited early")
	// errNotReady reports a process that did not answer in time.
	errNotReady = errors.New("harness: process not ready in time")
)

// stopGrace is how long a stopped process group gets to exit after
// SIGTERM before it is sent SIGKILL.
const stopGrace = 5 * time.Second

// process is one program the harness started, in a process group of its
// own so that its children (nginx workers) are stopped with it.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string        // file holding its stdout and stderr
	done chan struct{} // closed when the process has been waited for
	err  error         // Wait's result, valid after done
}

// spec says how to start a process.
type spec struct {
	name  string
	argv  []string
	env   []string   // added to the harness's environment
	cpu   int        // CPU to pin to with taskset; negative means no pinning
	files []*os.File // passed as fds 3, 4, ...
	dir   string     // directory for the log file
}

// start runs s in a new process group. The process ends when stop is
// called; it is not tied to ctx, so that stop can always clean up.
func start(s spec) (*process, error) {
	argv := s.argv
	if s.cpu >= 0 {
		argv = append([]string{"taskset", "-c", strconv.Itoa(s.cpu)}, argv...)
	}
	logPath := filepath.Join(s.dir, s.name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", s.name, err)
	}
	defer logf.Close()

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), s.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = s.files
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", s.name, err)
	}

	p := &process{name: s.name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// pid returns the process's id; with taskset it is the program's own,
// since taskset execs it.
func (p *process) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, waits up to stopGrace for
// the leader to exit, else sends SIGKILL to the group. It returns once
// the leader was reaped. The group is only signalled while its leader is
// alive, so the group id cannot have been reused by another program.
// nginx and HAProxy wait for their workers before exiting on SIGTERM.
func (p *process) stop() {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGTERM)
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-p.done:
		return
	case <-t.C:
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
	<-p.done
}

// logTail returns the last lines of the process's output for an error.
func (p *process) logTail() string {
	data, err := os.ReadFile(p.log)
	if err != nil {
		return ""
	}
	if len(data) > 600 {
		data = data[len(data)-600:]
	}
	return string(bytes.TrimSpace(data))
}

// waitReady polls until ready succeeds, the process exits, ctx ends or
// timeout passes. Polling is how one waits for a program not written to
// signal readiness; the loop is bounded by the timeout.
func (p *process) waitReady(ctx context.Context, timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for time.Now().Before(deadline) {
		if last = ready(); last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s: %w (%v): %s", p.name, errExited, p.err, p.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return fmt.Errorf("%s: %w: %v: %s", p.name, errNotReady, last, p.logTail())
}

// freePort returns a loopback address with a port the kernel just handed
// out and released. Another program may take it before the target binds
// it; the target then fails to start and the caller retries.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("pick a port: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("pick a port: %w", err)
	}
	return addr, nil
}
