// Package metrics holds Portico's Prometheus metrics: requests by route
// and status class, total and upstream latency per route, and the
// gateway's own overhead (total minus upstream time) as a histogram of its
// own, so the cost of the gateway is a figure rather than a subtraction
// someone has to do. It uses the Prometheus Go client: Inc and Observe on
// a resolved child are atomic adds and allocate nothing (measured, see
// alloc_test.go), so the request path resolves each route's children once
// per config build and only updates them per request. Serving the text
// format is left to the admin listener (Handler).
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// NoRoute is the route label of requests that matched no route (or were
// refused before routing).
const NoRoute = "(none)"

// Registry is one process's metrics. It outlives config reloads, so
// counters keep counting across them. It is safe for concurrent use.
type Registry struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	upstream *prometheus.HistogramVec
	overhead prometheus.Histogram
	upErrors *prometheus.CounterVec
	noRoute  *Route
}

// New returns a Registry with the Go runtime and process collectors.
func New() *Registry {
	r := &Registry{reg: prometheus.NewRegistry()}
	r.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portico_requests_total",
		Help: "Requests answered, by route and status class (1xx..5xx).",
	}, []string{"route", "class"})
	r.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "portico_request_duration_seconds",
		Help:    "Time from the request's arrival to its response header, by route.",
		Buckets: prometheus.ExponentialBuckets(100e-6, 2, 18),
	}, []string{"route"})
	r.upstream = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "portico_upstream_duration_seconds",
		Help:    "Time spent waiting on the upstream (send to response header), by route.",
		Buckets: prometheus.ExponentialBuckets(100e-6, 2, 18),
	}, []string{"route"})
	r.overhead = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "portico_gateway_overhead_seconds",
		Help:    "Time the gateway itself added to proxied requests: total minus upstream time.",
		Buckets: prometheus.ExponentialBuckets(5e-6, 2, 16),
	})
	r.upErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portico_upstream_errors_total",
		Help: "Requests that got no usable answer from an upstream, by route and the status given (502, 503, 504).",
	}, []string{"route", "status"})
	r.reg.MustRegister(r.requests, r.duration, r.upstream, r.overhead, r.upErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r.noRoute = r.Route(NoRoute)
	return r
}

// AddGauge registers a gauge whose value f reads at scrape time (for
// example the access log's dropped-record count).
func (r *Registry) AddGauge(name, help string, f func() float64) {
	r.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// Handler serves the metrics in the Prometheus text format.
func (r *Registry) Handler() fasthttp.RequestHandler {
	return fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{}))
}

// Route is one route's resolved metric children. A nil *Route records
// nothing.
type Route struct {
	classes  [5]prometheus.Counter
	duration prometheus.Observer
	upstream prometheus.Observer
	errors   [3]prometheus.Counter // 502, 503, 504
	overhead prometheus.Observer
}

// Route resolves the children for the named route. Call it when a config
// is built, not per request.
func (r *Registry) Route(name string) *Route {
	rt := &Route{
		duration: r.duration.WithLabelValues(name),
		upstream: r.upstream.WithLabelValues(name),
		overhead: r.overhead,
	}
	for i, c := range [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"} {
		rt.classes[i] = r.requests.WithLabelValues(name, c)
	}
	for i, s := range [...]string{"502", "503", "504"} {
		rt.errors[i] = r.upErrors.WithLabelValues(name, s)
	}
	return rt
}

// NoRoute returns the children for requests that matched no route.
func (r *Registry) NoRoute() *Route { return r.noRoute }

// Observe records one request: its status, its total time and, when an
// upstream was contacted (upstream > 0), the upstream time and the
// gateway's overhead. It allocates nothing.
func (rt *Route) Observe(status int, total, upstream time.Duration) {
	if rt == nil {
		return
	}
	if i := status/100 - 1; i >= 0 && i < len(rt.classes) {
		rt.classes[i].Inc()
	}
	rt.duration.Observe(total.Seconds())
	if upstream > 0 {
		rt.upstream.Observe(upstream.Seconds())
		rt.overhead.Observe((total - upstream).Seconds())
	}
}

// UpstreamError counts a gateway-made 502, 503 or 504 on the route.
func (rt *Route) UpstreamError(status int) {
	if rt == nil {
		return
	}
	if i := status - 502; i >= 0 && i < len(rt.errors) {
		rt.errors[i].Inc()
	}
}
