package config

import "time"

// Consumer is one [consumers.NAME] table: a known caller. The table name
// is the consumer's name; it is what the upstream receives in the
// identity header and what limits and metering count against. Package
// auth compiles and checks these fields.
type Consumer struct {
	// Plan names the [plans.NAME] table that limits this consumer. Empty
	// means no plan of its own; a route's plan may still apply.
	Plan string `toml:"plan"`
	// Groups are free-form labels that a route's access.groups can allow
	// as a whole. Sent upstream comma-separated in auth.groups_header, so
	// a group name may not contain a comma, space or control byte.
	Groups []string `toml:"groups"`
	// KeyHash lists the SHA-256 digests of this consumer's API keys, as
	// 64 lower- or upper-case hex digits, optionally prefixed "sha256:".
	// `portico hash-key KEY` prints one. The keys themselves are never
	// stored. A digest may belong to one consumer only. Empty: no API key.
	KeyHash []string `toml:"key_sha256"`
	// BasicUser is the user name for HTTP Basic authentication (RFC 7617).
	// Empty: the consumer cannot use Basic. Unique across consumers, and
	// it may not contain a colon.
	BasicUser string `toml:"basic_user"`
	// BasicHash is the bcrypt hash ("$2a$…", "$2b$…" or "$2y$…") of the
	// Basic password. Required when basic_user is set.
	BasicHash string `toml:"basic_bcrypt"`
}

// Auth is the [auth] table: how credentials are found and checked, and
// the global IP lists. It applies to every route; a route opts in to
// authentication with its [routes.NAME.access] table.
type Auth struct {
	// KeyHeader is the request header that carries an API key. Default
	// "X-API-Key". Set it to "-" to accept keys only from key_query.
	KeyHeader string `toml:"key_header"`
	// KeyQuery is the query parameter that carries an API key. Default
	// empty: keys in the query string are ignored, because query strings
	// end up in logs and browser histories.
	KeyQuery string `toml:"key_query"`
	// JWT configures bearer tokens. Absent: routes cannot accept "jwt".
	JWT *JWT `toml:"jwt"`
	// IdentityHdr is the header in which the upstream receives the
	// consumer's name. Default "X-Consumer". A client's own copy of this
	// header is always removed, on every route.
	IdentityHdr string `toml:"consumer_header"`
	// GroupsHdr is the header in which the upstream receives the
	// consumer's groups, comma-separated. Default "X-Consumer-Groups".
	// Like consumer_header, a client's own copy is always removed.
	GroupsHdr string `toml:"groups_header"`
	// KeepCreds keeps the credentials (API key header and query
	// parameter, Authorization) on a request forwarded upstream. Default
	// false: credentials a route accepts are removed before forwarding.
	KeepCreds bool `toml:"keep_credentials"`
	// AllowCIDRs, when not empty, admits only clients whose address is
	// in one of these networks ("10.0.0.0/8", "2001:db8::/32", or a plain
	// address). Checked on every route, before any route list. 403
	// otherwise.
	AllowCIDRs []string `toml:"allow_cidrs"`
	// DenyCIDRs rejects clients in these networks with 403 on every
	// route. Deny wins over allow.
	DenyCIDRs []string `toml:"deny_cidrs"`
	// CacheTTL bounds how long a verified JWT or Basic credential is
	// trusted without checking it again. Default 5m; range 1s to 24h. A
	// JWT is never trusted past its exp (plus leeway), and a consumer
	// removed from the config stops working at the next reload.
	CacheTTL time.Duration `toml:"cache_ttl"`
	// CacheEntries bounds the number of cached JWT and Basic
	// verifications (each cache). Default 65536; range 64 to 16777216.
	// When full, an arbitrary entry is dropped and that caller pays one
	// more signature or bcrypt check.
	CacheEntries int `toml:"cache_entries"`
	// Realm is the realm in WWW-Authenticate challenges. Default
	// "portico". It may not contain a double quote or backslash.
	Realm string `toml:"realm"`
}

