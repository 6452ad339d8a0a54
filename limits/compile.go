package limits

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/portico-gw/portico/config"
)

// maxChecks is the most limits and quotas one request is checked
// against; Decision keeps them in a fixed array.
const maxChecks = 8

// Names of plans with a meaning of their own.
const (
	planAnonymous = "anonymous"
	planDefault   = "default"
)

// keyKind is one part of a limit's key.
type keyKind uint8

const (
	keyIP keyKind = iota + 1
	keyConsumer
	keyAPIKey
	keyHeader
	keyRoute
)

// keyPart is one compiled element of LimitRule.Key.
type keyPart struct {
	kind   keyKind
	header string // for keyHeader
}

// headerMode says which response headers show a limit.
type headerMode uint8

const (
	headersIETF headerMode = 1 << iota
	headersLegacy
)

// rule is one compiled limit or quota. Rules are immutable after New.
type rule struct {
	name    string
	id      uint64 // identifies the rule's counters; stable across reloads
	limit   int64
	window  time.Duration
	parts   []keyPart
	headers headerMode
	hidden  bool
	quota   bool
	monthly bool
	// overflow is the counter shared by this rule's callers when the
	// table has no room for their own.
	overflow uint64
}

// plan is one compiled [plans.NAME].
type plan struct {
	name   string
	rules  []*rule
	quota  *rule
	quotas []*rule // quota alone, or empty
}

// RoutePolicy is the compiled limit policy of one route, from
// Engine.Route. It is immutable and safe for concurrent use.
type RoutePolicy struct {
	name  string
	plan  *plan   // the route's plan, overriding the consumer's; or nil
	rules []*rule // the route's own limits, added to the plan's
	usage *routeUsage
}

// compiled is what New builds from a config.File.
type compiled struct {
	plans     map[string]*plan
	consumers map[string]*plan
	anonymous *plan
	deflt     *plan
	routes    map[string]*RoutePolicy
}

// validName reports whether s is a usable limit name: it goes into a
// quoted structured-field string and a JSON string unescaped.
func validName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '.' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// compileRule compiles one LimitRule at key path at, named def unless it
// names itself.
func compileRule(lr config.LimitRule, at, def string) (*rule, []error) {
	var errs []error
	r := &rule{name: lr.Name, hidden: lr.Hidden}
	if r.name == "" {
		r.name = def
	}
	if !validName(r.name) {
		errs = append(errs, config.Errorf(at+".name",
			"must be 1 to 32 characters of letters, digits, '_', '.', '-'"))
	}

	var err error
	if r.limit, r.window, err = parseRate(lr.Rate); err != nil {
		errs = append(errs, config.Errorf(at+".rate", "%q: %v", lr.Rate, err))
	}

	switch lr.Headers {
	case "", "ietf":
		r.headers = headersIETF
	case "legacy":
		r.headers = headersLegacy
	case "both":
		r.headers = headersIETF | headersLegacy
	case "none":
	default:
		errs = append(errs, config.Errorf(at+".headers",
			`must be "ietf", "legacy", "both" or "none", not %q`, lr.Headers))
	}

	keys := lr.Key
	if len(keys) == 0 {
		keys = []string{"consumer"}
	}
	for i, k := range keys {
		p, ok := parseKeyPart(k)
		if !ok {
			errs = append(errs, config.Errorf(at+".key["+strconv.Itoa(i)+"]",
				`must be "ip", "consumer", "api_key", "route" or "header:NAME", not %q`, k))
		}
		r.parts = append(r.parts, p)
	}

	// The id covers everything that gives the counters their meaning, so
	// a reload keeps the counts of unchanged limits only.
	r.id = xxhash.Sum64String(at + "\x00" + r.name + "\x00" + lr.Rate + "\x00" +
		strings.Join(keys, "\x00"))
	r.overflow = xxhash.Sum64String("overflow\x00" + strconv.FormatUint(r.id, 16))
	return r, errs
}

// parseKeyPart parses one element of LimitRule.Key.
func parseKeyPart(s string) (keyPart, bool) {
	switch s {
	case "ip":
		return keyPart{kind: keyIP}, true
	case "consumer":
		return keyPart{kind: keyConsumer}, true
	case "api_key":
		return keyPart{kind: keyAPIKey}, true
	case "route":
		return keyPart{kind: keyRoute}, true
	}
	if name, ok := strings.CutPrefix(s, "header:"); ok && name != "" {
		return keyPart{kind: keyHeader, header: name}, true
	}
	return keyPart{}, false
}

