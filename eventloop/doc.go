// Package eventloop is Portico's second client-facing transport: an HTTP/1.1
// server that runs on netpoll's event loop instead of one goroutine per
// connection.
//
// netpoll's poller reads every readable connection into its input buffer and
// then calls the Server's loop on a pooled goroutine. The loop parses each
// request with fasthttp (Request.ReadLimitBody over a pooled bufio.Reader),
// runs the same fasthttp.RequestHandler the standard transport runs, writes
// the response through a pooled bufio.Writer and returns once the input is
// drained, so pipelined requests are answered in order and an idle
// keep-alive connection holds no goroutine and no parser buffers.
//
// Around the handler the Server does what fasthttp.Server does: it answers
// "Expect: 100-continue", enforces the header and body limits with 431 and
// 413 (400 for anything unparsable, 408 for a read timeout), sets the Date
// and Server headers, closes idle connections after the idle timeout,
// honours Connection: close and HTTP/1.0 keep-alive, caps the number of open
// connections with 503, streams request bodies over the limit when
// Config.StreamRequestBody is set, streams response bodies (SetBodyStream)
// and drains in-flight requests on Shutdown.
//
// What it leaves to others:
//   - TLS. netpoll has none; TLS listeners need the standard transport.
//   - Hijack. RequestCtx.Hijack does nothing here, so WebSocket and other
//     upgrade routes need the standard transport. ErrHijack is the text
//     the config layer reports for that combination.
//   - Platforms without epoll or kqueue; Supported reports them.
//
// Upstream connections should use the same poller: NewDialFunc gives the
// upstream pool a fasthttp.DialFunc over netpoll's dialer, and Classify maps
// netpoll's error values (which are not io.EOF) to the 502 and 504 classes.
// Mixing netpoll on one side with the Go runtime's poller on the other cost
// 35-55 % more CPU per request in a trial.
//
// A client that half-closes its side after sending still gets its answers,
// although netpoll itself treats the FIN as a full close (see connio.go).
//
// With GOMAXPROCS=1 netpoll's poller can park in epoll_wait while holding
// the only P, and the handlers it queued just before wait for sysmon to
// take the P back (10-20 ms). New therefore refuses GOMAXPROCS < 2 unless
// Config.AllowSingleProc is set; procs.go has the mechanism.
//
// netpoll's buffer nodes are set to 1 KiB when this package is loaded
// (buffers.go): a process-wide setting of netpoll, which this package is
// the only user of.
package eventloop
