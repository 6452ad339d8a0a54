package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/eventloop"
	"github.com/valyala/fasthttp"
)

// NewServer returns the standard front end: a fasthttp.Server running the
// gateway's handler with the limits of the [server] table. The caller
// serves it on a listener and shuts it down.
func NewServer(g *Gateway, sc config.Server, logger *slog.Logger) *fasthttp.Server {
	reduce := true
	if sc.ReduceMemory != nil {
		reduce = *sc.ReduceMemory
	}
	return &fasthttp.Server{
		Handler:         g.Handler(),
		ErrorHandler:    g.frontError,
		ContinueHandler: g.continueOK,
		Name:            "portico",
		ReadTimeout:     sc.ReadTimeout,
		WriteTimeout:    sc.WriteTimeout,
		IdleTimeout:     sc.IdleTimeout,
		// The whole header block must fit the read buffer, so its size
		// is the header limit; a larger block gets 431.
		ReadBufferSize: sc.MaxHeaderBytes,
		// With streaming on, this is only how much of a body is read
		// before the rest becomes a stream; the handler enforces
		// max_body_bytes itself.
		MaxRequestBodySize: int(min(sc.MaxBodyBytes, streamThreshold)),
		Concurrency:        sc.MaxConnections,
		ReduceMemoryUsage:  reduce,
		// Bodies stream to the upstream instead of being buffered whole,
		// so memory stays bounded whatever max_body_bytes allows.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		NoDefaultContentType:         true,
		CloseOnShutdown:              true,
		SecureErrorLogMessage:        true,
		Logger:                       fasthttpLogger{logger},
	}
}

// EventLoopConfig returns the event-loop transport's settings for g and
// the [server] table, matching what NewServer gives the standard one.
func EventLoopConfig(g *Gateway, sc config.Server, logger *slog.Logger) eventloop.Config {
	return eventloop.Config{
		ErrorHandler:      g.frontError,
		ReadTimeout:       sc.ReadTimeout,
		WriteTimeout:      sc.WriteTimeout,
		IdleTimeout:       sc.IdleTimeout,
		MaxHeaderBytes:    sc.MaxHeaderBytes,
		MaxBodyBytes:      min(sc.MaxBodyBytes, streamThreshold),
		MaxConnections:    sc.MaxConnections,
		StreamRequestBody: true,
		ServerName:        "portico",
		Logger:            logger,
	}
}

// streamThreshold is the body size past which a request body is streamed
// to the upstream instead of being read whole first.
const streamThreshold = 64 << 10

// continueOK decides whether to answer Expect: 100-continue with 100:
// not when the announced body is over the limit, so the client does not
// send what would be refused (fasthttp then answers 417).
func (g *Gateway) continueOK(h *fasthttp.RequestHeader) bool {
	st := g.state.Load()
	return st != nil && int64(h.ContentLength()) <= st.maxBody
}

// frontError answers requests the front end could not parse. They never
// reach the handler, let alone an upstream.
func (g *Gateway) frontError(ctx *fasthttp.RequestCtx, err error) {
	status := fasthttp.StatusBadRequest
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	switch {
	case errors.As(err, &small):
		status = fasthttp.StatusRequestHeaderFieldsTooLarge
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		status = fasthttp.StatusRequestEntityTooLarge
	case errors.As(err, &netErr) && netErr.Timeout():
		status = fasthttp.StatusRequestTimeout
	}
	id := g.ids.appendNext(nil)
	writeError(ctx, status, errorWord(status), id)
	if g.metrics != nil {
		g.metrics.NoRoute().Observe(status, 0, 0)
	}
	if g.access != nil {
		sc := scratchPool.Get().(*scratch)
		sc.reset()
		sc.errWord = errorWord(status)
		sc.id = append(sc.id[:0], id...)
		sc.view.ClientIP = peerAddr(ctx)
		g.logAccess(ctx, sc, time.Now(), 0)
		scratchPool.Put(sc)
	}
}

// fasthttpLogger sends fasthttp's own messages (accept errors and the
// like) to slog at Debug: per STYLE, peer-caused errors are not log lines.
type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, args ...any) {
	if f.l != nil && f.l.Enabled(context.Background(), slog.LevelDebug) {
		f.l.Debug("fasthttp", slog.String("msg", fmt.Sprintf(format, args...)))
	}
}
