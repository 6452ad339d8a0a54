package main

import (
	"log/slog"
	"net/http"
	"net/http/pprof"

	"github.com/portico-gw/portico/admin"
	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/metrics"
	"github.com/portico-gw/portico/proxy"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// adminHandle is the admin listener as serve sees it: reload requests
// arrive on reloads and are answered by serve's loop, which owns reloads.
type adminHandle struct {
	srv     *admin.Server
	reloads chan chan error
}

// startAdmin starts the admin API when [admin] listen is set.
func startAdmin(g *proxy.Gateway, f *config.File, reg *metrics.Registry, logger *slog.Logger) (*adminHandle, error) {
	h := &adminHandle{reloads: make(chan chan error)}
	if f.Admin.Listen == "" {
		return h, nil
	}
	reload := func() error {
		done := make(chan error, 1)
		h.reloads <- done
		return <-done
	}
	extra := map[string]fasthttp.RequestHandler{
		"/metrics": reg.Handler(),
		"/usage": func(ctx *fasthttp.RequestCtx) {
			ctx.SetContentType("application/json")
			if err := g.UsageJSON(ctx); err != nil {
				ctx.SetStatusCode(fasthttp.StatusInternalServerError)
			}
		},
	}
	if f.Admin.Pprof {
		extra["/debug/pprof/"] = pprofHandler()
	}
	srv, err := admin.Start(f.Admin.Listen, g, reload, extra, logger)
	if err != nil {
		return nil, err
	}
	h.srv = srv
	logger.Info("admin listening", slog.String("listen", srv.Addr().String()))
	return h, nil
}

func (h *adminHandle) close() {
	if h.srv != nil {
		_ = h.srv.Close()
	}
}

// pprofHandler serves Go's profiler, for [admin] pprof = true.
func pprofHandler() fasthttp.RequestHandler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return fasthttpadaptor.NewFastHTTPHandler(mux)
}
