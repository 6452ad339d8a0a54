package limits

import (
	"encoding/json"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/portico-gw/portico/config"
)

// maxDynamicConsumers bounds the consumers one route meters that are not
// in the config (names from tokens); later ones count under otherName.
const maxDynamicConsumers = 10_000

// Names in the usage report for callers without a name of their own.
const (
	anonymousName = "(anonymous)"
	otherName     = "(other)"
)

// usageCounts are the meters of one consumer on one route.
type usageCounts struct {
	admitted atomic.Int64
	limited  atomic.Int64
	quota    atomic.Int64
}

// usageKey names one consumer on one route.
type usageKey struct{ route, consumer string }

// usageStore owns every meter. It outlives Engines: New hands it from the
// old Engine to the new one, so counts survive a config reload.
type usageStore struct {
	mu sync.Mutex
	m  map[usageKey]*usageCounts
}

func newUsageStore() *usageStore {
	return &usageStore{m: make(map[usageKey]*usageCounts)}
}

// get returns the meters of k, creating them.
func (s *usageStore) get(k usageKey) *usageCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.m[k]
	if c == nil {
		c = new(usageCounts)
		s.m[k] = c
	}
	return c
}

// routeUsage is one route's view of the store: a read-only map of the
// configured consumers, so the common case takes no lock, and a locked
// map of names met at run time.
type routeUsage struct {
	route string
	store *usageStore
	known map[string]*usageCounts
	other *usageCounts

	mu      sync.RWMutex
	dynamic map[string]*usageCounts
}

// route builds the usage view of one route.
func (s *usageStore) route(name string, consumers map[string]config.Consumer) *routeUsage {
	ru := &routeUsage{route: name, store: s,
		known:   make(map[string]*usageCounts, len(consumers)+1),
		dynamic: make(map[string]*usageCounts),
		other:   s.get(usageKey{name, otherName})}
	ru.known[""] = s.get(usageKey{name, anonymousName})
	for c := range consumers {
		ru.known[c] = s.get(usageKey{name, c})
	}
	return ru
}

// count adds one request's outcome to the consumer's meters.
func (ru *routeUsage) count(consumer string, o outcome) {
	c, ok := ru.known[consumer]
	if !ok {
		c = ru.lookup(consumer)
	}
	switch o {
	case outcomeAdmitted:
		c.admitted.Add(1)
	case outcomeLimited:
		c.limited.Add(1)
	case outcomeQuota:
		c.quota.Add(1)
	}
}

// lookup finds or adds the meters of a consumer not in the config. Only
// the first request of such a consumer allocates.
func (ru *routeUsage) lookup(consumer string) *usageCounts {
	ru.mu.RLock()
	c := ru.dynamic[consumer]
	ru.mu.RUnlock()
	if c != nil {
		return c
	}
	ru.mu.Lock()
	defer ru.mu.Unlock()
	if c = ru.dynamic[consumer]; c != nil {
		return c
	}
	if len(ru.dynamic) >= maxDynamicConsumers {
		return ru.other
	}
	name := strings.Clone(consumer)
	c = ru.store.get(usageKey{ru.route, name})
	ru.dynamic[name] = c
	return c
}

// UsageRow is one consumer's meters on one route, as UsageJSON reports
// them.
type UsageRow struct {
	Route          string `json:"route"`
	Consumer       string `json:"consumer"`
	Admitted       int64  `json:"admitted"`
	Limited        int64  `json:"limited"`
	QuotaExhausted int64  `json:"quota_exhausted"`
}

// Usage returns the meters of every consumer and route with any count,
// sorted by route and consumer. Counts are read one by one, so a report
// taken under load is not a single instant.
func (e *Engine) Usage() []UsageRow {
	s := e.usage
	s.mu.Lock()
	rows := make([]UsageRow, 0, len(s.m))
	for k, c := range s.m {
		r := UsageRow{Route: k.route, Consumer: k.consumer, Admitted: c.admitted.Load(),
			Limited: c.limited.Load(), QuotaExhausted: c.quota.Load()}
		if r.Admitted+r.Limited+r.QuotaExhausted > 0 {
			rows = append(rows, r)
		}
	}
	s.mu.Unlock()
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Route != rows[j].Route {
			return rows[i].Route < rows[j].Route
		}
		return rows[i].Consumer < rows[j].Consumer
	})
	return rows
}

// UsageJSON writes the usage report as JSON for the admin listener:
// {"usage":[{"route":..,"consumer":..,"admitted":..,"limited":..,"quota_exhausted":..}]}.
// Anonymous callers are "(anonymous)"; consumers past the per-route cap
// of names met at run time are "(other)".
func (e *Engine) UsageJSON(w io.Writer) error {
	return json.NewEncoder(w).Encode(struct {
		Usage []UsageRow `json:"usage"`
	}{e.Usage()})
}
