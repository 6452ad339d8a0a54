package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"golang.org/x/crypto/bcrypt"

	"github.com/portico-gw/portico/config"
	"github.com/portico-gw/portico/cors"
)

// DefaultKeyHeader is the API key header when auth.key_header is empty.
// Other steps that read the key (limits keyed by API key) use it too.
const DefaultKeyHeader = "X-API-Key"

// Defaults of the [auth] table (see config.Auth).
const (
	defaultKeyHeader    = DefaultKeyHeader
	defaultIDHeader     = "X-Consumer"
	defaultGroupsHeader = "X-Consumer-Groups"
	defaultRealm        = "portico"
	defaultCacheTTL     = 5 * time.Minute
	defaultCacheEntries = 1 << 16
	defaultJWKSRefresh  = 5 * time.Minute
)

// maxNameBytes bounds consumer and group names, which travel in headers.
const maxNameBytes = 128

// consumer is one compiled [consumers.NAME] table, or a caller named by a
// JWT when unknown consumers are allowed. It is immutable.
type consumer struct {
	name   string
	plan   string
	groups []string
	// nameHdr and groupsHdr are the identity header values, ready to set.
	nameHdr   []byte
	groupsHdr []byte
	basicHash []byte
}

// newConsumer builds a consumer from its table.
func newConsumer(name string, c config.Consumer) *consumer {
	return &consumer{
		name:      name,
		plan:      c.Plan,
		groups:    c.Groups,
		nameHdr:   []byte(name),
		groupsHdr: []byte(strings.Join(c.Groups, ",")),
		basicHash: []byte(c.BasicHash),
	}
}

// method is one way to authenticate; methodSet is a set of them.
type (
	method    uint8
	methodSet uint8
)

// The methods of access.methods.
const (
	methodKey method = 1 << iota
	methodJWT
	methodBasic
)

// has reports whether m is in the set.
func (s methodSet) has(m method) bool { return s&methodSet(m) != 0 }

// methodNames maps config spellings to methods.
var methodNames = map[string]method{"key": methodKey, "jwt": methodJWT, "basic": methodBasic}

// RoutePolicy is the compiled access and CORS policy of one route. It is
// immutable and belongs to the Authenticator that returned it.
type RoutePolicy struct {
	name string
	// access is false when the route has only a cors table: Check then
	// applies the IP lists and the identity header rules only.
	access    bool
	methods   methodSet
	anonymous bool
	consumers map[string]struct{}
	groups    map[string]struct{}
	ip        ipRules
	// challenge answers missing credentials; challengeBad answers wrong
	// ones (it adds error="invalid_token" for Bearer, RFC 6750 §3.1).
	challenge    string
	challengeBad string
	cors         *cors.Policy
}

// allows reports whether the consumer passes the route's allow lists.
func (rp *RoutePolicy) allows(c *consumer) bool {
	if len(rp.consumers) == 0 && len(rp.groups) == 0 {
		return true
	}
	if _, ok := rp.consumers[c.name]; ok {
		return true
	}
	for _, g := range c.groups {
		if _, ok := rp.groups[g]; ok {
			return true
		}
	}
	return false
}

