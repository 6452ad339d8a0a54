// Package load drives HTTP/1.1 load at one address over loopback and
// records latency without allocating per request.
//
// Two loops are offered. The closed loop keeps N connections busy, each
// sending its next request as soon as the previous response is read, and
// so measures throughput. The open loop sends at a fixed total rate; a
// request that had to wait for an earlier response on its connection is
// timed from when it was meant to be sent, not from when it went out, so
// a stalled server is charged for the requests that queued behind the
// stall (no coordinated omission).
//
// Connections are either kept alive for the whole run or opened anew for
// every request. Latencies go into a Histogram with log-linear buckets
// (about 0.8 % relative error), one per connection, merged at the end.
//
// The package leaves process management, CPU accounting and reporting to
// its caller (the harness in package harness).
package load
