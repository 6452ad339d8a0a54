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
// Fleet accuracy. Strict mode is exact across gateways: two Engines on
// one Redis admit exactly the limit together (TestRedisStrictTwoEngines).
// Synced mode lets each gateway admit, before it learns the others'
// counts, what it receives in about one sync interval: the fleet may
// exceed a limit by roughly gateways × per-gateway rate × interval. With
// two gateways at 500 requests/s each and a 10ms interval the measured
// excess is 2.5-3 % of a limit of 200 (TestRedisSyncedTwoEngines, which
// allows 25 %). Both modes add the sliding-window error of package
// limiter.
//
// The package leaves authentication (who the consumer is), the client
// address (view.Request.ClientIP, after trusted proxies) and writing the
// response to its callers.
package limits