// New compiles the consumers, the [auth] table and the access and cors
// tables of every route. Every problem found is returned, joined, as
// *config.Error values naming the key (for example
// "consumers.alice.key_sha256[0]"). logger receives JWKS refresh
// transitions. The Authenticator does no background work until Start.
//
// A jwks_url is fetched once inside New, which can take up to 10s when the
// issuer does not answer; the set then arrives with a later refresh.
//
// TODO: the verification caches are not carried over from the previous
// Authenticator on a reload; every JWT and Basic caller pays one more
// full check after each reload, which shows as a latency blip.
func New(f *config.File, logger *slog.Logger) (*Authenticator, error) {
	var errs []error
	a := newAuthenticator(&f.Auth, logger, &errs)
	a.compileConsumers(f.Consumers, &errs)
	if f.Auth.JWT != nil {
		a.jwt = newJWTVerifier(a, f.Auth.JWT, &errs)
		a.available |= methodSet(methodJWT)
		a.refresh = f.Auth.JWT.JWKSRefresh
		if a.refresh == 0 {
			a.refresh = defaultJWKSRefresh
		}
		if a.refresh < time.Second || a.refresh > 24*time.Hour {
			errs = append(errs, config.Errorf("auth.jwt.jwks_refresh",
				"must be between 1s and 24h"))
		}
	}
	for _, name := range sortedKeys(f.Routes) {
		r := f.Routes[name]
		if rp := a.compileRoute(name, &r, &errs); rp != nil {
			a.routes[name] = rp
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return a, nil
}

// newAuthenticator applies the [auth] table's defaults and checks it.
func newAuthenticator(ac *config.Auth, logger *slog.Logger, errs *[]error) *Authenticator {
	a := &Authenticator{
		logger:       logger,
		byName:       map[string]*consumer{},
		keys:         map[[32]byte]*consumer{},
		keyHeader:    orDefault(ac.KeyHeader, defaultKeyHeader),
		keyQuery:     ac.KeyQuery,
		idHeader:     orDefault(ac.IdentityHdr, defaultIDHeader),
		grpHeader:    orDefault(ac.GroupsHdr, defaultGroupsHeader),
		keepCreds:    ac.KeepCreds,
		realm:        orDefault(ac.Realm, defaultRealm),
		ttl:          ac.CacheTTL,
		cacheEntries: ac.CacheEntries,
		routes:       map[string]*RoutePolicy{},
	}
	if a.keyHeader == "-" {
		a.keyHeader = ""
	}
	if a.ttl == 0 {
		a.ttl = defaultCacheTTL
	}
	if a.cacheEntries == 0 {
		a.cacheEntries = defaultCacheEntries
	}
	if a.keyHeader != "" || a.keyQuery != "" {
		a.available |= methodSet(methodKey)
	}

	check := func(ok bool, key, msg string) {
		if !ok {
			*errs = append(*errs, config.Errorf("auth."+key, "%s", msg))
		}
	}
	check(a.keyHeader == "" || isToken(a.keyHeader), "key_header", "not a header name")
	check(validName(a.keyQuery) || a.keyQuery == "", "key_query", "not a query parameter name")
	check(isToken(a.idHeader), "consumer_header", "not a header name")
	check(isToken(a.grpHeader), "groups_header", "not a header name")
	check(!strings.ContainsAny(a.realm, "\"\\") && validText(a.realm), "realm",
		"may not contain quotes, backslashes or control bytes")
	check(a.ttl >= time.Second && a.ttl <= 24*time.Hour, "cache_ttl", "must be between 1s and 24h")
	check(a.cacheEntries >= 64 && a.cacheEntries <= 1<<24, "cache_entries",
		"must be between 64 and 16777216")
	a.forged = append(forgedNames(a.idHeader), forgedNames(a.grpHeader)...)
	a.global = compileIPRules("auth", ac.AllowCIDRs, ac.DenyCIDRs, errs)
	a.basic = &basicVerifier{users: map[string]*consumer{}, ttl: a.ttl, cost: bcrypt.MinCost,
		cache: newCache(a.cacheEntries)}
	return a
}

// compileConsumers builds the consumer tables and the key and Basic user
// indexes, rejecting duplicates.
func (a *Authenticator) compileConsumers(consumers map[string]config.Consumer, errs *[]error) {
	for _, name := range sortedKeys(consumers) {
		cc := consumers[name]
		key := tableKey("consumers", name)
		if !validName(name) {
			*errs = append(*errs, config.Errorf(key, "name must be 1 to %d visible ASCII "+
				"characters without commas or quotes", maxNameBytes))
		}
		for i, g := range cc.Groups {
			if !validName(g) {
				*errs = append(*errs, config.Errorf(index(key+".groups", i),
					"group must be 1 to %d visible ASCII characters without commas or quotes",
					maxNameBytes))
			}
		}
		c := newConsumer(name, cc)
		a.byName[name] = c
		a.compileKeys(key, c, cc.KeyHash, errs)
		a.compileBasic(key, c, &cc, errs)
	}
}

// compileKeys indexes a consumer's key digests.
func (a *Authenticator) compileKeys(key string, c *consumer, hashes []string, errs *[]error) {
	for i, s := range hashes {
		d, ok := parseKeyHash(s)
		switch {
		case !ok:
			*errs = append(*errs, config.Errorf(index(key+".key_sha256", i),
				"want 64 hex digits of a SHA-256 digest (portico hash-key prints one)"))
		case a.keys[d] != nil:
			*errs = append(*errs, config.Errorf(index(key+".key_sha256", i),
				"key already belongs to consumer %q", a.keys[d].name))
		default:
			a.keys[d] = c
		}
	}
}

// compileBasic indexes a consumer's Basic user.
func (a *Authenticator) compileBasic(key string, c *consumer, cc *config.Consumer, errs *[]error) {
	if cc.BasicUser == "" && cc.BasicHash == "" {
		return
	}
	switch {
	case cc.BasicUser == "" || strings.ContainsRune(cc.BasicUser, ':') || !validText(cc.BasicUser):
		*errs = append(*errs, config.Errorf(key+".basic_user",
			"must be set, without colons or control bytes, when basic_bcrypt is"))
	case a.basic.users[cc.BasicUser] != nil:
		*errs = append(*errs, config.Errorf(key+".basic_user",
			"user already belongs to consumer %q", a.basic.users[cc.BasicUser].name))
	case !isBcrypt(cc.BasicHash):
		*errs = append(*errs, config.Errorf(key+".basic_bcrypt",
			"want a bcrypt hash starting $2a$, $2b$ or $2y$"))
	default:
		a.basic.users[cc.BasicUser] = c
		a.available |= methodSet(methodBasic)
		if cost, err := bcrypt.Cost([]byte(cc.BasicHash)); err == nil && cost > a.basic.cost {
			a.basic.cost = cost
		}
	}
}

// compileRoute builds a route's policy, or returns nil when the route has
// neither an access nor a cors table.
func (a *Authenticator) compileRoute(name string, r *config.Route, errs *[]error) *RoutePolicy {
	if r.Access == nil && r.CORS == nil {
		return nil
	}
	key := tableKey("routes", name)
	rp := &RoutePolicy{name: name}
	if r.CORS != nil {
		p, cerrs := cors.New(key+".cors", r.CORS)
		*errs = append(*errs, cerrs...)
		rp.cors = p
	}
	if ac := r.Access; ac != nil {
		rp.access = true
		rp.anonymous = ac.Anonymous
		rp.ip = compileIPRules(key+".access", ac.AllowCIDRs, ac.DenyCIDRs, errs)
		a.compileMethods(key+".access.methods", rp, ac.Methods, errs)
		a.compileAllowLists(key+".access", rp, ac, errs)
		rp.challenge, rp.challengeBad = a.challenges(rp.methods)
	}
	return rp
}

// compileMethods sets the route's accepted methods: the listed ones, or
// every available one.
func (a *Authenticator) compileMethods(key string, rp *RoutePolicy, names []string, errs *[]error) {
	if len(names) == 0 {
		rp.methods = a.available
		return
	}
	for i, n := range names {
		m, ok := methodNames[n]
		switch {
		case !ok:
			*errs = append(*errs, config.Errorf(index(key, i),
				"unknown method %q; want key, jwt or basic", n))
		case !a.available.has(m):
			*errs = append(*errs, config.Errorf(index(key, i), "%s", unavailable[m]))
		default:
			rp.methods |= methodSet(m)
		}
	}
}

// unavailable explains why a method cannot be used.
var unavailable = map[method]string{
	methodKey:   "key needs auth.key_header or auth.key_query",
	methodJWT:   "jwt needs an [auth.jwt] table",
	methodBasic: "basic needs a consumer with basic_user and basic_bcrypt",
}

// compileAllowLists checks that listed consumers and groups exist.
func (a *Authenticator) compileAllowLists(key string, rp *RoutePolicy, ac *config.Access,
	errs *[]error) {
	rp.consumers = map[string]struct{}{}
	for i, n := range ac.Consumers {
		if a.byName[n] == nil && (a.jwt == nil || !a.jwt.allowUnknown) {
			*errs = append(*errs, config.Errorf(index(key+".consumers", i),
				"unknown consumer %q", n))
		}
		rp.consumers[n] = struct{}{}
	}
	rp.groups = map[string]struct{}{}
	for i, g := range ac.Groups {
		if !a.groupExists(g) {
			*errs = append(*errs, config.Errorf(index(key+".groups", i),
				"no consumer is in group %q", g))
		}
		rp.groups[g] = struct{}{}
	}
}

// groupExists reports whether some consumer is in group g.
func (a *Authenticator) groupExists(g string) bool {
	for _, c := range a.byName {
		if slices.Contains(c.groups, g) {
			return true
		}
	}
	return false
}

// challenges builds the WWW-Authenticate values for missing and for
// wrong credentials (RFC 9110 §11.6.1): one challenge per accepted
// method, comma-separated. API keys have no registered scheme; "APIKey"
// with the header or parameter name tells a client where to put one.
func (a *Authenticator) challenges(ms methodSet) (missing, bad string) {
	var m, b []string
	realm := `realm="` + a.realm + `"`
	if ms.has(methodJWT) {
		m = append(m, "Bearer "+realm)
		b = append(b, "Bearer "+realm+`, error="invalid_token"`)
	}
	if ms.has(methodBasic) {
		c := "Basic " + realm + `, charset="UTF-8"`
		m, b = append(m, c), append(b, c)
	}
	if ms.has(methodKey) {
		c := "APIKey " + realm
		if a.keyHeader != "" {
			c += `, header="` + a.keyHeader + `"`
		}
		if a.keyQuery != "" {
			c += `, query="` + a.keyQuery + `"`
		}
		m, b = append(m, c), append(b, c)
	}
	return strings.Join(m, ", "), strings.Join(b, ", ")
}

// forgedNames returns name and every spelling of it with some '-'
// replaced by '_' (up to 3 of them, 8 spellings). Some upstream stacks
// (CGI, WSGI) fold '_' and '-' into the same variable, so a client
// sending "X_Consumer" would otherwise reach them as X-Consumer.
func forgedNames(name string) []string {
	var dashes []int
	for i := 0; i < len(name) && len(dashes) < 3; i++ {
		if name[i] == '-' {
			dashes = append(dashes, i)
		}
	}
	names := make([]string, 0, 1<<len(dashes))
	for mask := range 1 << len(dashes) {
		b := []byte(name)
		for j, i := range dashes {
			if mask&(1<<j) != 0 {
				b[i] = '_'
			}
		}
		names = append(names, string(b))
	}
	return names
}

// validName reports whether s can be a consumer or group name: 1 to
// maxNameBytes visible ASCII bytes, no comma (the groups separator), no
// quotes or backslash. Such a name is safe in a header value.
func validName(s string) bool {
	if len(s) == 0 || len(s) > maxNameBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == ',' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// validText reports whether s has no control bytes.
func validText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}

// isToken reports whether s is a non-empty RFC 9110 §5.6.2 token, the
// syntax of a header name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// isBcrypt reports whether s looks like a bcrypt hash.
func isBcrypt(s string) bool {
	if _, err := bcrypt.Cost([]byte(s)); err != nil || len(s) != 60 {
		return false
	}
	return strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") ||
		strings.HasPrefix(s, "$2y$")
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// index renders a config path to a list element: key[i].
func index(key string, i int) string { return fmt.Sprintf("%s[%d]", key, i) }

// tableKey renders the config path of a named table, quoting the name the
// way TOML does when it is not a bare key: routes."v1.users".
func tableKey(table, name string) string { return table + "." + toml.Key{name}.String() }

// contains reports whether list holds s.
func contains(list []string, s string) bool { return slices.Contains(list, s) }

// sortedKeys returns a map's keys in order, so errors come out stable.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
