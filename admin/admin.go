// Package admin is the operator's listener: health, the live config's
// identity, upstream status, usage counters and a reload trigger, served
// as JSON on an address of its own (never the client-facing one). It
// reads the gateway through small interfaces and changes nothing but by
// calling the reload function it is given.
package admin

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strings"

	"github.com/valyala/fasthttp"
)

// Source is what the admin API reads. Each method returns a value that
// encodes to JSON; they are called on the admin listener's goroutines,
// so they must be safe for concurrent use.
type Source interface {
	// ConfigInfo describes the live config (path, hash, counts).
	ConfigInfo() any
	// Upstreams reports each upstream's targets and their health.
	Upstreams() any
}

// Server is a running admin listener.
type Server struct {
	srv    *fasthttp.Server
	ln     net.Listener
	src    Source
	reload func() error
	extra  map[string]fasthttp.RequestHandler
	logger *slog.Logger
}

// Start listens on addr and serves the admin API until Close. reload is
// called for POST /reload; its error is returned to the caller as JSON.
// extra adds handlers by exact path (for example /usage, /metrics); a key
// ending in "/" serves every path under it.
func Start(addr string, src Source, reload func() error, extra map[string]fasthttp.RequestHandler, logger *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, src: src, reload: reload, extra: extra, logger: logger}
	s.srv = &fasthttp.Server{Handler: s.handle, Name: "portico-admin", NoDefaultServerHeader: false}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the address the admin API listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops the listener.
func (s *Server) Close() error { return s.srv.ShutdownWithContext(context.Background()) }

func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	switch {
	case path == "/healthz":
		writeJSON(ctx, fasthttp.StatusOK, map[string]string{"status": "ok"})
	case path == "/config":
		writeJSON(ctx, fasthttp.StatusOK, s.src.ConfigInfo())
	case path == "/upstreams":
		writeJSON(ctx, fasthttp.StatusOK, s.src.Upstreams())
	case path == "/reload":
		if !ctx.IsPost() {
			ctx.Response.Header.Set("Allow", "POST")
			writeJSON(ctx, fasthttp.StatusMethodNotAllowed, map[string]string{"error": "use POST"})
			return
		}
		if err := s.reload(); err != nil {
			writeJSON(ctx, fasthttp.StatusUnprocessableEntity, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(ctx, fasthttp.StatusOK, s.src.ConfigInfo())
	default:
		if h, ok := s.extra[path]; ok {
			h(ctx)
			return
		}
		for prefix, h := range s.extra {
			if strings.HasSuffix(prefix, "/") && strings.HasPrefix(path, prefix) {
				h(ctx)
				return
			}
		}
		writeJSON(ctx, fasthttp.StatusNotFound, map[string]string{"error": "not found"})
	}
}

func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	enc := json.NewEncoder(ctx)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
