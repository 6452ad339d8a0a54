package pool

import (
	"net"
	"testing"
	"time"
)

func TestCheckedConn(t *testing.T) {
	if !canPeek {
		t.Skip("no peek on this platform")
	}
	tests := []struct {
		name string
		// peer acts on the server side of the connection after the
		// first request.
		peer      func(t *testing.T, s net.Conn)
		expireRD  bool
		wantStale bool
	}{
		{name: "idle and open", peer: func(*testing.T, net.Conn) {}},
		{name: "closed by peer", peer: closePeer, wantStale: true},
		{name: "reset by peer", peer: resetPeer, wantStale: true},
		{name: "stray bytes", peer: func(t *testing.T, s net.Conn) {
			if _, err := s.Write([]byte("HTTP/1.1 408 Request Timeout\r\n\r\n")); err != nil {
				t.Fatalf("write: %v", err)
			}
		}, wantStale: true},
		{name: "expired read deadline is not stale", peer: closePeer, expireRD: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln := listen(t)
			accepted := make(chan net.Conn, 1)
			go func() {
				s, err := ln.Accept()
				if err == nil {
					accepted <- s
				}
			}()
			raw, err := net.DialTimeout("tcp", ln.Addr().String(), ioTimeout)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			c := checkConn(raw, 0)
			defer c.Close()
			s := <-accepted
			defer s.Close()
			deadline := time.Now().Add(ioTimeout)

			// The first request on a connection is never checked.
			if err := c.SetWriteDeadline(deadline); err != nil {
				t.Fatalf("first SetWriteDeadline = %v, want nil", err)
			}
			tt.peer(t, s)
			if tt.wantStale || tt.expireRD {
				waitReadable(t, raw)
			}
			if tt.expireRD {
				_ = c.SetReadDeadline(time.Now().Add(-time.Second))
			}
			err = c.SetWriteDeadline(deadline)
			if got := err == errStale; got != tt.wantStale {
				t.Errorf("SetWriteDeadline after %s = %v, want stale %v", tt.name, err,
					tt.wantStale)
			}
		})
	}
}

func TestCheckedConnBusySkipsPeek(t *testing.T) {
	if !canPeek {
		t.Skip("no peek on this platform")
	}
	ln := listen(t)
	accepted := make(chan net.Conn, 1)
	go func() {
		s, err := ln.Accept()
		if err == nil {
			accepted <- s
		}
	}()
	raw, err := net.DialTimeout("tcp", ln.Addr().String(), ioTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c := checkConn(raw, time.Hour)
	defer c.Close()
	s := <-accepted
	deadline := time.Now().Add(ioTimeout)
	if err := c.SetWriteDeadline(deadline); err != nil {
		t.Fatalf("first SetWriteDeadline = %v", err)
	}
	closePeer(t, s)
	waitReadable(t, raw)
	// Reused right away: not checked, so the close goes unnoticed here.
	if err := c.SetWriteDeadline(deadline); err != nil {
		t.Errorf("SetWriteDeadline on a busy connection = %v, want nil (no peek)", err)
	}
}

func closePeer(t *testing.T, s net.Conn) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

func resetPeer(t *testing.T, s net.Conn) {
	t.Helper()
	_ = s.(*net.TCPConn).SetLinger(0)
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// waitReadable blocks until the client socket has something to report
// (data, FIN or RST), so the check cannot run before the peer's action
// arrived. It peeks through a duplicate descriptor to leave c untouched.
func waitReadable(t *testing.T, c net.Conn) {
	t.Helper()
	f, err := c.(*net.TCPConn).File()
	if err != nil {
		t.Fatalf("dup: %v", err)
	}
	defer f.Close()
	fc, err := net.FileConn(f)
	if err != nil {
		t.Fatalf("file conn: %v", err)
	}
	defer fc.Close()
	_ = fc.SetReadDeadline(time.Now().Add(ioTimeout))
	rc, err := fc.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatalf("syscall conn: %v", err)
	}
	// Read waits for readability, then peek reports without consuming.
	cc := &checkedConn{}
	ready := false
	if err := rc.Read(func(fd uintptr) bool {
		cc.peek(fd)
		ready = cc.closed
		return ready
	}); err != nil || !ready {
		t.Fatalf("peer action not seen: %v", err)
	}
}
