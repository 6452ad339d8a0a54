package proxy

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"sync/atomic"

	"github.com/valyala/fasthttp"
)

// hopByHop lists the headers that describe one connection rather than the
// message (RFC 9110 §7.6.1) and are never forwarded. Connection itself and
// Transfer-Encoding are framing that fasthttp owns: it parses them into
// flags and writes its own on the way out. Proxy-Connection and Keep-Alive
// are not in the RFC list but are sent by old clients and would confuse an
// upstream just the same.
var hopByHop = [...]string{
	"Connection",
	"Keep-Alive",
	"Proxy-Connection",
	"Proxy-Authenticate",
	"Proxy-Authorization",
	"TE",
	"Trailer",
	"Upgrade",
	"Transfer-Encoding",
}

// headerDeleter is the part of fasthttp's request and response headers that
// stripHopByHop needs; both satisfy it.
type headerDeleter interface {
	Peek(key string) []byte
	DelBytes(key []byte)
	Del(key string)
}

// stripHopByHop removes every header named in Connection (RFC 9110 §7.6.1:
// a sender lists there the fields meant for the next hop only), except
// the protected framing fields, and then the fixed hop-by-hop list. The named headers are deleted first because
// deleting Connection would lose the list.
func stripHopByHop(h headerDeleter) {
	conn := h.Peek("Connection")
	for len(conn) > 0 {
		var tok []byte
		tok, conn = nextToken(conn)
		if len(tok) > 0 && !protected(tok) {
			h.DelBytes(tok)
		}
	}
	for _, name := range hopByHop {
		h.Del(name)
	}
}

var (
	strClose     = []byte("close")
	strKeepAlive = []byte("keep-alive")
)

// protected reports whether a name in Connection must be ignored: the
// connection options close and keep-alive, and the fields that frame the
// message or name its target. Deleting Content-Length because a client
// listed it would make the gateway's own write fail, which would count
// against the upstream and eject it.
func protected(name []byte) bool {
	for _, p := range [...]string{"close", "keep-alive", "content-length", "transfer-encoding", "host"} {
		if bytes.EqualFold(name, []byte(p)) {
			return true
		}
	}
	return false
}

// nextToken splits a comma-separated header list and returns the first
// element, trimmed, and the rest.
func nextToken(list []byte) (tok, rest []byte) {
	i := bytes.IndexByte(list, ',')
	if i < 0 {
		return bytes.TrimSpace(list), nil
	}
	return bytes.TrimSpace(list[:i]), list[i+1:]
}

// hasToken reports whether the comma-separated list holds tok, ignoring
// case.
func hasToken(list, tok []byte) bool {
	for len(list) > 0 {
		var t []byte
		t, list = nextToken(list)
		if bytes.EqualFold(t, tok) {
			return true
		}
	}
	return false
}

// setForwarded writes X-Forwarded-For, -Proto and -Host (the de facto
// forms; RFC 7239's Forwarded is not generated). A trusted peer's chain is
// extended with the peer's address; anyone else's is replaced by it, so an
// upstream never sees a chain the gateway cannot vouch for.
func setForwarded(h *fasthttp.RequestHeader, sc *scratch, peer netip.Addr, trusted bool, tls bool, host []byte) {
	buf := sc.fwd[:0]
	if trusted {
		if prev := h.Peek("X-Forwarded-For"); len(prev) > 0 {
			buf = append(buf, prev...)
			buf = append(buf, ", "...)
		}
	}
	buf = peer.AppendTo(buf)
	h.SetBytesV("X-Forwarded-For", buf)
	sc.fwd = buf

	if !trusted || len(h.Peek("X-Forwarded-Proto")) == 0 {
		if tls {
			h.Set("X-Forwarded-Proto", "https")
		} else {
			h.Set("X-Forwarded-Proto", "http")
		}
	}
	if !trusted || len(h.Peek("X-Forwarded-Host")) == 0 {
		h.SetBytesV("X-Forwarded-Host", host)
	}
}

// requestIDs makes X-Request-Id values: a random per-process prefix and a
// counter, hex-encoded into 32 bytes. Unique without a syscall or an
// allocation per request; not a secret, and not meant to be one.
type requestIDs struct {
	prefix [8]byte
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	g := &requestIDs{}
	_, _ = rand.Read(g.prefix[:])
	return g
}

// appendNext appends a fresh id to dst.
func (g *requestIDs) appendNext(dst []byte) []byte {
	var raw [16]byte
	copy(raw[:8], g.prefix[:])
	n := g.n.Add(1)
	for i := 15; i >= 8; i-- {
		raw[i] = byte(n)
		n >>= 8
	}
	return hex.AppendEncode(dst, raw[:])
}

// validRequestID reports whether a client-supplied X-Request-Id may be kept:
// 1 to 128 visible ASCII characters, so it is safe in logs and JSON.
func validRequestID(id []byte) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
