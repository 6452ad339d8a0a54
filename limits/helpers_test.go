package limits

import (
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/view"
)

// t0 is a fixed instant: 2026-03-10 12:00:00 UTC, at a minute boundary.
var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// baseTOML is an upstream and two routes every test config starts with.
const baseTOML = `
[upstreams.app]
targets = [{ address = "127.0.0.1:9" }]

[routes.api]
path = "/api/*rest"
upstream = "app"

[routes.open]
path = "/open"
upstream = "app"
`

// parse parses baseTOML plus extra.
func parse(t testing.TB, extra string) *config.File {
	t.Helper()
	f, err := config.Parse("test.toml", []byte(baseTOML+extra))
	if err != nil {
		t.Fatalf("config.Parse: %v", err)
	}
	return f
}

// newEngine builds an Engine from baseTOML plus extra and closes it at
// the end of the test.
func newEngine(t testing.TB, extra string, prev *Engine) *Engine {
	t.Helper()
	e, err := New(parse(t, extra), prev, quietLogger())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(e.Close)
	return e
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fakeHeader is a request header block; values are held as bytes so that
// Peek allocates nothing.
type fakeHeader map[string][]byte

func (h fakeHeader) Peek(name string) []byte         { return h[name] }
func (h fakeHeader) Del(name string)                 { delete(h, name) }
func (h fakeHeader) SetBytesV(name string, v []byte) { h[name] = v }

// request returns a view from ip with the given header pairs.
func request(ip string, kv ...string) *view.Request {
	h := fakeHeader{}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = []byte(kv[i+1])
	}
	return &view.Request{ClientIP: netip.MustParseAddr(ip), Header: h, Path: []byte("/")}
}

// respHeader records response headers.
type respHeader map[string]string

func (h respHeader) SetBytesV(name string, v []byte) { h[name] = string(v) }
func (h respHeader) Set(name, v string)              { h[name] = v }

// nopHeader drops response headers, for allocation tests.
type nopHeader struct{}

func (nopHeader) SetBytesV(string, []byte) {}
func (nopHeader) Set(string, string)       {}

// admitN runs n decisions and returns how many were allowed.
func admitN(e *Engine, route string, v *view.Request, consumer string, now time.Time, n int) int {
	ok := 0
	rp := e.Route(route)
	for range n {
		d := e.CheckAt(rp, v, consumer, now)
		if d.Allowed() {
			ok++
		}
	}
	return ok
}

// errorKeys returns the key paths of the config errors in err, one line
// each, in order.
func errorKeys(err error) string {
	if err == nil {
		return ""
	}
	var keys []string
	for _, line := range strings.Split(err.Error(), "\n") {
		// "test.toml:LINE: key: msg" -> key
		parts := strings.SplitN(line, ": ", 3)
		if len(parts) == 3 {
			keys = append(keys, parts[1])
		} else {
			keys = append(keys, line)
		}
	}
	return strings.Join(keys, "\n")
}

// closed reports whether the backend's close ran.
func (l *local) closed() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}
