package pool

import (
	"bufio"
	"bytes"
	"io"
	"net/http/httputil"
	"strconv"
	"strings"
	"testing"
)

// decodeChunked runs the chunked decoder over in with a read buffer of
// bufSize bytes and reads of readSize bytes. It returns the body, the
// what the decoder left unread and the error that ended the body (nil at
// its end).
func decodeChunked(in []byte, bufSize, readSize int) (body, rest []byte, err error) {
	br := bufio.NewReaderSize(bytes.NewReader(in), bufSize)
	s := &bodyStream{br: br}
	s.start(-1)
	buf := make([]byte, readSize)
	// Every call consumes input or ends, so this bounds the loop.
	for range 2*len(in) + 2 {
		n, rerr := s.readChunked(buf)
		body = append(body, buf[:n]...)
		if rerr == io.EOF {
			rest, _ = io.ReadAll(br)
			return body, rest, nil
		}
		if rerr != nil {
			return body, nil, rerr
		}
	}
	panic("BUG: chunked decoder made no progress")
}

var chunkedCases = []struct {
	name     string
	in       string
	wantBody string
	wantErr  error
	wantRest string
}{
	{name: "one chunk", in: "3\r\nabc\r\n0\r\n\r\nNEXT", wantBody: "abc", wantRest: "NEXT"},
	{name: "empty body", in: "0\r\n\r\n"},
	{name: "upper case hex and leading zeros",
		in: "00A\r\n0123456789\r\n1\r\n!\r\n0\r\n\r\n", wantBody: "0123456789!"},
	{name: "extensions are skipped", in: "3;a=b;c=\"d\"\r\nabc\r\n0;last\r\n\r\n",
		wantBody: "abc"},
	{name: "whitespace before an extension", in: "3 \t;a\r\nabc\r\n0\r\n\r\n",
		wantBody: "abc"},
	{name: "trailers are dropped", in: "3\r\nabc\r\n0\r\nA: 1\r\nB-2:\r\n\r\nNEXT",
		wantBody: "abc", wantRest: "NEXT"},

	{name: "bare LF after the size", in: "3\nabc\r\n0\r\n\r\n", wantErr: ErrBadResponse},
	{name: "0x prefix", in: "0x3\r\nabc\r\n0\r\n\r\n", wantErr: ErrBadResponse},
	{name: "sign", in: "+3\r\nabc\r\n0\r\n\r\n", wantErr: ErrBadResponse},
	{name: "empty size", in: "\r\nabc\r\n0\r\n\r\n", wantErr: ErrBadResponse},
	{name: "space without an extension", in: "3 \r\nabc\r\n0\r\n\r\n",
		wantErr: ErrBadResponse},
	{name: "control byte in an extension", in: "3;a\x00\r\nabc\r\n0\r\n\r\n",
		wantErr: ErrBadResponse},
	{name: "bare CR in an extension", in: "3;a\rb\r\nabc\r\n0\r\n\r\n",
		wantErr: ErrBadResponse},
	{name: "data longer than its size", in: "3\r\nabcd\r\n0\r\n\r\n", wantBody: "abc",
		wantErr: ErrBadResponse},
	{name: "size overflows", in: "fffffffffffffffff\r\n", wantErr: ErrBadResponse},
	{name: "size line longer than the buffer",
		in: "3;" + strings.Repeat("x", 300) + "\r\nabc\r\n0\r\n\r\n", wantErr: ErrBadResponse},
	{name: "folded trailer", in: "0\r\nA: 1\r\n more\r\n\r\n", wantErr: ErrBadResponse},
	{name: "trailer without a colon", in: "0\r\nnocolon\r\n\r\n", wantErr: ErrBadResponse},
	{name: "trailers over the cap",
		in:      "0\r\n" + strings.Repeat("X-Pad: "+strings.Repeat("p", 200)+"\r\n", 100) + "\r\n",
		wantErr: ErrBadResponse},

	{name: "cut inside data", in: "5\r\nab", wantBody: "ab", wantErr: io.ErrUnexpectedEOF},
	{name: "cut before the CRLF", in: "3\r\nabc", wantBody: "abc",
		wantErr: io.ErrUnexpectedEOF},
	{name: "cut before the last chunk", in: "3\r\nabc\r\n", wantBody: "abc",
		wantErr: io.ErrUnexpectedEOF},
	{name: "cut before the final CRLF", in: "3\r\nabc\r\n0\r\n", wantBody: "abc",
		wantErr: io.ErrUnexpectedEOF},
}

func TestChunkedDecoder(t *testing.T) {
	for _, tt := range chunkedCases {
		for _, readSize := range []int{1, 4, 4096} {
			t.Run(tt.name+"/read "+strconv.Itoa(readSize), func(t *testing.T) {
				body, rest, err := decodeChunked([]byte(tt.in), 256, readSize)
				if string(body) != tt.wantBody || err != tt.wantErr {
					t.Errorf("decode(%q) = %q, %v, want %q, %v", tt.in, body, err,
						tt.wantBody, tt.wantErr)
				}
				if err == nil && string(rest) != tt.wantRest {
					t.Errorf("decode(%q) left %q, want %q", tt.in, rest, tt.wantRest)
				}
			})
		}
	}
}

func TestParseChunkSize(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		want   int64
		wantOK bool
	}{
		{name: "zero", line: "0", want: 0, wantOK: true},
		{name: "mixed case", line: "aF", want: 0xaf, wantOK: true},
		{name: "largest", line: "100000000000000", want: 1 << 56, wantOK: true},
		{name: "too large", line: "1000000000000000"},
		{name: "extension", line: "10;x", want: 16, wantOK: true},
		{name: "trailing space", line: "10 "},
		{name: "not hex", line: "g"},
		{name: "empty", line: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseChunkSize([]byte(tt.line))
			if ok != tt.wantOK || (ok && got != tt.want) {
				t.Errorf("parseChunkSize(%q) = %d, %v, want %d, %v", tt.line, got, ok,
					tt.want, tt.wantOK)
			}
		})
	}
}

// FuzzChunkedDecoder checks that the decoder never panics or makes up
// bytes, that the result does not depend on how the caller slices its
// reads, and that a body it accepts is the body Go's own chunked reader
// sees when that accepts the input too.
func FuzzChunkedDecoder(f *testing.F) {
	for _, tt := range chunkedCases {
		// Large seeds make the fuzzer's minimising crawl.
		if len(tt.in) <= 512 {
			f.Add([]byte(tt.in))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		body, rest, err := decodeChunked(in, 256, 4096)
		body1, rest1, err1 := decodeChunked(in, 256, 1)
		if !bytes.Equal(body, body1) || err != err1 || !bytes.Equal(rest, rest1) {
			t.Fatalf("decode(%q): %q, %v, %q with big reads; %q, %v, %q with 1-byte reads",
				in, body, err, rest, body1, err1, rest1)
		}
		if len(body) > len(in) {
			t.Fatalf("decode(%q) = %d bytes from %d", in, len(body), len(in))
		}
		if err != nil {
			return
		}
		ref, refErr := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(in)))
		if refErr == nil && !bytes.Equal(ref, body) {
			t.Fatalf("decode(%q) = %q, net/http reads %q", in, body, ref)
		}
	})
}
