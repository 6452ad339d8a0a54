// Package config reads the gateway's TOML file into a File, applies the
// documented defaults and validates what the gateway core owns: the
// listener, the access log, the admin listener, upstreams and routes.
//
// Every problem is an *Error that names the file, the line and the key
// path, e.g.
//
//	configs/edge.toml:12: routes.api.upstream: unknown upstream "userz"
//
// Load and Parse report all problems they find at once, sorted by line.
// The TOML library does not expose key positions, so the package keeps a
// small index from key path to line, built by scanning the source, on
// every File it returns.
//
// The tables for limits, plans, consumers, authentication, access rules
// and CORS are only decoded here (unknown keys are still rejected). The
// packages that compile them into runtime objects report their problems
// with Errorf and pass the result through File.Locate, which fills in the
// file and line from the index.
//
// A File is not modified after Load returns and may be read from several
// goroutines at once.
package config
