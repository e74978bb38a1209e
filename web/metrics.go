package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/coopmap/coopmap"
)

// GET /metrics is the Prometheus text exposition of the server's metrics
// (documented in docs/API.md, "Metrics"). Every server has a registry of
// its own: nothing is registered process-wide.
//
//	coopmap_http_requests_total{method,route,status}        counter
//	coopmap_http_request_duration_seconds{method,route}    histogram
//	coopmap_http_response_bytes_total{route}               counter
//	coopmap_http_requests_in_flight                        gauge
//	coopmap_http_shed_total{reason}                        counter: max_inflight, rate_search, rate_route, rate_download, rate_tile
//	coopmap_tile_cache_{hits,misses,evictions}_total       counters
//	coopmap_tile_cache_{bytes,entries,budget_bytes}        gauges
//	coopmap_imports_total{outcome}                         counter: imports this server ran (ok, failed)
//	coopmap_source_version{source}, coopmap_source_features{source}  gauges: they move with every import, by any process
//	coopmap_db_pool_connections{pool,state}                gauge: state in_use or idle
//	coopmap_db_pool_max_connections{pool}                  gauge
//	coopmap_db_pool_waits_total{pool}, coopmap_db_pool_wait_seconds_total{pool}  counters
//	coopmap_route_computations_total{outcome}              counter: ok or the error code
//	coopmap_route_duration_seconds                         histogram
//
// plus the Go runtime's go_* and the process's process_* metrics.

// latencyBuckets are the request and route histograms' upper bounds in
// seconds: fine below the 250 ms target, coarse up to downloads.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// metrics is a server's collectors and the registry that holds them.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	bytes    *prometheus.CounterVec
	inflight prometheus.Gauge
	shed     *prometheus.CounterVec
	imports  *prometheus.CounterVec
	routes   *prometheus.CounterVec
	routeDur prometheus.Histogram
}

// newMetrics returns the metrics of a server; state supplies what is read
// when scraped (the tile cache, the store's pools, the sources).
func newMetrics(state *scraped) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coopmap_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status."}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "coopmap_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by method and route pattern.", Buckets: latencyBuckets}, []string{"method", "route"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coopmap_http_response_bytes_total",
			Help: "Response body bytes sent (before compression by a proxy), by route pattern."}, []string{"route"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "coopmap_http_requests_in_flight",
			Help: "HTTP requests being answered now."}),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coopmap_http_shed_total",
			Help: "Requests refused to protect the server: 503 at the in-flight limit, 429 over a client's rate."}, []string{"reason"}),
		imports: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coopmap_imports_total",
			Help: "Imports this server ran, by outcome (ok, failed)."}, []string{"outcome"}),
		routes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coopmap_route_computations_total",
			Help: "Bike routes computed, by outcome (ok or the error code)."}, []string{"outcome"}),
		routeDur: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "coopmap_route_duration_seconds",
			Help: "Time to compute a bike route and answer.", Buckets: latencyBuckets}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.bytes, m.inflight, m.shed, m.imports, m.routes, m.routeDur, state,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Series that exist from the start, so rates work from the first
	// scrape.
	for _, reason := range []string{"max_inflight", "rate_search", "rate_route", "rate_download", "rate_tile"} {
		m.shed.WithLabelValues(reason)
	}
	for _, outcome := range []string{"ok", "failed"} {
		m.imports.WithLabelValues(outcome)
	}
	return m
}

// request records one answered request.
func (m *metrics) request(method, route string, status, bytes int, d time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "other" // the label stays bounded whatever clients send
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
	m.bytes.WithLabelValues(route).Add(float64(bytes))
}

// routeDone records one route computation.
func (m *metrics) routeDone(outcome string, d time.Duration) {
	m.routes.WithLabelValues(outcome).Inc()
	m.routeDur.Observe(d.Seconds())
}

// ObserveImport counts an import this server ran (a write API upload):
// err nil is "ok", anything else "failed". Imports by other processes
// (coopmap import) show in coopmap_source_version instead.
func (s *Server) ObserveImport(err error) {
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	s.metrics.imports.WithLabelValues(outcome).Inc()
}

// metricsHandler serves GET /metrics.
func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{
		ErrorLog:            slogPrinter{s},
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
}

// slogPrinter adapts the server's logger to promhttp's error log.
type slogPrinter struct{ s *Server }

func (p slogPrinter) Println(v ...any) { p.s.log.Warn("metrics", "err", v) }

// scrapeTimeout bounds reading the sources while scraping.
const scrapeTimeout = 2 * time.Second

