package proxy

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/config"
	"github.com/valyala/fasthttp"
)

// wsEcho is a minimal WebSocket upstream: it answers the handshake with
// 101 and then echoes raw bytes (frames are opaque to the tunnel, so the
// test need not speak the framing).
func wsEcho(t *testing.T) (addr string, closed <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	done := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer close(done)
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(ioTimeout))
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		h := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Accept: %s\r\n\r\n", base64.StdEncoding.EncodeToString(h[:]))
		_, _ = io.Copy(c, br) // echo until the client side closes
	}()
	return ln.Addr().String(), done
}

func TestWebSocketTunnel(t *testing.T) {
	// The event loop refuses WebSocket routes at config time, so this runs
	// on the standard transport only.
	addr, closed := wsEcho(t)
	gw := startGateway(t, "standard", oneRouteConfig(addr))
	c := dial(t, gw.addr)
	defer c.Close()
	send(t, c, "GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	br := bufio.NewReader(c)
	resp := readResponse(t, br, true)
	expectStatus(t, resp, 101)
	if got := string(resp.Header.Peek("Sec-WebSocket-Accept")); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("Sec-WebSocket-Accept = %q", got)
	}
	for _, msg := range []string{"ping", "a longer message"} {
		send(t, c, msg)
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(br, got); err != nil || string(got) != msg {
			t.Fatalf("echo = %q, %v; want %q", got, err, msg)
		}
	}
	// Closing the client side ends the upstream side too.
	c.Close()
	select {
	case <-closed:
	case <-time.After(ioTimeout):
		t.Fatal("upstream connection still open after the client closed")
	}
}

func TestWebSocketOnRouteWithoutIt(t *testing.T) {
	up := startUpstream(t, nil)
	cfg := strings.Replace(oneRouteConfig(up.addr), "websocket = true", "websocket = false", 1)
	gw := startGateway(t, "standard", cfg)
	resp := roundTrip(t, gw.addr, "GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
	expectStatus(t, resp, 200)
	if v, ok := headerLine(up.last(t), "Upgrade"); ok {
		t.Errorf("upstream received Upgrade: %s on a route without websocket", v)
	}
}

// TestReloadUnderLoad swaps the config while clients send requests and
// checks that no request fails and that the new route is live after.
func TestReloadUnderLoad(t *testing.T) {
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			a := startUpstream(t, nil)
			b := startUpstream(t, nil)
			gw := startGateway(t, transport, oneRouteConfig(a.addr))

			var failures, served atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					client := &fasthttp.HostClient{Addr: gw.addr}
					for i := 0; i < 5000; i++ {
						select {
						case <-stop:
							return
						default:
						}
						status, _, err := client.GetTimeout(nil, "http://x/r", ioTimeout)
						if err != nil || status != 200 {
							failures.Add(1)
						}
						served.Add(1)
					}
				}()
			}
			for i := range 20 {
				addr := a.addr
				if i%2 == 0 {
					addr = b.addr
				}
				f, err := config.Parse("reload.toml", []byte(oneRouteConfig(addr)))
				if err != nil {
					t.Fatal(err)
				}
				if err := gw.g.Reload(f); err != nil {
					t.Fatalf("reload %d: %v", i, err)
				}
			}
			close(stop)
			wg.Wait()
			if n := failures.Load(); n > 0 {
				t.Errorf("%d of %d requests failed across reloads", n, served.Load())
			}
			// The last reload pointed at a; a broken config keeps it.
			broken, err := config.Parse("broken.toml", []byte(strings.Replace(oneRouteConfig(b.addr), `upstream = "a"`, `upstream = "nope"`, 1)))
			if err == nil {
				err = gw.g.Reload(broken)
			}
			if err == nil {
				t.Fatal("reload of a config with a dangling upstream succeeded")
			}
			resp := roundTrip(t, gw.addr, "GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
			mustContain(t, "body", string(resp.Body()), a.addr)
		})
	}
}

// TestShutdownDrains starts a slow request, shuts the front end down and
// checks the request still completes while new connections are refused.
func TestShutdownDrains(t *testing.T) {
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			entered := make(chan struct{})
			release := make(chan struct{})
			up := startUpstream(t, func(ctx *fasthttp.RequestCtx) {
				close(entered)
				<-release
				ctx.WriteString("finished")
			})
			cfg := fill(oneRoute, map[string]string{"a": up.addr, "timeout": "10s"})
			gw := startGateway(t, transport, cfg)
			c := dial(t, gw.addr)
			defer c.Close()
			send(t, c, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
			<-entered

			stopped := make(chan struct{})
			go func() { gw.stop(); close(stopped) }()
			// New connections are refused once the listener is closed.
			deadline := time.Now().Add(ioTimeout)
			for {
				nc, err := net.DialTimeout("tcp", gw.addr, time.Second)
				if err != nil {
					break
				}
				nc.Close()
				if time.Now().After(deadline) {
					t.Fatal("gateway still accepting connections during shutdown")
				}
				runtime.Gosched()
			}
			close(release)
			resp := readResponse(t, bufio.NewReader(c), false)
			if got := string(resp.Body()); got != "finished" {
				t.Errorf("in-flight request got %q, want finished", got)
			}
			<-stopped
		})
	}
}

// TestLargeDownloadStreams sends 256 MiB through the gateway and checks the
// heap stays small: the body is streamed, never held whole.
func TestLargeDownloadStreams(t *testing.T) {
	const size = 256 << 20
	chunk := make([]byte, 64<<10)
	up := startUpstream(t, func(ctx *fasthttp.RequestCtx) {
		ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
			for sent := 0; sent < size; sent += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		})
	})
	cfg := fill(oneRoute, map[string]string{"a": up.addr, "timeout": "60s"})
	gw := startGateway(t, "standard", cfg)
	c := dial(t, gw.addr)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	send(t, c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")

	// Measure growth over what earlier tests left behind.
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	done := make(chan error, 1)
	var n int64
	go func() {
		resp := &fasthttp.Response{}
		resp.StreamBody = true
		br := bufio.NewReader(c)
		if err := resp.Read(br); err != nil {
			done <- err
			return
		}
		var err error
		n, err = io.Copy(io.Discard, resp.BodyStream())
		done <- err
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, io.EOF) {
				t.Fatalf("download: %v", err)
			}
			if n != size {
				t.Fatalf("downloaded %d bytes, want %d", n, size)
			}
			grew := peak - min(peak, base)
			if grew > 32<<20 {
				t.Errorf("heap grew by %d MiB while streaming %d MiB", grew>>20, size>>20)
			}
			t.Logf("heap grew by %d MiB for a %d MiB download", grew>>20, size>>20)
			return
		case <-tick.C:
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
}

var _ = context.Background
