package harness

import (
	"strconv"

	"github.com/portico-gw/portico/bench/backend"
)

// Scenario is one load shape, run against every target.
type Scenario struct {
	// Name is a short identifier, used in -scenarios and in headings.
	Name string
	// Method and Path are the request sent; Path is answered by the
	// backend as package backend documents.
	Method, Path string
	// Headers are sent with every request, as name and value pairs.
	Headers [][2]string
	// BodyBytes is the size of the request body; zero sends none.
	BodyBytes int
	// ExpectBodyBytes is the exact response body size; every other size
	// counts as an error.
	ExpectBodyBytes int
	// Conns is the number of client connections.
	Conns int
	// NewConnPerRequest opens a connection for every request.
	NewConnPerRequest bool
	// Rate, when positive, makes an open loop at Rate requests per second,
	// with latency measured from each request's intended send time.
	Rate float64
	// ExtraRoutes is the number of routes configured in every proxy
	// besides the catch-all.
	ExtraRoutes int
	// Limit turns on a per-client-IP rate limit in every proxy, set so
	// high that it never refuses: the cost of counting is what is measured.
	Limit bool
	// Auth requires the API key benchAPIKey in the X-API-Key header in
	// every proxy; Headers must carry it.
	Auth bool
	// Skip, when not empty, says why the scenario cannot run yet; it is
	// listed in the report instead of a table.
	Skip string
}

// Describe returns a one-line description for the report.
func (sc Scenario) Describe() string {
	s := sc.Method + " " + sc.Path
	if sc.BodyBytes > 0 {
		s += " with a " + sizeText(sc.BodyBytes) + " body"
	}
	s += ", " + strconv.Itoa(sc.Conns) + " connection"
	if sc.Conns != 1 {
		s += "s"
	}
	if sc.NewConnPerRequest {
		s += ", a new connection per request"
	} else {
		s += ", keep-alive"
	}
	if sc.Rate > 0 {
		s += ", open loop at " + strconv.FormatFloat(sc.Rate, 'f', -1, 64) +
			" req/s (latency from the intended send time)"
	} else {
		s += ", closed loop"
	}
	if sc.ExtraRoutes > 0 {
		s += ", " + strconv.Itoa(sc.ExtraRoutes+1) + " routes in the table"
	}
	if sc.Limit {
		s += ", a per-IP rate limit that never refuses"
	}
	if sc.Auth {
		s += ", API key required"
	}
	return s
}

// sizeText renders a byte count as "16 KiB" or "100 B".
func sizeText(n int) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return strconv.Itoa(n>>10) + " KiB"
	}
	return strconv.Itoa(n) + " B"
}

// Scenario building blocks.
var (
	getSmall = Scenario{Method: "GET", Path: backend.PathSmall, ExpectBodyBytes: backend.SmallBytes}
	getLarge = Scenario{Method: "GET", Path: backend.PathLarge, ExpectBodyBytes: backend.LargeBytes}
	post16k  = Scenario{Method: "POST", Path: backend.PathEchoSize, BodyBytes: 16 << 10,
		ExpectBodyBytes: len("16384")}
)

// with returns sc renamed and with the given connection count.
func (sc Scenario) with(name string, conns int) Scenario {
	sc.Name, sc.Conns = name, conns
	return sc
}

// FullScenarios returns the scenarios of a full run (make bench).
func FullScenarios() []Scenario {
	newConn := getSmall.with("get-1k-c50-newconn", 50)
	newConn.NewConnPerRequest = true
	open := getSmall.with("get-1k-open-2000rps", 50)
	open.Rate = 2000
	routes := getSmall.with("routes-1000-c50", 50)
	routes.ExtraRoutes = 999
	routes.Path = routePrefix(500) + "items/42" // matched by route 501 of 1000
	limiter := getSmall.with("limit-c50", 50)
	limiter.Limit = true
	auth := getSmall.with("apikey-c50", 50)
	auth.Auth = true
	auth.Headers = [][2]string{{"X-API-Key", benchAPIKey}}
	return []Scenario{
		getSmall.with("get-1k-c1", 1),
		getSmall.with("get-1k-c50", 50),
		getSmall.with("get-1k-c500", 500),
		newConn,
		getLarge.with("get-64k-c50", 50),
		post16k.with("post-16k-c50", 50),
		routes,
		open,
		limiter,
		auth,
	}
}

// SmokeScenarios returns the few short scenarios of make bench-smoke,
// which only checks that the harness and every target still work.
func SmokeScenarios() []Scenario {
	newConn := getSmall.with("get-1k-c10-newconn", 10)
	newConn.NewConnPerRequest = true
	open := getSmall.with("get-1k-open-500rps", 10)
	open.Rate = 500
	auth := getSmall.with("apikey-limit-c10", 10)
	auth.Auth, auth.Limit = true, true
	auth.Headers = [][2]string{{"X-API-Key", benchAPIKey}}
	return []Scenario{
		getSmall.with("get-1k-c50", 50),
		post16k.with("post-16k-c10", 10),
		newConn,
		open,
		auth,
	}
}
