package accesslog

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/portico-gw/portico/config"
)

// ErrClosed is returned by Reopen after Close.
var ErrClosed = errors.New("accesslog: logger closed")

// Defaults and bounds of the ring size, in records.
const (
	// DefaultBufferRecords is the ring size when BufferRecords is zero.
	DefaultBufferRecords = 8192
	// MaxBufferRecords bounds BufferRecords, about 3 GiB of slots.
	MaxBufferRecords = 1 << 20
)

// batchBytes is the most the writer hands the output in one write call.
// It is larger than any formatted record.
const batchBytes = 64 << 10

// Logger writes access-log records from a ring on its own goroutine. Log
// may be called from any number of goroutines at once; Close and Reopen
// may be called concurrently with Log. A nil *Logger, the zero Logger and
// a Logger whose Output is "off" accept every call and do nothing.
type Logger struct {
	// tail is the next ring position a producer claims. It is on its own
	// cache line because every Log writes it.
	tail atomic.Uint64
	_    [56]byte
	// inflight counts producers between the closed check and publishing,
	// so Close can wait for them; every Log writes it too.
	inflight atomic.Int64
	_        [56]byte

	slots []slot
	mask  uint64
	// nudge is a mask of ring positions at which Log wakes a sleeping
	// writer: once every half ring, so a burst wakes the writer before it
	// fills the ring, while most Log calls pay no wake-up.
	nudge   uint64
	dropped atomic.Uint64
	closed  atomic.Bool
	// sleeping is set while the writer waits for its next tick; a
	// producer that clears it owes the writer a wake-up.
	sleeping atomic.Bool

	wake    chan struct{}
	reopenc chan chan error
	quit    chan struct{}
	done    chan struct{}

	closeOnce sync.Once
	closeErr  error

	w writer
}

// slot is one ring entry. seq follows the bounded queue scheme of Dmitry
// Vyukov: seq == pos means free for the producer of position pos, and
// seq == pos+1 means filled and ready for the writer.
type slot struct {
	seq atomic.Uint64
	rec record
}

// New returns a Logger configured by cfg and starts its writer goroutine.
// Format is "json" or "combined"; Output is "off", "stdout", "stderr" or
// a file path, opened for appending; BufferRecords is the ring size,
// rounded up to a power of two of at least 2. A zero field means its
// default: "json", "stdout" and DefaultBufferRecords. logger receives the
// logger's own messages (a write failure at Warn, its recovery at Info);
// nil discards them. The ring takes about BufferRecords × SlotBytes of
// memory.
func New(cfg config.AccessLog, logger *slog.Logger) (*Logger, error) {
	if cfg.Output == outputOff {
		return &Logger{}, nil
	}
	format, size, err := check(cfg)
	if err != nil {
		return nil, err
	}
	out, err := openOutput(cfg.Output)
	if err != nil {
		return nil, err
	}
	return start(format, size, out, logger), nil
}

// NewWriter is New writing to w instead of cfg.Output, which is ignored.
// Reopen does nothing and Close does not close w. It lets a test or an
// embedding program capture the log; w is only ever written from the
// logger's goroutine.
func NewWriter(cfg config.AccessLog, w io.Writer, logger *slog.Logger) (*Logger, error) {
	format, size, err := check(cfg)
	if err != nil {
		return nil, err
	}
	return start(format, size, output{w: w}, logger), nil
}

// check validates cfg and returns the formatter and the ring size.
func check(cfg config.AccessLog) (formatFunc, int, error) {
	var format formatFunc
	switch cfg.Format {
	case "json", "":
		format = appendJSON
	case "combined":
		format = appendCombined
	default:
		return nil, 0, fmt.Errorf(
			"accesslog: access_log.format %q: must be \"json\" or \"combined\"", cfg.Format)
	}

	size := cfg.BufferRecords
	if size == 0 {
		size = DefaultBufferRecords
	}
	if size < 0 || size > MaxBufferRecords {
		return nil, 0, fmt.Errorf("accesslog: access_log.buffer_records %d: must be 1..%d",
			cfg.BufferRecords, MaxBufferRecords)
	}
	// The slot sequence scheme needs at least two slots to tell a filled
	// slot from a free one.
	return format, max(2, 1<<bits.Len(uint(size-1))), nil
}

