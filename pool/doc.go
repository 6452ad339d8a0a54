// Package pool sends requests to an upstream: a named set of targets
// (host:port) behind one balancing policy.
//
// An Upstream keeps one fasthttp.HostClient per target, so every target
// has its own pool of keep-alive connections (LIFO, capped, evicted when
// idle). Do picks a target with the configured balancer (round robin,
// smooth weighted round robin, least outstanding, consistent hash),
// applies the host_header policy, sends the request and fills the
// response. A keep-alive connection that the upstream closed while it sat
// idle does not cost a 502: on Linux a reused idle connection is checked
// before writing, and an idempotent request that still meets a closed
// connection is sent once more on a fresh one. Do moves to another target
// when a connection cannot be made. Do allocates nothing in steady state.
//
// Do runs the HTTP/1.1 exchange itself on the connections, buffers and
// readers the HostClient pools. With Config.StreamResponseBody a body of
// unknown length or over 64 KiB is not read by Do: the response gets a
// pooled body stream (fixed length, chunked or until close) that owns the
// connection until it is closed, gives it back when the body was read to
// its end, and treats the response timeout as an idle timeout between
// reads, so downloads of any length and size pass in bounded memory.
//
// Targets leave rotation in two ways: active health checks (a GET probe
// every interval, with healthy and unhealthy thresholds) and passive
// outlier ejection (consecutive connection or 5xx failures eject a target
// for a time that doubles on repeated ejections).
//
// Targets are plain HTTP/1.1 over TCP: TLS to upstreams is not supported.
//
// Errors from Do are a small set of sentinels (ErrNoTarget, ErrPoolFull,
// ErrConnect, ErrConnectTimeout, ErrTimeout, ErrClosed, ErrBadResponse);
// StatusFor turns them into 502, 503 or 504. The package does not write
// responses, log requests or count metrics per request: that is the
// proxy's job.
package pool

// TODO: no TLS to upstreams; an https backend needs a sidecar or a
// plaintext port until Config grows a TLS setting.
