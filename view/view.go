// Package view defines Request, the small read-mostly view of an incoming
// request that the policy steps (routing, authentication, limits) work on.
// Keeping those steps on this view instead of on a front end's own request
// type lets a second front end (HTTP/2, the event loop) reuse them. The
// package holds types only; filling a view is the front end's job.
package view

import "net/netip"

// Header is the part of a request's header block that policy steps use.
// *fasthttp.RequestHeader satisfies it as it is, so building a view from
// a fasthttp request boxes a pointer and allocates nothing.
type Header interface {
	// Peek returns the first value of the named header, or nil. The slice
	// is valid until the request's handler returns.
	Peek(name string) []byte
	// Del removes every value of the named header.
	Del(name string)
	// SetBytesV replaces the named header's value.
	SetBytesV(name string, value []byte)
}

// Args is the request's query string, parsed. *fasthttp.Args satisfies it.
type Args interface {
	Peek(name string) []byte
	Del(name string)
}

// Request is the view of one request. Every byte slice belongs to the
// front end and is valid only until the request's handler returns; a step
// that keeps anything past that must copy it. A Request is not safe for
// concurrent use.
type Request struct {
	Method []byte
	// Host is the request's host, lower case, without the port.
	Host []byte
	// Path is the normalized path (see router.Normalize), not the raw one.
	Path []byte
	// ClientIP is the caller's address after trusted proxies are peeled
	// off X-Forwarded-For.
	ClientIP netip.Addr
	Header   Header
	Query    Args
	// Route is the name of the matched route, or empty before routing.
	Route string
	// KeyHash identifies the API key that authenticated the request, 0
	// when none did. The auth step sets it; later steps (limits keyed by
	// api_key) use it because the key itself is removed before
	// forwarding.
	KeyHash uint64
}

// ResponseHeader is the part of a response's header block that policy
// steps write (rate-limit headers, CORS, WWW-Authenticate).
// *fasthttp.ResponseHeader satisfies it.
type ResponseHeader interface {
	SetBytesV(name string, value []byte)
	Set(name, value string)
}
