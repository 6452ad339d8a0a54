package config

import "time"

// Consumer is one [consumers.NAME] table: a known caller.
type Consumer struct {
	Plan    string   `toml:"plan"`
	Groups  []string `toml:"groups"`
	KeyHash []string `toml:"key_sha256"`
	// BasicUser and BasicHash are HTTP Basic credentials (bcrypt hash).
	BasicUser string `toml:"basic_user"`
	BasicHash string `toml:"basic_bcrypt"`
}

// Auth is the [auth] table: how credentials are found and checked.
type Auth struct {
	KeyHeader   string        `toml:"key_header"`
	KeyQuery    string        `toml:"key_query"`
	JWT         *JWT          `toml:"jwt"`
	IdentityHdr string        `toml:"consumer_header"`
	GroupsHdr   string        `toml:"groups_header"`
	KeepCreds   bool          `toml:"keep_credentials"`
	AllowCIDRs  []string      `toml:"allow_cidrs"`
	DenyCIDRs   []string      `toml:"deny_cidrs"`
	CacheTTL    time.Duration `toml:"cache_ttl"`
}

// JWT is [auth.jwt].
type JWT struct {
	Algorithms    []string      `toml:"algorithms"`
	Secret        string        `toml:"secret"`
	PublicKeyFile string        `toml:"public_key_file"`
	JWKSFile      string        `toml:"jwks_file"`
	JWKSURL       string        `toml:"jwks_url"`
	JWKSRefresh   time.Duration `toml:"jwks_refresh"`
	Issuer        string        `toml:"issuer"`
	Audience      []string      `toml:"audience"`
	Leeway        time.Duration `toml:"leeway"`
	ConsumerClaim string        `toml:"consumer_claim"`
}

// Access is [routes.NAME.access]: who may call a route.
type Access struct {
	Methods    []string `toml:"methods"`
	Consumers  []string `toml:"consumers"`
	Groups     []string `toml:"groups"`
	Anonymous  bool     `toml:"anonymous"`
	AllowCIDRs []string `toml:"allow_cidrs"`
	DenyCIDRs  []string `toml:"deny_cidrs"`
}

// CORS is [routes.NAME.cors].
type CORS struct {
	Origins       []string      `toml:"origins"`
	Methods       []string      `toml:"methods"`
	Headers       []string      `toml:"headers"`
	ExposeHeaders []string      `toml:"expose_headers"`
	Credentials   bool          `toml:"credentials"`
	MaxAge        time.Duration `toml:"max_age"`
}
