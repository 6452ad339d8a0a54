package pool

import (
	"net/netip"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/valyala/fasthttp"

	"github.com/portico-gw/portico/view"
)

func TestHash(t *testing.T) {
	var hdr fasthttp.RequestHeader
	hdr.Set("X-User", "alice")
	ip := netip.MustParseAddr("192.0.2.7")
	ip16 := ip.As16()
	v := &view.Request{Path: []byte("/a/b"), ClientIP: ip, Header: &hdr}
	tests := []struct {
		name     string
		key      string
		v        *view.Request
		consumer string
		want     uint64
	}{
		{name: "none", key: "", v: v, want: 0},
		{name: "path", key: "path", v: v, want: xxhash.Sum64String("/a/b")},
		{name: "client ip", key: "client_ip", v: v, want: xxhash.Sum64(ip16[:])},
		{name: "client ip unset", key: "client_ip", v: &view.Request{}, want: 0},
		{name: "header", key: "header:X-User", v: v, want: xxhash.Sum64String("alice")},
		{name: "header missing", key: "header:X-Other", v: v, want: 0},
		{name: "header without view header", key: "header:X-User", v: &view.Request{}},
		{name: "consumer", key: "consumer", v: v, consumer: "bob",
			want: xxhash.Sum64String("bob")},
		{name: "consumer anonymous", key: "consumer", v: v, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newTestUpstream(t, Config{Targets: targets("127.0.0.1:1"),
				Balance: BalanceConsistentHash, HashKey: tt.key})
			if got := u.HashWith(tt.v, tt.consumer); got != tt.want {
				t.Errorf("HashWith(%q) = %d, want %d", tt.key, got, tt.want)
			}
		})
	}
}

func TestParseHashKey(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		want    hashSource
		header  string
		wantErr bool
	}{
		{name: "empty", key: "", want: hashNone},
		{name: "client ip", key: "client_ip", want: hashClientIP},
		{name: "path", key: "path", want: hashPath},
		{name: "consumer", key: "consumer", want: hashConsumer},
		{name: "header", key: "header:X-Tenant", want: hashHeader, header: "X-Tenant"},
		{name: "header without name", key: "header:", wantErr: true},
		{name: "header with space", key: "header:X Tenant", wantErr: true},
		{name: "unknown", key: "cookie:sid", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, header, err := parseHashKey(tt.key)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseHashKey(%q) error = %v, want error %v", tt.key, err, tt.wantErr)
			}
			if err == nil && (got != tt.want || header != tt.header) {
				t.Errorf("parseHashKey(%q) = %d, %q, want %d, %q", tt.key, got, header,
					tt.want, tt.header)
			}
		})
	}
}

func FuzzParseHashKey(f *testing.F) {
	for _, s := range []string{"", "path", "client_ip", "consumer", "header:X-A", "header:",
		"header:a:b", "weird"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		src, header, err := parseHashKey(key)
		if err != nil {
			return
		}
		if src == hashHeader && (header == "" || "header:"+header != key) {
			t.Fatalf("parseHashKey(%q) = header %q", key, header)
		}
		if src != hashHeader && header != "" {
			t.Fatalf("parseHashKey(%q) = source %d with header %q", key, src, header)
		}
	})
}
