package accesslog

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// Keys of the logger's own log lines.
const (
	keyOutput = "output"
	keyError  = "error"
)

// writer is the state owned by the writer goroutine.
type writer struct {
	format formatFunc
	out    output
	// pos is the ring position the writer reads next.
	pos uint64
	// batch collects whole lines between write calls; pending counts
	// them, and lost counts the lines a failed write call took with it.
	batch   []byte
	pending int
	lost    atomic.Uint64
	// line is the reused buffer one record is formatted into.
	line   []byte
	stamp  stamp
	logger *slog.Logger
	// failing is set while the output returns errors, so the failure is
	// logged once per transition and not once per record.
	failing  bool
	closeErr error
}

// flushInterval is how often an idle writer looks at the ring. Records
// reach the output at most about this long after Log, and a busy gateway
// makes one write call per interval instead of one per request.
const flushInterval = 10 * time.Millisecond

// run is the writer goroutine. Its loop has three states: draining the
// ring, flushing once the ring is empty, and waiting. It leaves the wait
// on the next tick, a wake-up from Log when the ring fills, a reopen
// request, or quit, after which it drains what is left, flushes, closes
// the output and exits.
func (l *Logger) run() {
	defer close(l.done)
	tick := time.NewTicker(flushInterval)
	defer tick.Stop()
	for {
		l.drain()
		l.w.flush()

		// Announce the wait, then look once more so a record that
		// asked for a wake-up before the announcement is not left
		// waiting for the tick.
		l.sleeping.Store(true)
		if l.ready() {
			l.sleeping.Store(false)
			continue
		}
		select {
		case <-tick.C:
		case <-l.wake:
		case req := <-l.reopenc:
			l.drain()
			req <- l.w.reopen()
		case <-l.quit:
			l.drain()
			l.w.flush()
			l.w.closeErr = l.w.out.close()
			return
		}
		l.sleeping.Store(false)
	}
}

// ready reports whether the next ring slot holds a record.
func (l *Logger) ready() bool {
	return l.slots[l.w.pos&l.mask].seq.Load() == l.w.pos+1
}

// drain formats and writes every ready record. Each slot is released as
// soon as its record is formatted, before the write, so a slow output
// holds no slot.
func (l *Logger) drain() {
	for l.ready() {
		pos := l.w.pos
		s := &l.slots[pos&l.mask]
		l.w.line = l.w.format(l.w.line[:0], &s.rec, &l.w.stamp)
		s.seq.Store(pos + l.mask + 1)
		l.w.pos++
		l.w.write(l.w.line)
	}
}

// write adds one line to the batch, writing the batch out first when the
// line would not fit, so that every write call ends at a line boundary and
// a reader tailing the file never sees half a record.
func (w *writer) write(line []byte) {
	if len(w.batch)+len(line) > cap(w.batch) {
		w.flush()
	}
	w.batch = append(w.batch, line...)
	w.pending++
}

// flush writes the batch out in one write call.
func (w *writer) flush() {
	if len(w.batch) == 0 {
		return
	}
	_, err := w.out.w.Write(w.batch)
	n := w.pending
	w.batch, w.pending = w.batch[:0], 0
	if err != nil {
		w.lost.Add(uint64(n))
		w.failed(err)
		return
	}
	if w.failing {
		w.failing = false
		w.logger.LogAttrs(context.Background(), slog.LevelInfo,
			"access log writable again", slog.String(keyOutput, w.out.name()))
	}
}

// failed reports a write error, once for a run of errors.
func (w *writer) failed(err error) {
	if w.failing {
		return
	}
	w.failing = true
	w.logger.LogAttrs(context.Background(), slog.LevelWarn,
		"access log write failed, records are lost",
		slog.String(keyOutput, w.out.name()), slog.String(keyError, err.Error()))
}

// reopen writes out the batch and swaps the output file.
func (w *writer) reopen() error {
	w.flush()
	return w.out.reopen()
}

// Output values of config.AccessLog.Output other than a file path.
const (
	outputOff    = "off"
	outputStdout = "stdout"
	outputStderr = "stderr"
)

// fileMode is the permission of a log file the logger creates.
const fileMode = 0o644

// output is where the writer goroutine writes. Only a file the logger
// opened itself (path set) is reopened and closed; standard streams and
// writers passed to NewWriter are left alone.
type output struct {
	w    io.Writer
	file *os.File
	// path is the file path, "stdout", "stderr" or "" for NewWriter.
	path string
}

// name returns what the output is called in the logger's own messages.
func (o *output) name() string {
	if o.path == "" {
		return "writer"
	}
	return o.path
}

// openOutput resolves the Output setting: "stdout", "stderr" or a file
// path, opened for appending and created when missing.
func openOutput(spec string) (output, error) {
	switch spec {
	case outputStdout, "":
		return output{w: os.Stdout, path: outputStdout}, nil
	case outputStderr:
		return output{w: os.Stderr, path: outputStderr}, nil
	}
	f, err := openFile(spec)
	if err != nil {
		return output{}, err
	}
	return output{w: f, file: f, path: spec}, nil
}

// openFile opens path for appending, creating it when missing.
func openFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, fileMode)
	if err != nil {
		return nil, fmt.Errorf("accesslog: %w", err)
	}
	return f, nil
}

// reopen opens the path again and closes the old file, so records go to a
// fresh file after the old one was moved away by a rotation tool. When the
// open fails the old file stays in use. It is a no-op for outputs the
// logger did not open.
func (o *output) reopen() error {
	if o.file == nil {
		return nil
	}
	f, err := openFile(o.path)
	if err != nil {
		return err
	}
	old := o.file
	o.w, o.file = f, f
	if err := old.Close(); err != nil {
		return fmt.Errorf("accesslog: close %s: %w", o.path, err)
	}
	return nil
}

// close closes the file the logger opened, if any.
func (o *output) close() error {
	if o.file == nil {
		return nil
	}
	if err := o.file.Close(); err != nil {
		return fmt.Errorf("accesslog: close %s: %w", o.path, err)
	}
	return nil
}
