package auth_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/portico-gw/portico/auth"
	"github.com/portico-gw/portico/config"
)

func TestCheck(t *testing.T) {
	a := newAuth(t, baseConfig())
	tok := sign(t, jwtHS256, []byte(secret), "", claims("alice"))
	tests := []struct {
		name   string
		route  string
		uri    string
		hdr    []string
		status int
		reason string
		// consumer, plan and groups are the expected caller and the
		// identity headers the upstream sees.
		consumer, plan, groups string
		// gone lists request headers that must be absent afterwards,
		// kept those that must still be there; query the query string.
		gone, kept []string
		query      string
	}{
		{name: "open route", route: "open", uri: "/x",
			hdr:    []string{"X-Consumer", "root", "X-Consumer-Groups", "admin", "X-API-Key", aliceKey},
			reason: auth.ReasonOpen, gone: []string{"X-Consumer", "X-Consumer-Groups"},
			kept: []string{"X-API-Key"}},
		{name: "key in header", route: "any", uri: "/x", hdr: []string{"X-API-Key", aliceKey},
			reason: auth.ReasonKey, consumer: "alice", plan: "pro", groups: "staff,beta",
			gone: []string{"X-API-Key"}},
		{name: "key in query", route: "any", uri: "/x?a=1&api_key=" + aliceKey,
			reason: auth.ReasonKey, consumer: "alice", plan: "pro", groups: "staff,beta", query: "a=1"},
		{name: "forged identity replaced", route: "any", uri: "/x",
			hdr:    []string{"X-API-Key", bobKey, "X-Consumer", "alice", "X-Consumer-Groups", "staff"},
			reason: auth.ReasonKey, consumer: "bob", plan: "free", gone: []string{"X-Consumer-Groups"}},
		{name: "wrong key", route: "any", uri: "/x", hdr: []string{"X-API-Key", aliceKey + "x"},
			status: 401, reason: auth.ReasonBadKey},
		{name: "key prefix", route: "any", uri: "/x", hdr: []string{"X-API-Key", aliceKey[:5]},
			status: 401, reason: auth.ReasonBadKey},
		{name: "no credentials", route: "any", uri: "/x", status: 401, reason: auth.ReasonNoCredentials},
		{name: "jwt", route: "any", uri: "/x", hdr: []string{"Authorization", bearer(tok)},
			reason: auth.ReasonJWT, consumer: "alice", plan: "pro", groups: "staff,beta",
			gone: []string{"Authorization"}},
		{name: "bearer scheme case", route: "any", uri: "/x",
			hdr:    []string{"Authorization", "bEaReR   " + tok},
			reason: auth.ReasonJWT, consumer: "alice", plan: "pro", groups: "staff,beta"},
		{name: "basic", route: "any", uri: "/x", hdr: []string{"Authorization", basic(carolUser, carolPass)},
			reason: auth.ReasonBasic, consumer: "carol", groups: "staff", gone: []string{"Authorization"}},
		{name: "basic wrong password", route: "any", uri: "/x",
			hdr: []string{"Authorization", basic(carolUser, "nope")}, status: 401, reason: auth.ReasonBadBasic},
		{name: "basic unknown user", route: "any", uri: "/x",
			hdr: []string{"Authorization", basic("mallory", carolPass)}, status: 401, reason: auth.ReasonBadBasic},
		{name: "basic not base64", route: "any", uri: "/x",
			hdr: []string{"Authorization", "Basic %%%"}, status: 401, reason: auth.ReasonBadBasic},
		{name: "group allowed", route: "staff", uri: "/x", hdr: []string{"X-API-Key", aliceKey},
			reason: auth.ReasonKey, consumer: "alice", plan: "pro", groups: "staff,beta"},
		{name: "group allowed basic", route: "staff", uri: "/x",
			hdr:    []string{"Authorization", basic(carolUser, carolPass)},
			reason: auth.ReasonBasic, consumer: "carol", groups: "staff"},
		{name: "group forbidden", route: "staff", uri: "/x", hdr: []string{"X-API-Key", bobKey},
			status: 403, reason: auth.ReasonForbidden, kept: []string{"X-API-Key"}},
		{name: "consumer allowed", route: "bobonly", uri: "/x", hdr: []string{"X-API-Key", bobKey},
			reason: auth.ReasonKey, consumer: "bob", plan: "free"},
		{name: "consumer forbidden", route: "bobonly", uri: "/x", hdr: []string{"X-API-Key", aliceKey},
			status: 403, reason: auth.ReasonForbidden},
		{name: "anonymous", route: "anon", uri: "/x", hdr: []string{"X-Consumer", "alice"},
			reason: auth.ReasonAnonymous, gone: []string{"X-Consumer"}},
		{name: "anonymous with bad key", route: "anon", uri: "/x", hdr: []string{"X-API-Key", "nope"},
			status: 401, reason: auth.ReasonBadKey},
		{name: "anonymous keeps foreign bearer", route: "anon", uri: "/x",
			hdr:    []string{"Authorization", bearer(tok)},
			reason: auth.ReasonAnonymous, kept: []string{"Authorization"}},
		{name: "key not accepted", route: "jwtonly", uri: "/x", hdr: []string{"X-API-Key", aliceKey},
			status: 401, reason: auth.ReasonNoCredentials, kept: []string{"X-API-Key"}},
		{name: "basic not accepted", route: "jwtonly", uri: "/x",
			hdr:    []string{"Authorization", basic(carolUser, carolPass)},
			status: 401, reason: auth.ReasonNoCredentials},
		{name: "jwt only", route: "jwtonly", uri: "/x", hdr: []string{"Authorization", bearer(tok)},
			reason: auth.ReasonJWT, consumer: "alice", plan: "pro", groups: "staff,beta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest(tt.uri, tt.hdr...)
			got := a.Check(a.Route(tt.route), &r.v)
			if got.Status != tt.status || got.Reason != tt.reason {
				t.Fatalf("Check = %d %q, want %d %q", got.Status, got.Reason, tt.status, tt.reason)
			}
			if got.Status == 0 && (got.Consumer != tt.consumer || got.Plan != tt.plan) {
				t.Errorf("Check consumer, plan = %q, %q, want %q, %q",
					got.Consumer, got.Plan, tt.consumer, tt.plan)
			}
			if got.Status == 401 && got.Challenge == "" {
				t.Errorf("Check = 401 without a challenge")
			}
			if tt.consumer != "" {
				assertHeader(t, r, "X-Consumer", tt.consumer)
			}
			if tt.groups != "" {
				assertHeader(t, r, "X-Consumer-Groups", tt.groups)
			}
			for _, h := range tt.gone {
				if v := r.req.Header.Peek(h); v != nil {
					t.Errorf("header %s = %q after Check, want removed", h, v)
				}
			}
			for _, h := range tt.kept {
				if r.req.Header.Peek(h) == nil {
					t.Errorf("header %s removed, want kept", h)
				}
			}
			if tt.query != "" {
				if q := r.req.URI().QueryArgs().String(); q != tt.query {
					t.Errorf("query after Check = %q, want %q", q, tt.query)
				}
			}
		})
	}
}

