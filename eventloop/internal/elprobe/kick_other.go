//go:build !linux

package main

import (
	"errors"
	"time"
)

// startKick is Linux-only: it needs timerfd.
func startKick(time.Duration) error { return errors.New("kick needs Linux timerfd") }
