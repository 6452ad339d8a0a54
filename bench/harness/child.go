package harness

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"

	"github.com/portico-gw/portico/bench/backend"
)

// RunChild runs the subcommand in args[0] when it is one the harness
// starts as a child of itself: "backend" (package backend) or "httputil"
// (Go's httputil.ReverseProxy to -upstream), each serving on the listener
// passed as fd 3 until signalled. ok is false when args name no child,
// and the caller goes on; otherwise code is the exit status. The harness
// binary (Options.SelfBin) must call it first thing in main.
func RunChild(args []string, stderr io.Writer) (code int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "backend":
		return serveBackend(stderr), true
	case TargetHTTPUtil:
		return serveHTTPUtil(args[1:], stderr), true
	}
	return 0, false
}

// inheritedListener returns the listener the harness passed as fd 3.
func inheritedListener() (net.Listener, error) {
	f := os.NewFile(3, "listener")
	if f == nil {
		return nil, fmt.Errorf("harness: no listener on fd 3")
	}
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("harness: listener on fd 3: %w", err)
	}
	return ln, nil
}

// serveBackend serves package backend on the inherited listener until the
// process is signalled; SIGTERM's default action ends it.
func serveBackend(stderr io.Writer) int {
	ln, err := inheritedListener()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := backend.NewServer().Serve(ln); err != nil {
		fmt.Fprintf(stderr, "harness backend: %v\n", err)
		return 1
	}
	return 0
}

// serveHTTPUtil serves Go's httputil.ReverseProxy to -upstream on the
// inherited listener, with keep-alive pools sized like the other targets,
// as the reference for a plain net/http proxy.
func serveHTTPUtil(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("harness httputil", flag.ContinueOnError)
	fs.SetOutput(stderr)
	upstream := fs.String("upstream", "", "backend host:port")
	if err := fs.Parse(args); err != nil || *upstream == "" {
		fmt.Fprintln(stderr, "harness httputil: -upstream host:port is required")
		return 2
	}
	ln, err := inheritedListener()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: *upstream})
	rp.Transport = &http.Transport{
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 90 * time.Second}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintf(stderr, "harness httputil: %v\n", err)
		return 1
	}
	return 0
}
