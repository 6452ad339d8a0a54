package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Caps on what a request can ask for.
const (
	maxSlow  = 30 * time.Second
	maxBytes = 1 << 30
)

// shutdownTimeout bounds how long serve waits for requests in flight once
// its context is done; a /bytes stream to a slow reader is cut off then.
const shutdownTimeout = 10 * time.Second

// serve answers requests on ln as the backend called name until ctx is
// done, then shuts down gracefully. It closes ln.
func serve(ctx context.Context, ln net.Listener, name string) error {
	b := &backend{name: name}
	srv := &fasthttp.Server{
		Handler:     b.handle,
		Name:        "portico-demo-backend",
		ReadTimeout: 30 * time.Second,
		IdleTimeout: 60 * time.Second,
		// Larger than the gateway's defaults (16 KiB of headers, 10 MiB
		// of body), so the gateway's own limits are the ones a demo
		// user meets.
		ReadBufferSize:     32 << 10,
		MaxRequestBodySize: 64 << 20,
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("demo-backend: serve: %w", err)
	case <-ctx.Done():
	}

	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.ShutdownWithContext(sctx); err != nil {
		return fmt.Errorf("demo-backend: shutdown: %w", err)
	}
	return <-errc
}

// backend is the request handler of one named backend.
type backend struct {
	name string
}

// echo is the JSON document every ordinary answer carries.
type echo struct {
	Backend    string            `json:"backend"`
	Status     int               `json:"status,omitempty"`
	Method     string            `json:"method"`
	Path       string            `json:"path"`
	Query      string            `json:"query"`
	Host       string            `json:"host"`
	Proto      string            `json:"proto"`
	RemoteAddr string            `json:"remote_addr"`
	BodyBytes  int               `json:"body_bytes"`
	Headers    map[string]string `json:"headers"`
}

// handle routes a request to one of the special paths or to the echo.
func (b *backend) handle(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.Set("X-Backend", b.name)
	path := string(ctx.Path())
	switch {
	case path == "/healthz":
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"status":"ok"}` + "\n")
	case path == "/slow":
		b.slow(ctx)
	case strings.HasPrefix(path, "/status/"):
		b.status(ctx, strings.TrimPrefix(path, "/status/"))
	case strings.HasPrefix(path, "/bytes/"):
		b.bytes(ctx, strings.TrimPrefix(path, "/bytes/"))
	default:
		b.echo(ctx, 0)
	}
}

// slow waits for the ms query parameter's milliseconds, or until the
// server shuts down, and then echoes.
func (b *backend) slow(ctx *fasthttp.RequestCtx) {
	ms, err := parseCapped(string(ctx.QueryArgs().Peek("ms")), maxSlow.Milliseconds())
	if err != nil {
		b.fail(ctx, fasthttp.StatusBadRequest, "ms: "+err.Error())
		return
	}
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		b.echo(ctx, 0)
	case <-ctx.Done():
		b.fail(ctx, fasthttp.StatusServiceUnavailable, "shutting down")
	}
}

// status answers with the status named in the path.
func (b *backend) status(ctx *fasthttp.RequestCtx, arg string) {
	code, err := strconv.Atoi(arg)
	if err != nil || code < 200 || code > 599 {
		b.fail(ctx, fasthttp.StatusBadRequest, "status must be 200..599")
		return
	}
	ctx.SetStatusCode(code)
	b.echo(ctx, code)
}

// bytes streams the number of bytes named in the path.
func (b *backend) bytes(ctx *fasthttp.RequestCtx, arg string) {
	n, err := parseCapped(arg, maxBytes)
	if err != nil {
		b.fail(ctx, fasthttp.StatusBadRequest, "bytes: "+err.Error())
		return
	}
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.SetBodyStream(&filler{left: n}, int(n))
}

// echo answers with the request as it arrived; status, when not zero, is
// written into the document too.
func (b *backend) echo(ctx *fasthttp.RequestCtx, status int) {
	doc := echo{
		Backend:    b.name,
		Status:     status,
		Method:     string(ctx.Method()),
		Path:       string(ctx.Request.URI().PathOriginal()),
		Query:      string(ctx.URI().QueryString()),
		Host:       string(ctx.Host()),
		Proto:      string(ctx.Request.Header.Protocol()),
		RemoteAddr: ctx.RemoteAddr().String(),
		BodyBytes:  len(ctx.PostBody()),
		Headers:    make(map[string]string),
	}
	for k, v := range ctx.Request.Header.All() {
		if prev, ok := doc.Headers[string(k)]; ok {
			doc.Headers[string(k)] = prev + ", " + string(v)
			continue
		}
		doc.Headers[string(k)] = string(v)
	}
	b.writeJSON(ctx, doc)
}

// fail answers with status and a JSON error message.
func (b *backend) fail(ctx *fasthttp.RequestCtx, status int, msg string) {
	ctx.SetStatusCode(status)
	b.writeJSON(ctx, struct {
		Backend string `json:"backend"`
		Error   string `json:"error"`
	}{b.name, msg})
}

// writeJSON writes v as an indented JSON body, readable in a terminal.
func (b *backend) writeJSON(ctx *fasthttp.RequestCtx, v any) {
	ctx.SetContentType("application/json")
	enc := json.NewEncoder(ctx)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		ctx.Error("encode: "+err.Error(), fasthttp.StatusInternalServerError)
	}
}

// errRange is returned by parseCapped for negative or unparsable input.
var errRange = errors.New("must be a non-negative integer")

// parseCapped parses a non-negative decimal integer and lowers it to
// limit. An empty string is zero.
func parseCapped(s string, limit int64) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || n < 0 {
		return 0, errRange
	}
	return min(n, limit), nil
}

// fillText is the text /bytes repeats: printable, with a newline every 64
// bytes so the output is easy to look at.
const fillText = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.\n"

// filler is an io.Reader of left bytes of fillText, repeated.
type filler struct {
	left int64
	off  int
}

// Read fills p from fillText until left runs out.
func (f *filler) Read(p []byte) (int, error) {
	if f.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > f.left {
		p = p[:f.left]
	}
	n := 0
	for n < len(p) {
		c := copy(p[n:], fillText[f.off:])
		n += c
		f.off = (f.off + c) % len(fillText)
	}
	f.left -= int64(n)
	return n, nil
}
