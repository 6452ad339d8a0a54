package accesslog_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/accesslog"
	"github.com/portico-gw/portico/config"
)

// waitTimeout bounds every wait on the writer goroutine.
const waitTimeout = 10 * time.Second

// gateWriter blocks every Write until release is closed, like a pipe
// nobody reads, and closes entered on the first Write.
type gateWriter struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once

	mu  sync.Mutex
	buf bytes.Buffer
}

func newGateWriter() *gateWriter {
	return &gateWriter{entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.once.Do(func() { close(g.entered) })
	<-g.release
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.buf.Write(p)
}

// lines returns what was written, split into lines.
func (g *gateWriter) lines() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return strings.Split(strings.TrimSuffix(g.buf.String(), "\n"), "\n")
}

// waitFor fails the test when ch is not closed within waitTimeout.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// blockedLogger returns a logger with a ring of size records whose writer
// is stuck in its first Write, after one record was logged.
func blockedLogger(t *testing.T, size int) (*accesslog.Logger, *gateWriter) {
	t.Helper()
	g := newGateWriter()
	l, err := accesslog.NewWriter(config.AccessLog{BufferRecords: size}, g, discardLogger())
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	e := fullEntry()
	l.Log(&e)
	waitFor(t, g.entered, "the writer to block")
	return l, g
}

func TestSlowWriterNeverBlocksLog(t *testing.T) {
	const size, extra = 8, 100
	l, g := blockedLogger(t, size)

	// Log must return even though the writer cannot make progress.
	done := make(chan struct{})
	go func() {
		defer close(done)
		e := fullEntry()
		for range extra {
			l.Log(&e)
		}
	}()
	waitFor(t, done, "Log to return while the writer is blocked")

	if got, want := l.Dropped(), uint64(extra-size); got != want {
		t.Errorf("Dropped() = %d, want %d", got, want)
	}
	close(g.release)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got, want := len(g.lines()), 1+size; got != want {
		t.Errorf("wrote %d lines, want %d", got, want)
	}
}

func TestCloseDrains(t *testing.T) {
	const size, n = 64, 50
	l, g := blockedLogger(t, size)
	e := fullEntry()
	for range n {
		l.Log(&e)
	}

	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	close(g.release)
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Close did not return")
	}

	if got, want := len(g.lines()), 1+n; got != want {
		t.Errorf("wrote %d lines, want %d", got, want)
	}
	if l.Dropped() != 0 {
		t.Errorf("Dropped() = %d, want 0", l.Dropped())
	}

	// Logging after Close is a no-op, not a panic; Close stays idempotent.
	l.Log(&e)
	if err := l.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if err := l.Reopen(); !errors.Is(err, accesslog.ErrClosed) {
		t.Errorf("Reopen after Close = %v, want %v", err, accesslog.ErrClosed)
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	l, err := accesslog.New(config.AccessLog{Output: path}, discardLogger())
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	first, second := fullEntry(), fullEntry()
	first.RequestID, second.RequestID = []byte("first"), []byte("second")
	l.Log(&first)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatalf("Reopen: %v", err)
	}
	l.Log(&second)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	tests := []struct {
		name, file, want string
	}{
		{name: "rotated file", file: path + ".1", want: "first"},
		{name: "new file", file: path, want: "second"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := requestIDs(t, tt.file)
			if len(ids) != 1 || ids[0] != tt.want {
				t.Errorf("request ids in %s = %q, want [%q]", tt.file, ids, tt.want)
			}
		})
	}
}

func TestReopenFailureKeepsLogging(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "logs")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(sub, "access.log")
	l, err := accesslog.New(config.AccessLog{Output: path}, discardLogger())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { l.Close() })

	// With the directory gone the path cannot be created again.
	if err := os.Rename(sub, filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err == nil {
		t.Fatal("Reopen with the directory gone = nil, want an error")
	}
	e := fullEntry()
	l.Log(&e)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if ids := requestIDs(t, filepath.Join(dir, "moved", "access.log")); len(ids) != 1 {
		t.Errorf("old file has %d records, want 1", len(ids))
	}
}

