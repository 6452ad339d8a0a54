package proxy

import (
	"context"
	"net"
	"testing"

	"github.com/portico-gw/portico/config"
)

// serveOther serves transports other than the standard one.
func serveOther(t *testing.T, transport string, g *Gateway, f *config.File, ln net.Listener) func(context.Context) error {
	t.Fatalf("unknown transport %q", transport)
	return nil
}