// start builds the ring, each slot owning SlotBytes of one shared arena,
// and starts the writer goroutine.
func start(format formatFunc, size int, out output, logger *slog.Logger) *Logger {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l := &Logger{
		slots:   make([]slot, size),
		mask:    uint64(size - 1),
		nudge:   uint64(size/2 - 1),
		wake:    make(chan struct{}, 1),
		reopenc: make(chan chan error),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	arena := make([]byte, size*SlotBytes)
	for i := range l.slots {
		l.slots[i].seq.Store(uint64(i))
		l.slots[i].rec.buf = arena[i*SlotBytes : i*SlotBytes : (i+1)*SlotBytes]
	}
	l.w = writer{
		format: format,
		out:    out,
		batch:  make([]byte, 0, batchBytes),
		line:   make([]byte, 0, 2*SlotBytes),
		logger: logger,
	}
	go l.run()
	return l
}

// Log copies e into a free ring slot and returns at once. When the ring is
// full the record is dropped and counted, never waited for. e and the
// memory its slices point to may be reused as soon as Log returns. Log
// allocates nothing; after Close it does nothing.
func (l *Logger) Log(e *Entry) {
	if l == nil || l.slots == nil || e == nil {
		return
	}

	// inflight lets Close wait for producers that passed the closed check.
	l.inflight.Add(1)
	defer l.inflight.Add(-1)
	if l.closed.Load() {
		return
	}

	// Claim a position whose slot is free; a slot still a lap behind
	// means the ring is full.
	pos := l.tail.Load()
	for {
		s := &l.slots[pos&l.mask]
		seq := s.seq.Load()
		switch {
		case seq == pos:
			if l.tail.CompareAndSwap(pos, pos+1) {
				s.rec.fill(e)
				s.seq.Store(pos + 1)
				if pos&l.nudge == 0 {
					l.notify()
				}
				return
			}
			pos = l.tail.Load()
		case seq < pos:
			l.dropped.Add(1)
			return
		default:
			pos = l.tail.Load()
		}
	}
}

// notify wakes the writer if it is waiting for work.
func (l *Logger) notify() {
	if l.sleeping.Load() && l.sleeping.CompareAndSwap(true, false) {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// Dropped returns how many records were dropped because the ring was full.
func (l *Logger) Dropped() uint64 {
	if l == nil {
		return 0
	}
	return l.dropped.Load()
}

// Lost returns how many records were formatted but lost because the
// output returned an error; the logger's own Warn message says why.
func (l *Logger) Lost() uint64 {
	if l == nil || l.slots == nil {
		return 0
	}
	return l.w.lost.Load()
}

// Close stops accepting records, waits until every record already in the
// ring is written and flushed, and closes the file the logger opened. It
// blocks as long as the output does. Calling it again returns the first
// result.
// TODO: give up after a deadline; a hung network mount or an unread pipe
// keeps the gateway's shutdown waiting here forever.
func (l *Logger) Close() error {
	if l == nil || l.slots == nil {
		return nil
	}
	l.closeOnce.Do(func() {
		l.closed.Store(true)
		for l.inflight.Load() != 0 {
			runtime.Gosched()
		}
		close(l.quit)
		<-l.done
		l.closeErr = l.w.closeErr
	})
	return l.closeErr
}

// Reopen makes the writer flush, close the log file and open the same
// path again; a rotation tool calls it through the command's signal
// handler after moving the file away. It waits until the writer goroutine
// has done so. When the new open fails the old file stays in use and the
// error is returned. For stdout, stderr and NewWriter it does nothing.
func (l *Logger) Reopen() error {
	if l == nil || l.slots == nil {
		return nil
	}
	req := make(chan error, 1)
	select {
	case l.reopenc <- req:
		return <-req
	case <-l.done:
		return ErrClosed
	}
}
