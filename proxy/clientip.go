package proxy

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
)

// trustedProxies is the set of peers whose X-Forwarded-* headers are
// believed. A request from any other peer has its forwarding headers
// replaced, so a client cannot choose the address the limits and IP rules
// see.
type trustedProxies []netip.Prefix

// parseTrusted reads CIDRs or bare addresses. The config package has
// already validated them; the error here is a second line of defence.
func parseTrusted(list []string) (trustedProxies, error) {
	out := make(trustedProxies, 0, len(list))
	for _, s := range list {
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// contains reports whether a is a trusted proxy.
func (tp trustedProxies) contains(a netip.Addr) bool {
	for _, p := range tp {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP walks X-Forwarded-For from the right while the hop is a trusted
// proxy and returns the first untrusted address: the real client. The walk
// starts at the peer itself (peerTrusted is tp.contains(peer), which the
// caller already has), so an untrusted peer is the client whatever the
// header says. A malformed entry stops the walk at the last good hop.
func (tp trustedProxies) clientIP(peer netip.Addr, peerTrusted bool, xff []byte) netip.Addr {
	if !peerTrusted {
		return peer
	}
	client := peer
	for len(xff) > 0 {
		i := bytes.LastIndexByte(xff, ',')
		hop := bytes.TrimSpace(xff[i+1:])
		xff = xff[:max(i, 0)]
		a, ok := parseAddrBytes(hop)
		if !ok {
			return client
		}
		client = a
		if !tp.contains(a) {
			return a
		}
		if i < 0 {
			break
		}
	}
	return client
}

// parseAddrBytes parses an IP address held in bytes. IPv4, the common
// case, is parsed by hand so the request path allocates nothing.
func parseAddrBytes(b []byte) (netip.Addr, bool) {
	if len(b) == 0 || len(b) > 64 {
		return netip.Addr{}, false
	}
	if a, ok := parseIPv4(b); ok {
		return a, true
	}
	if b[0] == '[' && b[len(b)-1] == ']' {
		b = b[1 : len(b)-1]
	}
	// TODO: IPv6 hops go through netip.ParseAddr, whose string argument
	// escapes (zones are interned); each IPv6 X-Forwarded-For hop from a
	// trusted proxy costs one small allocation.
	a, err := netip.ParseAddr(string(b))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// parseIPv4 parses dotted-quad bytes: four decimal octets, no leading
// zeros (RFC 6943 §3.1.1 warns that they read as octal elsewhere).
func parseIPv4(b []byte) (netip.Addr, bool) {
	var out [4]byte
	n, octet, digits := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || n == 4 {
				return netip.Addr{}, false
			}
			out[n] = byte(octet)
			n, octet, digits = n+1, 0, 0
			continue
		}
		c := b[i]
		if c < '0' || c > '9' || (digits > 0 && octet == 0) {
			return netip.Addr{}, false
		}
		octet = octet*10 + int(c-'0')
		digits++
		if octet > 255 {
			return netip.Addr{}, false
		}
	}
	if n != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(out), true
}