// compileQuota compiles a plan's quota.
func compileQuota(q *config.Quota, planName, at string) (*rule, []error) {
	var errs []error
	r := &rule{name: q.Name, limit: q.Requests, quota: true, hidden: q.Hidden,
		headers: headersIETF, parts: []keyPart{{kind: keyConsumer}}}
	if r.name == "" {
		r.name = planName + "-quota"
	}
	if !validName(r.name) {
		errs = append(errs, config.Errorf(at+".name",
			"must be 1 to 32 characters of letters, digits, '_', '.', '-'"))
	}
	if q.Requests < 1 || q.Requests > 268435454 {
		errs = append(errs, config.Errorf(at+".requests", "must be between 1 and 268435454"))
	}
	switch q.Period {
	case "", "day":
		r.window = 24 * time.Hour
	case "month":
		r.monthly = true
	default:
		errs = append(errs, config.Errorf(at+".period", `must be "day" or "month", not %q`,
			q.Period))
	}
	r.id = xxhash.Sum64String(at + "\x00" + r.name + "\x00" + q.Period + "\x00" +
		strconv.FormatInt(q.Requests, 10))
	r.overflow = xxhash.Sum64String("overflow\x00" + strconv.FormatUint(r.id, 16))
	return r, errs
}

// compile turns the plans, consumers and route policies of f into their
// runtime form and returns every problem found.
func compile(f *config.File) (*compiled, error) {
	c := &compiled{
		plans:     make(map[string]*plan, len(f.Plans)),
		consumers: make(map[string]*plan, len(f.Consumers)),
		routes:    make(map[string]*RoutePolicy, len(f.Routes)),
	}
	var errs []error

	for _, name := range sortedKeys(f.Plans) {
		at := "plans." + name
		p := &plan{name: name}
		for i, lr := range f.Plans[name].Limits {
			ra := at + ".limits[" + strconv.Itoa(i) + "]"
			r, es := compileRule(lr, ra, name+"-"+strconv.Itoa(i))
			p.rules = append(p.rules, r)
			errs = append(errs, es...)
		}
		if q := f.Plans[name].Quota; q != nil {
			r, es := compileQuota(q, name, at+".quota")
			p.quota, p.quotas = r, []*rule{r}
			errs = append(errs, es...)
		}
		c.plans[name] = p
	}
	c.anonymous, c.deflt = c.plans[planAnonymous], c.plans[planDefault]

	for _, name := range sortedKeys(f.Consumers) {
		pn := f.Consumers[name].Plan
		if pn == "" {
			continue
		}
		p, ok := c.plans[pn]
		if !ok {
			errs = append(errs, config.Errorf("consumers."+name+".plan", "unknown plan %q", pn))
			continue
		}
		c.consumers[name] = p
	}

	for _, name := range sortedKeys(f.Routes) {
		rp, es := compileRoute(c, name, f.Routes[name])
		errs = append(errs, es...)
		if rp != nil {
			c.routes[name] = rp
		}
	}
	return c, errors.Join(errs...)
}

// compileRoute compiles the limit policy of one route; nil when the route
// has no limit of any kind.
func compileRoute(c *compiled, name string, rt config.Route) (*RoutePolicy, []error) {
	var errs []error
	at := "routes." + name
	rp := &RoutePolicy{name: name}
	if rt.Plan != "" {
		p, ok := c.plans[rt.Plan]
		if !ok {
			errs = append(errs, config.Errorf(at+".plan", "unknown plan %q", rt.Plan))
		}
		rp.plan = p
	}
	for i, lr := range rt.Limits {
		ra := at + ".limits[" + strconv.Itoa(i) + "]"
		r, es := compileRule(lr, ra, name+"-"+strconv.Itoa(i))
		rp.rules = append(rp.rules, r)
		errs = append(errs, es...)
	}

	// Every plan this route can apply must fit in one Decision.
	most := 0
	if rp.plan != nil {
		most = len(rp.plan.rules)
	} else {
		for _, p := range c.plans {
			most = max(most, len(p.rules))
		}
	}
	if most+len(rp.rules) > maxChecks-1 {
		errs = append(errs, config.Errorf(at+".limits",
			"a request may meet at most %d limits, plan and route together", maxChecks-1))
	}

	if rp.plan == nil && len(rp.rules) == 0 && len(c.plans) == 0 {
		return nil, errs
	}
	return rp, errs
}

// sortedKeys returns the keys of m in order, so errors come out in a
// stable order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
