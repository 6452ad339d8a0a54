// Package proxy is Portico's request path: it takes a request from the
// client-facing front end, checks its framing, resolves the client address,
// routes it, applies the route's policy steps and forwards it to an upstream
// through package pool, then cleans the response and writes the access log.
//
// The package owns the compiled form of a config (routes, upstreams and
// policy engines) and swaps it atomically on reload, so a reload never drops
// a request. It leaves parsing the TOML to package config, path matching to
// package router, connection pooling and balancing to package pool, and the
// event-loop transport to package eventloop: Gateway.Handler is a plain
// fasthttp.RequestHandler that either transport drives.
//
// The steady-state request path allocates nothing; alloc_test.go proves it.
package proxy
