package pool

import (
	"bufio"
	"bytes"
	"io"
)

// The chunked decoder of bodyStream (RFC 9112 section 7.1). It is
// strict: a chunk size is hex digits with no sign or prefix, optionally
// followed by extensions (";" after optional spaces or tabs), which are
// skipped; every line ends in CRLF, data is followed by CRLF, and a line
// too long for the connection's read buffer is an error. Trailer fields
// are read and dropped until the empty line that ends the body.
//
// TODO: trailer fields of a streamed body are dropped, not forwarded;
// a client that relies on one (a checksum, gRPC-Web status) does not get
// it, while the same body under 64 KiB with a Content-Length has none.

// chunkState is where the decoder is in the chunked framing.
type chunkState uint8

const (
	// chunkSize expects a chunk-size line.
	chunkSize chunkState = iota
	// chunkData is inside a chunk's data, with left bytes to go.
	chunkData
	// chunkCRLF expects the CRLF after a chunk's data.
	chunkCRLF
	// chunkTrailer expects a trailer field line or the final empty line.
	chunkTrailer
)

// maxTrailerBytes caps the trailer section a chunked body may carry.
const maxTrailerBytes = 16 << 10

// maxChunkSize caps one chunk's size, far above any real chunk, so that
// the size arithmetic cannot overflow.
const maxChunkSize = 1 << 56

// readChunked reads decoded body bytes into p.
func (s *bodyStream) readChunked(p []byte) (int, error) {
	for s.state != chunkData {
		if s.done {
			return 0, io.EOF
		}
		if err := s.step(); err != nil {
			return 0, err
		}
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	if s.br.Buffered() == 0 {
		s.refresh()
	}
	n, err := s.br.Read(p)
	s.left -= int64(n)
	if s.left > 0 {
		return n, unexpected(err)
	}
	// Take the framing that follows if it is already here, so that a
	// caller who stops after the last data byte still leaves a reusable
	// connection.
	s.state = chunkCRLF
	return n, s.settle()
}

// settle runs the framing steps whose input is already buffered, up to
// the next chunk's data or the end of the body. It never waits.
func (s *bodyStream) settle() error {
	for !s.done && s.state != chunkData {
		if !s.ready() {
			return nil
		}
		if err := s.step(); err != nil {
			return err
		}
	}
	return nil
}

// ready reports whether the next framing step can run on buffered bytes.
func (s *bodyStream) ready() bool {
	n := s.br.Buffered()
	if s.state == chunkCRLF {
		return n >= 2
	}
	b, _ := s.br.Peek(n)
	return bytes.IndexByte(b, '\n') >= 0
}

// step consumes one piece of framing: the CRLF after data, a chunk-size
// line or a trailer line. It may wait for the network.
func (s *bodyStream) step() error {
	if !s.ready() {
		s.refresh()
	}
	switch s.state {
	case chunkCRLF:
		b, err := s.br.Peek(2)
		if err != nil {
			return unexpected(err)
		}
		if b[0] != '\r' || b[1] != '\n' {
			return ErrBadResponse
		}
		_, _ = s.br.Discard(2)
		s.state = chunkSize
	case chunkSize:
		line, err := readLine(s.br)
		if err != nil {
			return err
		}
		n, ok := parseChunkSize(line)
		if !ok {
			return ErrBadResponse
		}
		if n == 0 {
			s.state = chunkTrailer
			return nil
		}
		s.left, s.state = n, chunkData
	case chunkTrailer:
		line, err := readLine(s.br)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			s.done = true
			return nil
		}
		s.trailer += len(line) + 2
		if s.trailer > maxTrailerBytes || !validTrailer(line) {
			return ErrBadResponse
		}
	}
	return nil
}

// readLine returns the next line from br without its CRLF. The slice is
// valid until the next read from br. A line without CR before its LF, or
// longer than br's buffer, is ErrBadResponse.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull:
		return nil, ErrBadResponse
	case err != nil:
		return nil, unexpected(err)
	case len(line) < 2 || line[len(line)-2] != '\r':
		return nil, ErrBadResponse
	}
	return line[:len(line)-2], nil
}

// parseChunkSize parses a chunk-size line without its CRLF: hex digits,
// then nothing or extensions. It reports false for anything else, or for
// a size over maxChunkSize.
func parseChunkSize(line []byte) (int64, bool) {
	var (
		n int64
		i int
	)
	for ; i < len(line); i++ {
		d := unhex(line[i])
		if d < 0 {
			break
		}
		if n > maxChunkSize>>4 {
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	if i == 0 {
		return 0, false
	}
	rest := line[i:]
	if len(rest) == 0 {
		return n, true
	}
	// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
	for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
		rest = rest[1:]
	}
	if len(rest) == 0 || rest[0] != ';' {
		return 0, false
	}
	for _, c := range rest {
		if c < ' ' && c != '\t' || c == 0x7f {
			return 0, false
		}
	}
	return n, true
}

// validTrailer reports whether line looks like a field line: a name of
// visible characters, a colon, and a value without control characters
// other than tab. Obsolete line folding (a leading space) is refused, as
// RFC 9112 section 5.2 allows.
func validTrailer(line []byte) bool {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return false
	}
	for _, c := range line[:colon] {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	for _, c := range line[colon+1:] {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// unhex returns the value of hex digit c, or -1.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
