package config

import "time"

// Limiter is the [limiter] table: where counters live.
type Limiter struct {
	Backend string `toml:"backend"` // "local" (default) or "redis"
	MaxKeys int    `toml:"max_keys"`
	Shards  int    `toml:"shards"`
	Redis   *Redis `toml:"redis"`
}

// Redis is [limiter.redis].
type Redis struct {
	Address      string        `toml:"address"`
	Mode         string        `toml:"mode"` // "strict" or "synced"
	Timeout      time.Duration `toml:"timeout"`
	SyncInterval time.Duration `toml:"sync_interval"`
	KeyPrefix    string        `toml:"key_prefix"`
}

// Plan is one [plans.NAME] table.
type Plan struct {
	Limits []LimitRule `toml:"limits"`
	Quota  *Quota      `toml:"quota"`
}

// LimitRule is one limit: `rate = "100 per 1s"`, keyed by `key`.
type LimitRule struct {
	Name    string   `toml:"name"`
	Rate    string   `toml:"rate"`
	Key     []string `toml:"key"`
	Headers string   `toml:"headers"`
	Hidden  bool     `toml:"hidden"`
}

// Quota is a usage quota on calendar periods (UTC).
type Quota struct {
	Requests int64  `toml:"requests"`
	Period   string `toml:"period"` // "day" or "month"
}
