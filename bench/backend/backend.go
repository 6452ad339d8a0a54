package backend

import (
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Body sizes of the fixed answers, in bytes.
const (
	SmallBytes = 1 << 10
	LargeBytes = 64 << 10
)

// Paths the backend answers specially; any other path gets the small body.
const (
	PathSmall    = "/1k"
	PathLarge    = "/64k"
	PathEchoSize = "/echo-size"
	// PathAccepted answers, on a server from NewServer, the number of
	// connections the server has accepted so far, in decimal. The harness
	// reads it around each measurement to check that proxies keep their
	// upstream connections alive.
	PathAccepted = "/_bench/accepted"
)

// Bodies are built once; handlers only point at them.
var (
	smallBody = fill(SmallBytes)
	largeBody = fill(LargeBytes)
)

// fill returns n bytes of printable filler ending in a newline.
func fill(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	b[n-1] = '\n'
	return b
}

// Handler answers one request as the package doc describes. It is safe for
// concurrent use and does not allocate.
func Handler(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.SetContentTypeBytes(textPlain)
	switch string(ctx.Path()) {
	case PathLarge:
		ctx.Response.SetBodyRaw(largeBody)
	case PathEchoSize:
		var num [20]byte
		ctx.Response.SetBody(strconv.AppendInt(num[:0], int64(len(ctx.PostBody())), 10))
	default:
		ctx.Response.SetBodyRaw(smallBody)
	}
}

var textPlain = []byte("text/plain")

// NewServer returns a fasthttp server running Handler with settings
// suited to a benchmark upstream (no Date header, generous concurrency,
// bodies up to 1 MiB), which also counts the connections it accepts and
// reports them at PathAccepted.
func NewServer() *fasthttp.Server {
	c := &counter{}
	return &fasthttp.Server{
		Handler:                       c.handle,
		ConnState:                     c.connState,
		Name:                          "bench-backend",
		Concurrency:                   16 << 10,
		MaxRequestBodySize:            1 << 20,
		ReadTimeout:                   30 * time.Second,
		WriteTimeout:                  30 * time.Second,
		IdleTimeout:                   90 * time.Second,
		NoDefaultDate:                 true,
		DisableHeaderNamesNormalizing: true,
	}
}

// counter counts a server's accepted connections.
type counter struct {
	accepted atomic.Uint64
}

// connState counts every new connection.
func (c *counter) connState(_ net.Conn, st fasthttp.ConnState) {
	if st == fasthttp.StateNew {
		c.accepted.Add(1)
	}
}

// handle answers PathAccepted and passes everything else to Handler.
func (c *counter) handle(ctx *fasthttp.RequestCtx) {
	if string(ctx.Path()) != PathAccepted {
		Handler(ctx)
		return
	}
	var num [20]byte
	ctx.Response.SetBody(strconv.AppendUint(num[:0], c.accepted.Load(), 10))
}
