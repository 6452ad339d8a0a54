package auth

import (
	"net/netip"
	"strings"

	"github.com/portico-gw/portico/config"
)

// Config problems of parsePrefix.
const (
	msgCIDR = "want a CIDR such as 10.0.0.0/8 or 2001:db8::/32, or an address"
	// msgCIDR4in6 rejects IPv4-mapped IPv6 prefixes: client addresses
	// are compared in their IPv4 form, so such a prefix never matches.
	msgCIDR4in6 = "write an IPv4-mapped network in its IPv4 form"
)

// ipList is an allow or deny list of networks. The zero value is empty.
// A linear scan is used: lists are short, and a scan of a few dozen
// prefixes costs less than a trie lookup would save.
type ipList []netip.Prefix

// contains reports whether addr is in one of the networks. addr must be
// unmapped already (see ipRules.check).
func (l ipList) contains(addr netip.Addr) bool {
	for _, p := range l {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// parsePrefix reads one list entry: a CIDR or a single address. On
// failure it returns the problem as a config message.
func parsePrefix(s string) (netip.Prefix, string) {
	s = strings.TrimSpace(s)
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return p, msgCIDR
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return p, msgCIDR
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().Is4In6() {
		return p, msgCIDR4in6
	}
	return p.Masked(), ""
}

// ipRules is one level (global or route) of allow and deny lists.
type ipRules struct {
	allow ipList
	deny  ipList
}

// check reports whether addr passes: not in deny, and in allow when allow
// is not empty. An invalid address (the front end could not tell) passes
// an empty allow list and fails a non-empty one.
func (r *ipRules) check(addr netip.Addr) bool {
	if len(r.allow) == 0 && len(r.deny) == 0 {
		return true
	}
	addr = addr.Unmap()
	if r.deny.contains(addr) {
		return false
	}
	return len(r.allow) == 0 || r.allow.contains(addr)
}

// compileIPRules parses allow and deny lists; key is the config path of
// the table holding them, for errors.
func compileIPRules(key string, allow, deny []string, errs *[]error) ipRules {
	var r ipRules
	r.allow = compileIPList(key+".allow_cidrs", allow, errs)
	r.deny = compileIPList(key+".deny_cidrs", deny, errs)
	return r
}

// compileIPList parses one list, appending a config error per bad entry.
func compileIPList(key string, list []string, errs *[]error) ipList {
	var l ipList
	for i, s := range list {
		p, msg := parsePrefix(s)
		if msg != "" {
			*errs = append(*errs, config.Errorf(index(key, i), "%s", msg))
			continue
		}
		l = append(l, p)
	}
	return l
}
