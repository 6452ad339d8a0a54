package main

import (
	"fmt"
	"log/slog"

	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/proxy"
)

// newEventLoopFrontEnd is wired once the event-loop transport lands.
func newEventLoopFrontEnd(g *proxy.Gateway, f *config.File, logger *slog.Logger) (frontEnd, error) {
	return nil, fmt.Errorf("server.transport: the eventloop transport is not built into this binary")
}
