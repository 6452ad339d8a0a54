// Package auth decides who is calling and whether they may call a route,
// before the request reaches an upstream.
//
// An Authenticator is compiled from the config (consumers, the [auth]
// table, and each route's access table) by New, and is immutable after
// that except for JSON Web Key Sets, which Start refreshes in the
// background. A reload builds a new Authenticator; its caches start
// empty.
//
// Check runs, in order: the global and the route's IP allow and deny
// lists on the client address; the removal of identity headers a client
// sent (so they cannot be forged); the credentials the route accepts (an
// API key, a JWT bearer token or HTTP Basic); the route's consumer and
// group allow lists; and finally the removal of credentials and the
// setting of identity headers for the upstream. It reports 401 with a
// WWW-Authenticate challenge when credentials are missing or wrong, and
// 403 when the caller is known (or the address is) but not allowed.
//
// API keys are looked up by their SHA-256 digest, so the config holds no
// keys and a wrong key costs the same however close it is to a right one.
// JWTs are verified with github.com/golang-jwt/jwt/v5; verified tokens
// and Basic credentials are cached until they expire, so a repeated
// credential costs a hash and a map lookup and allocates nothing.
//
// CORS is in package cors; CORS returns a route's policy. Rate limits
// and quotas are in package limits, which receives Result.Consumer.
// Resolving the client address through trusted proxies is the front
// end's job: Check reads view.Request.ClientIP as it is.
package auth
