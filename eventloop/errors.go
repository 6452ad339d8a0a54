package eventloop

import (
	"errors"

	"github.com/valyala/fasthttp"
)

// ErrorHandler writes the response for a request that could not be read:
// 431 when the request line and headers exceed the read buffer, 413 when
// the body exceeds the limit, 408 on a read timeout and 400 otherwise. The
// Server uses it; set it as fasthttp.Server.ErrorHandler too, so that both
// transports answer bad requests alike (fasthttp's own handler says 400
// for an oversized body).
func ErrorHandler(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.As(err, &small):
		ctx.Error("Request header fields too large", fasthttp.StatusRequestHeaderFieldsTooLarge)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		ctx.Error("Request body too large", fasthttp.StatusRequestEntityTooLarge)
	case isTimeout(err):
		ctx.Error("Request timeout", fasthttp.StatusRequestTimeout)
	default:
		ctx.Error("Error when parsing request", fasthttp.StatusBadRequest)
	}
}

// isTimeout reports whether err or an error it wraps has Timeout() true.
func isTimeout(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if t, ok := e.(interface{ Timeout() bool }); ok && t.Timeout() {
			return true
		}
	}
	return false
}
