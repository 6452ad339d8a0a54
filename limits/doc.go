// Package limits is the gateway's policy engine for rate limits, usage
// quotas and usage metering.
//
// New compiles the [plans], [consumers], route plan/limits and [limiter]
// tables of a config into an Engine. For each request the proxy asks
// Engine.Route for the route's policy once and Engine.CheckAt for a
// Decision, writes Decision.WriteHeaders into the response and, when
// Decision.Allowed is false, answers 429 with Decision.AppendBody.
//
// Which limits apply: a route's plan overrides the caller's plan; a
// consumer's plan comes from [consumers]; callers without credentials use
// the plan "anonymous" and named callers that the config does not list
// the plan "default", when those plans exist. The route's own limits are
// added to the plan's. A request is counted against every limit in
// order, then against the plan's quota; a request refused anywhere is
// counted nowhere.
//
// Counters live in package limiter, in process, or with backend "redis"
// shared by every gateway on one Redis (see redis.go for the two modes
// and the fallback when Redis is down). Usage meters (admitted, limited,
// quota-exhausted per consumer and route) survive reloads and are read
// with Engine.UsageJSON.
//
// The package leaves authentication (who the consumer is), the client
// address (view.Request.ClientIP, after trusted proxies) and writing the
// response to its callers.
package limits