// scraped is the collector of what is read when /metrics is scraped: the
// tile cache's counters, the store's connection pools (when it is a
// coopmap.StatsReporter) and the sources' versions and sizes.
type scraped struct {
	store coopmap.Reader
	tiles *tileService
}

var (
	descCacheHits      = prometheus.NewDesc("coopmap_tile_cache_hits_total", "Tile cache lookups that found the tile.", nil, nil)
	descCacheMisses    = prometheus.NewDesc("coopmap_tile_cache_misses_total", "Tile cache lookups that had to render.", nil, nil)
	descCacheEvictions = prometheus.NewDesc("coopmap_tile_cache_evictions_total", "Tiles evicted from the cache for room.", nil, nil)
	descCacheBytes     = prometheus.NewDesc("coopmap_tile_cache_bytes", "Bytes the cached tiles count against the budget.", nil, nil)
	descCacheEntries   = prometheus.NewDesc("coopmap_tile_cache_entries", "Tiles in the cache.", nil, nil)
	descCacheBudget    = prometheus.NewDesc("coopmap_tile_cache_budget_bytes", "The tile cache's budget (0: off).", nil, nil)
	descPoolConns      = prometheus.NewDesc("coopmap_db_pool_connections", "Database connections held by the store, by pool and state (in_use, idle).", []string{"pool", "state"}, nil)
	descPoolMax        = prometheus.NewDesc("coopmap_db_pool_max_connections", "The most connections a pool may hold.", []string{"pool"}, nil)
	descPoolWaits      = prometheus.NewDesc("coopmap_db_pool_waits_total", "Times a query waited for a free connection.", []string{"pool"}, nil)
	descPoolWaitSecs   = prometheus.NewDesc("coopmap_db_pool_wait_seconds_total", "Time queries spent waiting for a free connection.", []string{"pool"}, nil)
	descSourceVersion  = prometheus.NewDesc("coopmap_source_version", "A source's content version: it grows with every import that changes it.", []string{"source"}, nil)
	descSourceFeatures = prometheus.NewDesc("coopmap_source_features", "A source's feature count.", []string{"source"}, nil)
)

// Describe implements prometheus.Collector.
func (c *scraped) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCacheHits, descCacheMisses, descCacheEvictions, descCacheBytes, descCacheEntries, descCacheBudget,
		descPoolConns, descPoolMax, descPoolWaits, descPoolWaitSecs, descSourceVersion, descSourceFeatures} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A store that cannot be read
// leaves the source series out rather than failing the scrape.
func (c *scraped) Collect(ch chan<- prometheus.Metric) {
	u := c.tiles.cache.Usage()
	ch <- prometheus.MustNewConstMetric(descCacheHits, prometheus.CounterValue, float64(u.Hits))
	ch <- prometheus.MustNewConstMetric(descCacheMisses, prometheus.CounterValue, float64(u.Misses))
	ch <- prometheus.MustNewConstMetric(descCacheEvictions, prometheus.CounterValue, float64(u.Evictions))
	ch <- prometheus.MustNewConstMetric(descCacheBytes, prometheus.GaugeValue, float64(u.Bytes))
	ch <- prometheus.MustNewConstMetric(descCacheEntries, prometheus.GaugeValue, float64(u.Entries))
	ch <- prometheus.MustNewConstMetric(descCacheBudget, prometheus.GaugeValue, float64(max(u.Budget, 0)))

	if sr, ok := c.store.(coopmap.StatsReporter); ok {
		for _, p := range sr.PoolStats() {
			ch <- prometheus.MustNewConstMetric(descPoolConns, prometheus.GaugeValue, float64(p.InUse), p.Pool, "in_use")
			ch <- prometheus.MustNewConstMetric(descPoolConns, prometheus.GaugeValue, float64(p.Idle), p.Pool, "idle")
			ch <- prometheus.MustNewConstMetric(descPoolMax, prometheus.GaugeValue, float64(p.MaxOpen), p.Pool)
			ch <- prometheus.MustNewConstMetric(descPoolWaits, prometheus.CounterValue, float64(p.WaitCount), p.Pool)
			ch <- prometheus.MustNewConstMetric(descPoolWaitSecs, prometheus.CounterValue, p.WaitDuration.Seconds(), p.Pool)
		}
	}

	// The tile catalog: re-read at most once a TileCatalogTTL, so a
	// scrape adds no load of its own to a busy store.
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	if cat, err := c.tiles.sources(ctx); err == nil {
		for _, src := range cat.sources {
			ch <- prometheus.MustNewConstMetric(descSourceVersion, prometheus.GaugeValue, float64(src.Version), src.ID)
			ch <- prometheus.MustNewConstMetric(descSourceFeatures, prometheus.GaugeValue, float64(src.FeatureCount), src.ID)
		}
	}
}