// assertHeader fails unless the request header name has value want.
func assertHeader(t *testing.T, r *request, name, want string) {
	t.Helper()
	if got := string(r.req.Header.Peek(name)); got != want {
		t.Errorf("header %s = %q, want %q", name, got, want)
	}
}

func TestChallenge(t *testing.T) {
	a := newAuth(t, baseConfig())
	tests := []struct {
		name, route string
		hdr         []string
		want        string
	}{
		{name: "missing, all methods", route: "any",
			want: `Bearer realm="portico", Basic realm="portico", charset="UTF-8", ` +
				`APIKey realm="portico", header="X-API-Key", query="api_key"`},
		{name: "bad token", route: "jwtonly", hdr: []string{"Authorization", "Bearer x.y.z"},
			want: `Bearer realm="portico", error="invalid_token"`},
		{name: "missing, jwt only", route: "jwtonly", want: `Bearer realm="portico"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest("/x", tt.hdr...)
			if got := a.Check(a.Route(tt.route), &r.v); got.Challenge != tt.want {
				t.Errorf("Challenge = %q, want %q", got.Challenge, tt.want)
			}
		})
	}
}

func TestKeyOnlyInHeader(t *testing.T) {
	f := baseConfig()
	f.Auth.KeyQuery = ""
	a := newAuth(t, f)
	r := newRequest("/x?api_key=" + aliceKey)
	got := a.Check(a.Route("any"), &r.v)
	if got.Status != 401 || got.Reason != auth.ReasonNoCredentials {
		t.Fatalf("Check(key in query, query not allowed) = %d %q, want 401 %q",
			got.Status, got.Reason, auth.ReasonNoCredentials)
	}
	if q := r.req.URI().QueryArgs().String(); q != "api_key="+aliceKey {
		t.Errorf("query = %q, want it untouched", q)
	}
}

func TestKeepCredentials(t *testing.T) {
	f := baseConfig()
	f.Auth.KeepCreds = true
	a := newAuth(t, f)
	r := newRequest("/x", "X-API-Key", aliceKey)
	if got := a.Check(a.Route("any"), &r.v); got.Status != 0 {
		t.Fatalf("Check = %d, want 0", got.Status)
	}
	assertHeader(t, r, "X-API-Key", aliceKey)
	assertHeader(t, r, "X-Consumer", "alice")
}

func TestIPLists(t *testing.T) {
	f := baseConfig()
	f.Auth.DenyCIDRs = []string{"198.51.100.7", "2001:db8:dead::/48"}
	a := newAuth(t, f)
	tests := []struct {
		name, route, ip string
		status          int
	}{
		{name: "route allow v4", route: "ipv4", ip: "10.1.2.3"},
		{name: "route allow mapped v4", route: "ipv4", ip: "::ffff:10.1.2.3"},
		{name: "route allow v6", route: "ipv4", ip: "2001:db8::1"},
		{name: "route deny inside allow", route: "ipv4", ip: "10.9.0.1", status: 403},
		{name: "route not in allow", route: "ipv4", ip: "192.0.2.1", status: 403},
		{name: "route invalid address", route: "ipv4", ip: "", status: 403},
		{name: "global deny single", route: "open", ip: "198.51.100.7", status: 403},
		{name: "global deny on nil route", route: "none", ip: "198.51.100.7", status: 403},
		{name: "global deny v6", route: "ipv4", ip: "2001:db8:dead::1", status: 403},
		{name: "global pass", route: "open", ip: "198.51.100.8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest("/x")
			r.v.ClientIP = netip.Addr{}
			if tt.ip != "" {
				r.v.ClientIP = netip.MustParseAddr(tt.ip)
			}
			got := a.Check(a.Route(tt.route), &r.v)
			if got.Status != tt.status {
				t.Fatalf("Check(%s) = %d %q, want %d", tt.ip, got.Status, got.Reason, tt.status)
			}
			if tt.status == 403 && got.Reason != auth.ReasonIPDenied {
				t.Errorf("Reason = %q, want %q", got.Reason, auth.ReasonIPDenied)
			}
		})
	}
}

func TestHashKey(t *testing.T) {
	// The SHA-256 of "abc" (FIPS 180-2, appendix B.1).
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := auth.HashKey("abc"); got != want {
		t.Errorf("HashKey(abc) = %s, want %s", got, want)
	}
	f := baseConfig()
	f.Consumers["dave"] = config.Consumer{KeyHash: []string{strings.ToUpper(auth.HashKey("dk"))}}
	a := newAuth(t, f)
	r := newRequest("/x", "X-API-Key", "dk")
	if got := a.Check(a.Route("any"), &r.v); got.Consumer != "dave" {
		t.Errorf("Check(upper-case digest) consumer = %q, want dave", got.Consumer)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(f *config.File)
		key    string
		substr string
	}{
		{name: "bad digest", key: "consumers.bob.key_sha256[0]", substr: "64 hex digits",
			edit: func(f *config.File) { f.Consumers["bob"] = config.Consumer{KeyHash: []string{"abc"}} }},
		{name: "duplicate digest", key: "consumers.bob.key_sha256[0]", substr: "alice",
			edit: func(f *config.File) {
				f.Consumers["bob"] = config.Consumer{KeyHash: []string{auth.HashKey(aliceKey)}}
			}},
		{name: "bad bcrypt", key: "consumers.carol.basic_bcrypt", substr: "bcrypt",
			edit: func(f *config.File) {
				f.Consumers["carol"] = config.Consumer{BasicUser: "carol", BasicHash: "plain"}
			}},
		{name: "bad cidr", key: "routes.ipv4.access.allow_cidrs[1]", substr: "CIDR",
			edit: func(f *config.File) {
				f.Routes["ipv4"] = config.Route{Access: &config.Access{AllowCIDRs: []string{"10.0.0.0/8", "10.0.0.0/33"}}}
			}},
		{name: "global cidr", key: "auth.deny_cidrs[0]", substr: "CIDR",
			edit: func(f *config.File) { f.Auth.DenyCIDRs = []string{"nope"} }},
		{name: "unknown method", key: "routes.any.access.methods[0]", substr: "unknown method",
			edit: func(f *config.File) {
				f.Routes["any"] = config.Route{Access: &config.Access{Methods: []string{"oauth"}}}
			}},
		{name: "jwt without table", key: "routes.jwtonly.access.methods[0]", substr: "[auth.jwt]",
			edit: func(f *config.File) { f.Auth.JWT = nil }},
		{name: "unknown consumer", key: "routes.bobonly.access.consumers[0]", substr: "unknown consumer",
			edit: func(f *config.File) { delete(f.Consumers, "bob") }},
		{name: "unknown group", key: "routes.staff.access.groups[0]", substr: "group",
			edit: func(f *config.File) {
				f.Routes["staff"] = config.Route{Access: &config.Access{Groups: []string{"nobody"}}}
			}},
		{name: "short secret", key: "auth.jwt.secret", substr: "32 bytes",
			edit: func(f *config.File) { f.Auth.JWT.Secret = "short" }},
		{name: "refused alg", key: "auth.jwt.algorithms[0]", substr: "none",
			edit: func(f *config.File) { f.Auth.JWT.Algorithms = []string{"none"} }},
		{name: "no jwt keys", key: "auth.jwt", substr: "needs",
			edit: func(f *config.File) { f.Auth.JWT.Secret = "" }},
		{name: "quoted route name", key: `routes."v1.x".access.deny_cidrs[0]`, substr: "CIDR",
			edit: func(f *config.File) {
				f.Routes["v1.x"] = config.Route{Access: &config.Access{DenyCIDRs: []string{"x"}}}
			}},
		{name: "cors wildcard with credentials", key: "routes.any.cors.origins[0]", substr: "credentials",
			edit: func(f *config.File) {
				f.Routes["any"] = config.Route{CORS: &config.CORS{Origins: []string{"*"}, Credentials: true}}
			}},
		{name: "consumer name with comma", key: "consumers.\"a,b\"", substr: "commas",
			edit: func(f *config.File) { f.Consumers["a,b"] = config.Consumer{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := baseConfig()
			tt.edit(f)
			_, err := auth.New(f, discard())
			if err == nil {
				t.Fatalf("New = nil error, want one at %s", tt.key)
			}
			if !hasConfigError(err, tt.key, tt.substr) {
				t.Errorf("New error = %v, want a *config.Error at %s containing %q", err, tt.key, tt.substr)
			}
		})
	}
}

// hasConfigError reports whether err joins a *config.Error at key whose
// message contains substr.
func hasConfigError(err error, key, substr string) bool {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		var ce *config.Error
		if errors.As(e, &ce) && ce.Key == key && strings.Contains(ce.Msg, substr) {
			return true
		}
	}
	return false
}

func TestParsedConfig(t *testing.T) {
	const src = `
[consumers.alice]
plan = "pro"
groups = ["staff"]
key_sha256 = ["sha256:` + "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" + `"]

[auth]
key_header = "X-Key"
consumer_header = "X-Caller"
groups_header = "X-Caller-Groups"
cache_ttl = "1m"
cache_entries = 1024
realm = "edge"
allow_cidrs = ["127.0.0.0/8"]

[upstreams.u]
targets = [{ address = "127.0.0.1:9" }]

[routes.api]
path = "/api/*rest"
upstream = "u"
[routes.api.access]
methods = ["key"]
groups = ["staff"]
[routes.api.cors]
origins = ["https://app.example.com"]
max_age = "10m"
`
	f, err := config.Parse("test.toml", []byte(src))
	if err != nil {
		t.Fatalf("config.Parse: %v", err)
	}
	a := newAuth(t, f)
	r := newRequest("/api/x", "X-Key", "abc")
	r.v.ClientIP = netip.MustParseAddr("127.0.0.1")
	got := a.Check(a.Route("api"), &r.v)
	if got.Status != 0 || got.Consumer != "alice" {
		t.Fatalf("Check = %+v, want alice", got)
	}
	assertHeader(t, r, "X-Caller", "alice")
	assertHeader(t, r, "X-Caller-Groups", "staff")
	if a.CORS(a.Route("api")) == nil {
		t.Errorf("CORS(api) = nil, want the route's policy")
	}
	r = newRequest("/api/x")
	r.v.ClientIP = netip.MustParseAddr("127.0.0.1")
	if got := a.Check(a.Route("api"), &r.v); got.Challenge != `APIKey realm="edge", header="X-Key"` {
		t.Errorf("Challenge = %q", got.Challenge)
	}
}

func TestForgedSpellings(t *testing.T) {
	a := newAuth(t, baseConfig())
	forged := []string{"X-Consumer", "X_Consumer", "x_consumer", "X-Consumer-Groups",
		"X_Consumer_Groups", "X-Consumer_Groups", "X_Consumer-Groups"}
	for _, route := range []string{"open", "any", "none"} {
		t.Run(route, func(t *testing.T) {
			r := newRequest("/x", "X-API-Key", bobKey)
			for _, h := range forged {
				r.req.Header.Set(h, "admin")
			}
			a.Check(a.Route(route), &r.v)
			for _, h := range forged {
				if v := r.req.Header.Peek(h); string(v) == "admin" {
					t.Errorf("forged %s = %q survived Check", h, v)
				}
			}
		})
	}
}

func TestKeyHash(t *testing.T) {
	a := newAuth(t, baseConfig())
	tok := sign(t, jwtHS256, []byte(secret), "", claims("alice"))
	check := func(hdr ...string) uint64 {
		r := newRequest("/x", hdr...)
		return a.Check(a.Route("any"), &r.v).KeyHash
	}
	alice1, alice2 := check("X-API-Key", aliceKey), check("X-API-Key", aliceKey)
	bob := check("X-API-Key", bobKey)
	tests := []struct {
		name string
		ok   bool
	}{
		{"key has a hash", alice1 != 0},
		{"same key, same hash", alice1 == alice2},
		{"other key, other hash", alice1 != bob},
		{"jwt has none", check("Authorization", bearer(tok)) == 0},
		{"bad key has none", check("X-API-Key", "nope") == 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Errorf("KeyHash: %s does not hold", tt.name)
			}
		})
	}
}
