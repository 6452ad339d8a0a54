package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/proxy"
	"github.com/valyala/fasthttp"
)

// newFrontEnd builds the transport the config asks for.
func newFrontEnd(g *proxy.Gateway, f *config.File, logger *slog.Logger) (frontEnd, error) {
	switch f.Server.Transport {
	case "", "standard":
		return &standardFrontEnd{srv: proxy.NewServer(g, f.Server, logger), tls: f.Server.TLS}, nil
	case "eventloop":
		return newEventLoopFrontEnd(g, f, logger)
	default:
		return nil, fmt.Errorf("server.transport: unknown transport %q", f.Server.Transport)
	}
}

// standardFrontEnd is fasthttp.Server on the Go runtime's poller.
type standardFrontEnd struct {
	srv *fasthttp.Server
	tls *config.TLS
}

func (s *standardFrontEnd) Serve(ln net.Listener) error {
	if s.tls != nil {
		return s.srv.ServeTLS(ln, s.tls.CertFile, s.tls.KeyFile)
	}
	return s.srv.Serve(ln)
}

func (s *standardFrontEnd) Shutdown(ctx context.Context) error {
	return s.srv.ShutdownWithContext(ctx)
}