// requestIDs parses a JSON access log file and returns its request ids.
func requestIDs(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	var ids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec struct {
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("%s: bad line %q: %v", path, sc.Text(), err)
		}
		ids = append(ids, rec.RequestID)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestDisabled(t *testing.T) {
	off, err := accesslog.New(config.AccessLog{Output: "off"}, nil)
	if err != nil {
		t.Fatalf("New(off): %v", err)
	}
	tests := []struct {
		name string
		l    *accesslog.Logger
	}{
		{name: "nil", l: nil},
		{name: "off", l: off},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := fullEntry()
			tt.l.Log(&e)
			tt.l.Log(nil)
			if n := tt.l.Dropped(); n != 0 {
				t.Errorf("Dropped() = %d, want 0", n)
			}
			if err := tt.l.Reopen(); err != nil {
				t.Errorf("Reopen() = %v, want nil", err)
			}
			if err := tt.l.Close(); err != nil {
				t.Errorf("Close() = %v, want nil", err)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "access.log")
	tests := []struct {
		name string
		cfg  config.AccessLog
		want string
	}{
		{
			name: "unknown format",
			cfg:  config.AccessLog{Format: "xml"},
			want: `accesslog: access_log.format "xml": must be "json" or "combined"`,
		},
		{
			name: "negative buffer",
			cfg:  config.AccessLog{BufferRecords: -1},
			want: "accesslog: access_log.buffer_records -1: must be 1..1048576",
		},
		{
			name: "huge buffer",
			cfg:  config.AccessLog{BufferRecords: accesslog.MaxBufferRecords + 1},
			want: "accesslog: access_log.buffer_records 1048577: must be 1..1048576",
		},
		{
			name: "missing directory",
			cfg:  config.AccessLog{Output: missing},
			want: "accesslog: open " + missing + ": no such file or directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := accesslog.New(tt.cfg, discardLogger())
			if err == nil {
				l.Close()
				t.Fatalf("New(%+v) = nil error, want %q", tt.cfg, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("New(%+v) = %q, want %q", tt.cfg, err, tt.want)
			}
		})
	}
}

// TestConcurrentLog has many goroutines log through a small ring and
// checks that every record comes out whole or is counted as dropped.
func TestConcurrentLog(t *testing.T) {
	const workers, perWorker = 8, 2000
	var buf bytes.Buffer
	l, err := accesslog.NewWriter(config.AccessLog{BufferRecords: 64}, &buf, discardLogger())
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			e := fullEntry()
			id := make([]byte, 0, 16)
			for i := range perWorker {
				id = strconv.AppendInt(id[:0], int64(w*perWorker+i), 10)
				e.RequestID = id
				l.Log(&e)
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	seen := make(map[string]bool)
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var rec struct {
			RequestID string `json:"request_id"`
			Path      string `json:"path"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("torn record %q: %v", sc.Text(), err)
		}
		if seen[rec.RequestID] || rec.Path != "/users/7" {
			t.Fatalf("bad or repeated record %q", sc.Text())
		}
		seen[rec.RequestID] = true
	}
	if got := uint64(len(seen)) + l.Dropped(); got != workers*perWorker {
		t.Errorf("written %d + dropped %d = %d, want %d",
			len(seen), l.Dropped(), got, workers*perWorker)
	}
}

// flakyWriter fails while fail is set and reports every call on calls.
type flakyWriter struct {
	fail  atomic.Bool
	calls chan struct{}
	buf   bytes.Buffer // written only by the logger's goroutine
}

func (w *flakyWriter) Write(p []byte) (int, error) {
	defer func() { w.calls <- struct{}{} }()
	if w.fail.Load() {
		return 0, errors.New("disk full")
	}
	return w.buf.Write(p)
}

// TestWriteErrors checks that a failing output is reported once per
// transition, and that logging resumes once the output recovers.
func TestWriteErrors(t *testing.T) {
	var logs bytes.Buffer
	w := &flakyWriter{calls: make(chan struct{})}
	l, err := accesslog.NewWriter(config.AccessLog{BufferRecords: 2}, w,
		slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}

	steps := []struct {
		name string
		fail bool
	}{
		{name: "first failure", fail: true},
		{name: "second failure", fail: true},
		{name: "recovered", fail: false},
	}
	for _, st := range steps {
		w.fail.Store(st.fail)
		e := fullEntry()
		e.RequestID = []byte(st.name)
		l.Log(&e)
		select {
		case <-w.calls:
		case <-time.After(waitTimeout):
			t.Fatalf("%s: no write", st.name)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	if got := l.Lost(); got != 2 {
		t.Errorf("Lost() = %d, want 2", got)
	}
	text := logs.String()
	for _, msg := range []string{"access log write failed", "access log writable again"} {
		if n := strings.Count(text, msg); n != 1 {
			t.Errorf("%q logged %d times, want once; log:\n%s", msg, n, text)
		}
	}
	if got := w.buf.String(); strings.Count(got, "\n") != 1 ||
		!strings.Contains(got, `"request_id":"recovered"`) {
		t.Errorf("output = %q, want only the record logged after recovery", got)
	}
}

// TestBlockedPipe logs into an OS pipe nobody reads: once the pipe and the
// write buffer are full the writer is stuck, and Log must keep returning
// and count what it cannot keep.
func TestBlockedPipe(t *testing.T) {
	const ring, total = 64, 5000
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l, err := accesslog.NewWriter(config.AccessLog{BufferRecords: ring}, w, discardLogger())
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		e := fullEntry()
		e.Path = bytes.Repeat([]byte("p"), 1000) // fill the pipe sooner
		for range total {
			l.Log(&e)
		}
	}()
	waitFor(t, done, "Log to return while the pipe is full")
	if l.Dropped() == 0 {
		t.Fatal("Dropped() = 0, want records dropped while the pipe is full")
	}

	// Read the pipe so Close can drain, then count the lines.
	lines := make(chan int, 1)
	go func() {
		n := 0
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 4096), 1<<16)
		for sc.Scan() {
			n++
		}
		lines <- n
	}()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	w.Close()
	select {
	case n := <-lines:
		if uint64(n)+l.Dropped() != total {
			t.Errorf("read %d + dropped %d, want %d in all", n, l.Dropped(), total)
		}
	case <-time.After(waitTimeout):
		t.Fatal("reading the pipe did not finish")
	}
}
