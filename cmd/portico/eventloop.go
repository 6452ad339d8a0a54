package main

import (
	"log/slog"

	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/eventloop"
	"github.com/portico-gw/portico/proxy"
)

// newEventLoopFrontEnd builds the netpoll event-loop transport with the
// same limits as the standard one.
func newEventLoopFrontEnd(g *proxy.Gateway, f *config.File, logger *slog.Logger) (frontEnd, error) {
	return eventloop.New(g.Handler(), proxy.EventLoopConfig(g, f.Server, logger))
}
