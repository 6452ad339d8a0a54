package eventloop

import (
	"errors"
	"log/slog"
	"time"

	"github.com/valyala/fasthttp"
)

// Defaults applied by New to zero fields of Config.
const (
	// DefaultMaxHeaderBytes is the header limit when Config.MaxHeaderBytes
	// is zero. It is also the size of each pooled read buffer.
	DefaultMaxHeaderBytes = 8 << 10
	// DefaultMaxBodyBytes is the body limit when Config.MaxBodyBytes is
	// zero: 4 MiB, as fasthttp.Server.
	DefaultMaxBodyBytes = 4 << 20
	// defaultWriteBufferBytes is the size of each pooled write buffer.
	defaultWriteBufferBytes = 4 << 10
)

// Config is what New needs to build a Server. The zero value of each field
// means its documented default; one Config may be shared by many Servers.
type Config struct {
	// ReadTimeout bounds the time from the first byte of a request to the
	// end of its body. Zero means no limit. Reading of a request starts
	// only once its first byte has arrived, so this is not an idle limit.
	ReadTimeout time.Duration

	// WriteTimeout bounds each wait for the socket to accept more of a
	// response. Zero means no limit.
	WriteTimeout time.Duration

	// IdleTimeout is how long a keep-alive connection may wait for its next
	// request before the Server closes it. A new connection waits for its
	// first byte for ReadTimeout (IdleTimeout when ReadTimeout is zero), as
	// with fasthttp.Server. Zero means ReadTimeout; when both are zero idle
	// connections are kept until the peer closes them.
	IdleTimeout time.Duration

	// MaxHeaderBytes is the largest request line plus headers accepted;
	// larger requests get 431. Zero means DefaultMaxHeaderBytes. It must be
	// at least 256.
	MaxHeaderBytes int

	// MaxBodyBytes is the largest request body accepted; larger bodies get
	// 413. Zero means DefaultMaxBodyBytes. It must not be negative.
	MaxBodyBytes int64

	// MaxConnections caps the connections open at once. A connection over
	// the cap gets 503 and is closed. Zero means no cap.
	MaxConnections int

	// StreamRequestBody hands a body larger than MaxBodyBytes (or chunked)
	// to the handler as RequestCtx.RequestBodyStream instead of answering
	// 413, as fasthttp.Server.StreamRequestBody does. Smaller bodies are
	// still read in full first. What the handler leaves unread is
	// discarded, up to maxDrainBytes; past that the connection is closed.
	StreamRequestBody bool

	// ErrorHandler writes the response for a request that could not be
	// read (the err values ErrorHandler below documents). Nil means
	// ErrorHandler. The connection is closed after the answer.
	ErrorHandler func(ctx *fasthttp.RequestCtx, err error)

	// ServerName is sent as the Server header unless the handler set one.
	// Empty means no Server header.
	ServerName string

	// AllowSingleProc lets New accept GOMAXPROCS=1. By default New refuses
	// it, because netpoll's poller then adds a ~16 ms p99 (see procs.go).
	AllowSingleProc bool

	// Logger receives lifecycle records (start, shutdown), handler panics
	// at Error and, at Debug, netpoll's own log lines (netpoll has one
	// process-wide log output, so the first New's Logger gets them). Nil
	// means records are dropped. Nothing is logged per request.
	Logger *slog.Logger
}

// Errors New and the config layer report. Their text names the setting to
// change, so the config layer may show it as it is.
var (
	// ErrTLS means a TLS listener was configured with the event loop.
	ErrTLS = errors.New(`eventloop: TLS listeners need server.transport = "standard"`)
	// ErrHijack means a route needs a connection hijack (WebSocket or
	// another upgrade), which the event loop cannot hand over.
	ErrHijack = errors.New(`eventloop: WebSocket routes need server.transport = "standard"`)
	// ErrSingleProc means GOMAXPROCS is 1 and Config.AllowSingleProc is
	// not set.
	ErrSingleProc = errors.New(`eventloop: GOMAXPROCS=1 adds ~16 ms to p99 on netpoll; ` +
		`use GOMAXPROCS>=2 or server.transport = "standard"`)
)

// withDefaults returns cfg with every zero field replaced by its default,
// or an error naming the first invalid field.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.MaxHeaderBytes == 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = cfg.ReadTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.MaxHeaderBytes < 256:
		return cfg, errors.New("eventloop: max_header_bytes must be at least 256")
	case cfg.MaxBodyBytes < 0:
		return cfg, errors.New("eventloop: max_body_bytes must not be negative")
	case cfg.MaxConnections < 0:
		return cfg, errors.New("eventloop: max_connections must not be negative")
	case cfg.ReadTimeout < 0, cfg.WriteTimeout < 0, cfg.IdleTimeout < 0:
		return cfg, errors.New("eventloop: timeouts must not be negative")
	}
	return cfg, nil
}
