//go:build linux

package main

import (
	"context"
	"time"

	"github.com/cloudwego/netpoll"
	"golang.org/x/sys/unix"
)

// startKick registers a periodic timerfd with netpoll's poller, so that a
// poller parked in epoll_wait wakes every interval (experiment).
func startKick(interval time.Duration) error {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return err
	}
	ts := unix.NsecToTimespec(int64(interval))
	if err := unix.TimerfdSettime(fd, 0, &unix.ItimerSpec{Interval: ts, Value: ts}, nil); err != nil {
		return err
	}
	nc, err := netpoll.NewFDConnection(fd)
	if err != nil {
		return err
	}
	return nc.SetOnRequest(func(_ context.Context, c netpoll.Connection) error {
		r := c.Reader()
		_ = r.Skip(r.Len())
		return r.Release()
	})
}