// JWT is [auth.jwt]: bearer tokens in "Authorization: Bearer …" (RFC 6750).
// Keys come from any mix of secret, public_key_file, jwks_file and
// jwks_url; at least one is required.
type JWT struct {
	// Algorithms lists the accepted "alg" values: HS256, HS384, HS512,
	// RS256, RS384, RS512, ES256, ES384, ES512, EdDSA. Default: every
	// algorithm that the configured keys can verify. "none" is never
	// accepted.
	Algorithms []string `toml:"algorithms"`
	// Secret is the HMAC key for HS256/384/512, at least 32 bytes (RFC
	// 7518 §3.2). Empty: no HMAC.
	Secret string `toml:"secret"`
	// PublicKeyFile is a PEM file with one RSA, ECDSA or Ed25519 public
	// key (PKIX "PUBLIC KEY", PKCS#1 "RSA PUBLIC KEY" or a certificate).
	// Read once at load.
	PublicKeyFile string `toml:"public_key_file"`
	// JWKSFile is a JSON Web Key Set file (RFC 7517), read at load and
	// again every jwks_refresh. RSA (2048 bits or more), EC (P-256,
	// P-384, P-521) and Ed25519 keys with "use" absent or "sig" are
	// used; other keys, symmetric "oct" ones included, are skipped. A
	// key's "kid" and "alg", when present, must match the token's.
	JWKSFile string `toml:"jwks_file"`
	// JWKSURL is a JSON Web Key Set fetched over HTTP(S) at load and
	// every jwks_refresh in the background; same keys as jwks_file. If a
	// fetch fails the last good set is kept; if the first fetch fails,
	// tokens signed with its keys are rejected until a fetch succeeds. A
	// changed set empties the verified-token cache.
	JWKSURL string `toml:"jwks_url"`
	// JWKSRefresh is the interval between JWKS reloads. Default 5m;
	// range 1s to 24h.
	JWKSRefresh time.Duration `toml:"jwks_refresh"`
	// Issuer, when set, must equal the token's "iss".
	Issuer string `toml:"issuer"`
	// Audience, when not empty, must contain one of the token's "aud"
	// values.
	Audience []string `toml:"audience"`
	// Leeway is the clock skew allowed when checking "exp" and "nbf".
	// Default 0; range 0 to 5m.
	Leeway time.Duration `toml:"leeway"`
	// ConsumerClaim is the string claim that names the consumer. Default
	// "sub". The value must name a [consumers.NAME] table unless
	// allow_unknown_consumers is set.
	ConsumerClaim string `toml:"consumer_claim"`
	// AllowUnknown accepts tokens whose consumer claim names no
	// configured consumer; such callers have no plan and no groups.
	// Default false: they get 401.
	AllowUnknown bool `toml:"allow_unknown_consumers"`
	// AllowNoExpiry accepts tokens without an exp claim. Default false:
	// such a token would be valid forever, so it is refused.
	AllowNoExpiry bool `toml:"allow_no_expiry"`
}

// Access is [routes.NAME.access]: who may call a route. A route without
// this table is open to every caller not stopped by the global IP lists.
type Access struct {
	// Methods lists the accepted ways to authenticate, any of "key",
	// "jwt" and "basic". Default: every method the [auth] table and the
	// consumers make possible.
	Methods []string `toml:"methods"`
	// Consumers allows callers by name. With Groups it forms one allow
	// list (any match admits). Both empty: every authenticated consumer.
	// A known caller who matches neither gets 403.
	Consumers []string `toml:"consumers"`
	// Groups allows callers by group; see Consumers. Each group must be
	// listed by some consumer.
	Groups []string `toml:"groups"`
	// Anonymous lets requests without credentials through as the
	// anonymous caller. Credentials that are present but wrong still get
	// 401. Default false.
	Anonymous bool `toml:"anonymous"`
	// AllowCIDRs, when not empty, admits only clients in these networks
	// to this route, checked after the global lists in [auth]; same
	// syntax. 403 otherwise, even for anonymous access.
	AllowCIDRs []string `toml:"allow_cidrs"`
	// DenyCIDRs rejects clients in these networks from this route with
	// 403. Deny wins over allow.
	DenyCIDRs []string `toml:"deny_cidrs"`
}

// CORS is [routes.NAME.cors]: cross-origin requests (Fetch standard). The
// gateway answers preflight requests on such a route itself.
type CORS struct {
	// Origins lists allowed origins exactly as browsers send them
	// ("https://app.example.com"), "https://*.example.com" for any
	// subdomain, or "*" for any origin (not with credentials). Matched
	// case-insensitively. Required.
	Origins []string `toml:"origins"`
	// Methods lists the methods a preflight may ask for. Default GET,
	// HEAD, POST.
	Methods []string `toml:"methods"`
	// Headers lists the request headers a preflight may ask for. Default
	// none beyond the CORS-safelisted ones. "*" allows any (not with
	// credentials).
	Headers []string `toml:"headers"`
	// ExposeHeaders lists response headers scripts may read.
	ExposeHeaders []string `toml:"expose_headers"`
	// Credentials allows cookies and Authorization on cross-origin
	// requests. Requires explicit origins.
	Credentials bool `toml:"credentials"`
	// MaxAge is how long a browser may cache a preflight answer, whole
	// seconds. Default 0: no Access-Control-Max-Age header (browsers
	// then use 5s). Range 0 to 24h.
	MaxAge time.Duration `toml:"max_age"`
}
