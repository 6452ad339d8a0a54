package proxy

import (
	"strconv"

	"github.com/valyala/fasthttp"
)

// Error words name the gateway-made responses in bodies and access logs.
// They are fixed strings so the request path never formats an error.
const (
	errBadRequest   = "bad_request"
	errNoRoute      = "no_route"
	errMethod       = "method_not_allowed"
	errBodyTooLarge = "body_too_large"
	errHeaderTooBig = "header_too_large"
	errReqTimeout   = "request_timeout"
	errUpstream     = "upstream_error"
	errUnavailable  = "no_upstream_available"
	errTimeout      = "upstream_timeout"
	errRateLimited  = "rate_limited"
	errQuota        = "quota_exhausted"
)

// errorWord maps a gateway status to the word used for it when the caller
// has no better one.
func errorWord(status int) string {
	switch status {
	case fasthttp.StatusBadRequest:
		return errBadRequest
	case fasthttp.StatusNotFound:
		return errNoRoute
	case fasthttp.StatusMethodNotAllowed:
		return errMethod
	case fasthttp.StatusRequestTimeout:
		return errReqTimeout
	case fasthttp.StatusRequestEntityTooLarge:
		return errBodyTooLarge
	case fasthttp.StatusRequestHeaderFieldsTooLarge:
		return errHeaderTooBig
	case fasthttp.StatusServiceUnavailable:
		return errUnavailable
	case fasthttp.StatusGatewayTimeout:
		return errTimeout
	case fasthttp.StatusUnauthorized:
		return "unauthorized"
	case fasthttp.StatusForbidden:
		return "forbidden"
	default:
		return errUpstream
	}
}

// writeError replaces whatever response is in ctx with a gateway-made
// error: the status, a small JSON body naming the error and the request
// id, and no caching. The body is built in the response's own buffer.
func writeError(ctx *fasthttp.RequestCtx, status int, word string, requestID []byte) {
	resp := &ctx.Response
	resp.Reset()
	resp.SetStatusCode(status)
	resp.Header.SetContentType("application/json")
	resp.Header.Set("Cache-Control", "no-store")
	if len(requestID) > 0 {
		resp.Header.SetBytesV("X-Request-Id", requestID)
	}
	resp.AppendBodyString(`{"error":"`)
	resp.AppendBodyString(word)
	resp.AppendBodyString(`","status":`)
	var num [3]byte
	resp.AppendBody(strconv.AppendInt(num[:0], int64(status), 10))
	resp.AppendBodyString(`,"request_id":"`)
	resp.AppendBody(requestID)
	resp.AppendBodyString("\"}\n")
}
