package eventloop

import "runtime"

// checkProcs returns ErrSingleProc when GOMAXPROCS is below 2 and cfg does
// not accept that.
func checkProcs(cfg Config) error {
	if runtime.GOMAXPROCS(0) < 2 && !cfg.AllowSingleProc {
		return ErrSingleProc
	}
	return nil
}

// Why New refuses GOMAXPROCS=1 (ErrSingleProc) unless told otherwise.
//
// netpoll's poller goroutine loops in Wait: it handles ready events, calls
// epoll_wait with a zero timeout while events keep coming, and otherwise
// calls runtime.Gosched and then epoll_wait with no timeout through
// syscall.Syscall6 (netpoll poll_default_linux.go, sys_epoll_linux.go).
// Syscall6 keeps the P attached to the thread for the whole wait; only
// sysmon can take it back.
//
// With one P that goes wrong in this order:
//  1. The poller reads requests and starts a handler task for each; the
//     new goroutines sit in the P's local run queue.
//  2. The poller calls Gosched, which puts it on the global run queue.
//     The scheduler looks at the global queue first on every 61st tick
//     (runtime proc.go, findRunnable), so now and then the poller runs
//     again before the handlers it just queued.
//  3. No event is ready, so it parks in epoll_wait holding the only P. The
//     queued handlers cannot run, so their clients wait and send nothing
//     new that would wake the poller.
//  4. sysmon takes the P back only after it has seen the same syscall on
//     two of its ticks (runtime proc.go, retake), and a busy server whose
//     poller is always briefly in and out of syscalls lets sysmon back off
//     to its 10 ms tick: the handlers wait 10-20 ms.
//
// That is the fixed ~16 ms p99 (p50 unaffected) the transport trial saw at
// GOMAXPROCS=1, against 2.9-3.3 ms with GOMAXPROCS=2 on the same single
// core: with a second P the queued handlers run on it while the poller
// waits. A 1-CPU container gets GOMAXPROCS=1 by default since Go 1.25, so
// the operator must choose: GOMAXPROCS=2 (or more), the standard
// transport, or Config.AllowSingleProc and the tail.
//
// Measured with the probe (internal/elprobe, -sched-out) on a shared 2-vCPU
// machine under heavy outside load, server pinned to one core, wrk -c50:
// the share of goroutine waits over 10 ms (runtime/metrics
// /sched/latencies:seconds) was 0.63-0.90 % for the event loop at
// GOMAXPROCS=1, 0.04-0.34 % for the event loop at GOMAXPROCS=2 and
// 0.00-0.26 % for fasthttp.Server at GOMAXPROCS=1 (three runs each). A
// timerfd registered with netpoll to wake the poller every 1 ms (-kick)
// gave 0.15-1.17 %: inconclusive on that machine, so it is not used.
//
// TODO: wake a parked poller from the kernel (for example a periodic
// timerfd registered with netpoll) so that GOMAXPROCS=1 keeps a short tail
// without a second P; until then a 1-CPU deployment must set
// GOMAXPROCS=2 or pick the standard transport.
