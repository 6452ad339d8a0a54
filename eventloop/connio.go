package eventloop

import (
	"errors"
	"io"

	"github.com/cloudwego/netpoll"
)

// connWriter is what a connection's bufio.Writer writes to. It writes
// through netpoll, except after the client half-closed its side.
//
// netpoll treats a client's FIN as a full close: from then on Write fails
// with ErrConnClosed, although the client may still be reading, so a
// client that sends its requests and then shuts down its writing side
// (RFC 9112, section 9.6 allows it) would lose every answer it is owed.
// The socket itself stays open until the request loop returns (netpoll
// closes it only once the loop has released the connection), so the
// writer sends the rest directly on the file descriptor.
type connWriter struct {
	nc netpoll.Connection
	fd int // the socket, or -1 when netpoll's connection does not expose it
}

// fdConn is the part of netpoll's connection type that exposes its socket.
type fdConn interface{ Fd() int }

// reset points w at nc.
func (w *connWriter) reset(nc netpoll.Connection) {
	w.nc, w.fd = nc, -1
	if f, ok := nc.(fdConn); ok {
		w.fd = f.Fd()
	}
}

// maxWriteChunk bounds what one netpoll write copies. netpoll copies
// every write into a buffer node of the write's size before sending it, so
// a 64 MiB body written at once would cost 64 MiB more; in chunks it costs
// one chunk, each flushed before the next is copied.
const maxWriteChunk = 64 << 10

// Write writes p through netpoll in chunks of at most maxWriteChunk, or
// directly to the socket when netpoll has given up on a half-closed
// connection.
func (w *connWriter) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		chunk := p[written:min(len(p), written+maxWriteChunk)]
		n, err := w.nc.Write(chunk)
		written += n
		if err == nil {
			continue
		}
		if n > 0 || w.fd < 0 || !errors.Is(err, netpoll.ErrConnClosed) {
			return written, err
		}
		n, err = writeFD(w.fd, p[written:])
		return written + n, err
	}
	return written, nil
}

// connReader is what a connection's bufio.Reader reads from. netpoll
// reports the client's FIN as its own ErrEOF, which is not io.EOF, and
// fasthttp tells "closed before the first byte" (no answer) from "closed
// mid-request" (400) only by io.EOF; connReader translates.
type connReader struct{ nc netpoll.Connection }

// Read reads from the connection, reporting end of input as io.EOF.
func (r *connReader) Read(p []byte) (int, error) {
	n, err := r.nc.Read(p)
	if err != nil && errors.Is(err, netpoll.ErrEOF) {
		err = io.EOF
	}
	return n, err
}
