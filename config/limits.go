package config

import "time"

// Limiter is the [limiter] table: where the rate-limit counters live.
// Package limits compiles and validates it.
type Limiter struct {
	// Backend is "local" (default when empty): counters in this process
	// only; or "redis": counters shared by every gateway on one Redis,
	// configured in [limiter.redis].
	Backend string `toml:"backend"`
	// MaxKeys is the most counters kept in this process at once, over all
	// limits and callers. Default 100000; range 1..268435456. Memory is
	// 128 to 256 bytes per key, allocated at start. When the table is
	// full, callers without a counter share one counter per limit.
	MaxKeys int `toml:"max_keys"`
	// Shards is the number of counter shards, a power of two, 1..4096.
	// Default 64.
	Shards int `toml:"shards"`
	// Redis configures the "redis" backend; required with it.
	Redis *Redis `toml:"redis"`
}

// Redis is [limiter.redis]: fleet-wide counters.
type Redis struct {
	// Address is the Redis server as host:port. Required.
	Address string `toml:"address"`
	// Mode is "synced" (default): decisions count locally and a
	// background loop pushes deltas and pulls fleet totals every
	// SyncInterval, so no request waits on Redis; the fleet can exceed a
	// limit by what the other gateways admit in one interval. Or
	// "strict": every decision runs one atomic script on Redis; exact
	// across the fleet, but each request waits up to Timeout for Redis.
	Mode string `toml:"mode"`
	// Timeout bounds every Redis call (dial, read, write). Default 50ms;
	// range 1ms..5s. When Redis is down or slower, decisions fall back to
	// local counting until a probe succeeds.
	Timeout time.Duration `toml:"timeout"`
	// SyncInterval is how often synced mode exchanges counts, and how
	// often a down Redis is probed. Default 100ms; range 10ms..10s.
	SyncInterval time.Duration `toml:"sync_interval"`
	// KeyPrefix starts every Redis key the gateway writes. Default
	// "portico:rl:".
	KeyPrefix string `toml:"key_prefix"`
}

// Plan is one [plans.NAME] table: the limits and quota of a class of
// callers. A consumer names its plan; callers without credentials use the
// plan "anonymous" and known callers without a plan the plan "default",
// when those are defined.
type Plan struct {
	// Limits are the rate limits of the plan; each is counted separately
	// and a request must fit in all of them. At most 7 per request,
	// counting the route's own limits.
	Limits []LimitRule `toml:"limits"`
	// Quota is an optional usage quota on calendar periods.
	Quota *Quota `toml:"quota"`
}

// LimitRule is one limit, for example
// `{ name = "free-min", rate = "100 per 1m", key = ["consumer"] }`.
type LimitRule struct {
	// Name names the limit in RateLimit headers and 429 bodies, 1 to 32
	// characters of [A-Za-z0-9_.-]. Default: PLAN-N or ROUTE-N (N the
	// limit's index).
	Name string `toml:"name"`
	// Rate is "N per DURATION", e.g. "100 per 1s", "5000 per 1h", or
	// "N per second|minute|hour|day". N is 1..268435454 and the window 1s
	// to 31 days. Required.
	Rate string `toml:"rate"`
	// Key says what is counted separately: "ip" (client address after
	// trusted proxies), "consumer" (an anonymous caller counts by ip),
	// "api_key" (a hash of the key from auth.key_header or key_query; by
	// ip when absent), "header:NAME" (the header's value; callers without
	// it share one counter), "route"; several combine. Default
	// ["consumer"].
	Key []string `toml:"key"`
	// Headers selects the response headers showing this limit: "ietf"
	// (default): RateLimit-Policy and RateLimit; "legacy":
	// X-RateLimit-Limit/Remaining/Reset; "both"; "none".
	Headers string `toml:"headers"`
	// Hidden keeps a protective limit out of every header and 429 body;
	// the 429 and Retry-After still happen. Default false.
	Hidden bool `toml:"hidden"`
}

// Quota is a usage quota on calendar periods (UTC), counted per consumer
// (anonymous callers by ip). A refused request does not use quota.
type Quota struct {
	// Requests is the number of requests per period, 1..268435454.
	Requests int64 `toml:"requests"`
	// Period is "day" or "month" (default "day"), in UTC.
	Period string `toml:"period"`
	// Name names the quota in headers and bodies. Default PLAN-quota.
	Name string `toml:"name"`
	// Hidden keeps the quota out of the RateLimit headers.
	Hidden bool `toml:"hidden"`
}
