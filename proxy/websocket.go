package proxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/portico-gw/portico/pool"
	"github.com/valyala/fasthttp"
)

// isWebSocketUpgrade reports whether the request asks to switch to the
// WebSocket protocol (RFC 6455 §4.1: Upgrade: websocket and a Connection
// header listing "upgrade").
func isWebSocketUpgrade(h *fasthttp.RequestHeader) bool {
	return hasToken(h.Peek("Connection"), []byte("upgrade")) &&
		hasToken(h.Peek("Upgrade"), []byte("websocket"))
}

// tunnel forwards a WebSocket handshake to a target on a connection of its
// own and, when the target switches protocols, splices the client and
// target connections together until either side closes or the tunnel is
// idle for the server's idle timeout. A target that refuses the upgrade
// has its response relayed as is. The tunnel is off the pooled path: one
// upstream connection per WebSocket, never returned to the pool.
func (g *Gateway) tunnel(ctx *fasthttp.RequestCtx, st *state, r *route, sc *scratch, peer netip.Addr, trusted bool) int {
	u := r.upstream
	target := u.Pick(u.HashWith(&sc.view, sc.consumer))
	if target == nil {
		return fasthttp.StatusServiceUnavailable
	}
	sc.target = target.Addr()
	up, err := target.Dial()
	if err != nil {
		return pool.StatusFor(err)
	}

	// The handshake as the target sees it: hop-by-hop headers were
	// stripped with the rest; this hop's own upgrade request is put back.
	req := &ctx.Request
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	setForwarded(&req.Header, sc, peer, trusted, g.tls, req.Header.Host())
	req.Header.SetBytesV("X-Request-Id", sc.id)
	u.SetHost(&req.Header, target)
	req.SetRequestURIBytes(sc.uri)

	timeout := st.file.Server.IdleTimeout
	_ = up.SetDeadline(time.Now().Add(timeout))
	bw := bufio.NewWriter(up)
	if err := req.Write(bw); err != nil || bw.Flush() != nil {
		up.Close()
		return fasthttp.StatusBadGateway
	}
	br := bufio.NewReader(up)
	resp := &ctx.Response
	if err := resp.Header.Read(br); err != nil {
		up.Close()
		if isTimeout(err) {
			return fasthttp.StatusGatewayTimeout
		}
		return fasthttp.StatusBadGateway
	}
	if resp.StatusCode() != fasthttp.StatusSwitchingProtocols {
		// Refused: read the body and relay the answer as a normal response.
		err := resp.ReadBody(br, 1<<20)
		up.Close()
		if err != nil {
			return fasthttp.StatusBadGateway
		}
		stripHopByHop(&resp.Header)
		return 0
	}
	_ = up.SetDeadline(time.Time{})
	ctx.Hijack(func(client net.Conn) {
		splice(client, up, br, timeout)
	})
	return 0
}

// splice copies bytes both ways until one side ends. A clean end on one
// side half-closes the other (so a final message still gets through), and
// any error or the idle timeout tears both down. pending holds bytes the
// target sent right after its handshake.
func splice(client, up net.Conn, pending *bufio.Reader, idle time.Duration) {
	done := make(chan struct{}, 2)
	go func() {
		copyIdle(up, client, client, idle)
		closeWrite(up)
		done <- struct{}{}
	}()
	go func() {
		copyIdle(client, pending, up, idle)
		closeWrite(client)
		done <- struct{}{}
	}()
	<-done
	// Give the other direction one idle period to finish, then end both.
	select {
	case <-done:
	case <-time.After(idle):
	}
	client.Close()
	up.Close()
}

// copyIdle copies src, which reads from srcConn, to dst, failing when
// srcConn is silent for idle.
func copyIdle(dst net.Conn, src io.Reader, srcConn net.Conn, idle time.Duration) {
	buf := make([]byte, 16<<10)
	for {
		_ = srcConn.SetReadDeadline(time.Now().Add(idle))
		n, err := src.Read(buf)
		if n > 0 {
			_ = dst.SetWriteDeadline(time.Now().Add(idle))
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func closeWrite(c net.Conn) {
	type halfCloser interface{ CloseWrite() error }
	if hc, ok := c.(halfCloser); ok {
		_ = hc.CloseWrite()
		return
	}
	c.Close()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
