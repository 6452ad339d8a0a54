package proxy

import (
	"context"
	"net"
	"testing"

	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/eventloop"
)

func init() {
	if eventloop.Supported() == nil {
		transports = append(transports, "eventloop")
	}
}

// serveOther serves transports other than the standard one.
func serveOther(t *testing.T, transport string, g *Gateway, f *config.File, ln net.Listener) func(context.Context) error {
	t.Helper()
	if transport != "eventloop" {
		t.Fatalf("unknown transport %q", transport)
	}
	cfg := EventLoopConfig(g, f.Server, nil)
	cfg.AllowSingleProc = true
	srv, err := eventloop.New(g.Handler(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	return srv.Shutdown
}
