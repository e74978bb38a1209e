package web

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// scrape returns the /metrics text of the server at base.
func scrape(t *testing.T, base string) string {
	t.Helper()
	code, hdr, b := send(t, http.MethodGet, base+"/metrics", nil)
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("/metrics: %d %q", code, hdr.Get("Content-Type"))
	}
	return string(b)
}

// metricValue returns the value of the sample whose name and labels are
// series, exactly as the text format writes them; ok is false when there
// is none.
func metricValue(text, series string) (float64, bool) {
	for line := range strings.Lines(text) {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" ")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

// wantMetric checks that series has a value satisfying ok.
func wantMetric(t *testing.T, text, series string, ok func(float64) bool, want string) {
	t.Helper()
	v, found := metricValue(text, series)
	if !found {
		t.Errorf("no %s in /metrics", series)
		return
	}
	if !ok(v) {
		t.Errorf("%s = %v; want %s", series, v, want)
	}
}

func eq(n float64) func(float64) bool      { return func(v float64) bool { return v == n } }
func atLeast(n float64) func(float64) bool { return func(v float64) bool { return v >= n } }

// TestMetrics makes requests to a server over a real GeoPackage and checks
// what /metrics says about them: counts and histograms by route pattern
// (never by raw path), the tile cache, the store's pools, the sources and
// route computations.
func TestMetrics(t *testing.T) {
	ts, _, _ := tileServer(t, Config{TileMaxZoom: 15})
	for _, p := range []string{londonZ15, londonZ15, "/collections/coops/items?limit=1", "/no/such/path/12345",
		"/route?points=nonsense", "/route?points=-0.1,51.5;-0.2,51.6"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	m := scrape(t, ts.URL)

	const tileRoute = `route="/tiles/{collection}/{z}/{x}/{file}"`
	wantMetric(t, m, `coopmap_http_requests_total{method="GET",`+tileRoute+`,status="200"}`, eq(2), "2")
	wantMetric(t, m, `coopmap_http_request_duration_seconds_count{method="GET",`+tileRoute+`}`, eq(2), "2")
	wantMetric(t, m, `coopmap_http_request_duration_seconds_bucket{method="GET",`+tileRoute+`,le="+Inf"}`, eq(2), "2")
	wantMetric(t, m, `coopmap_http_request_duration_seconds_bucket{method="GET",`+tileRoute+`,le="0.25"}`, atLeast(0), "present")
	wantMetric(t, m, `coopmap_http_requests_total{method="GET",route="/collections/{collection}/items",status="200"}`, eq(1), "1")
	wantMetric(t, m, `coopmap_http_requests_total{method="GET",route="unmatched",status="404"}`, eq(1), "1")
	wantMetric(t, m, `coopmap_http_response_bytes_total{`+tileRoute+`}`, atLeast(1), "> 0")
	// The scrape itself is in flight.
	wantMetric(t, m, `coopmap_http_requests_in_flight`, eq(1), "1")
	wantMetric(t, m, `coopmap_http_shed_total{reason="max_inflight"}`, eq(0), "0")
	if strings.Contains(m, "12345") || strings.Contains(m, "16374") {
		t.Error("/metrics has a raw path in a label; labels must be route patterns")
	}

	// The same tile twice: one render, one hit.
	wantMetric(t, m, `coopmap_tile_cache_hits_total`, eq(1), "1")
	wantMetric(t, m, `coopmap_tile_cache_misses_total`, eq(1), "1")
	wantMetric(t, m, `coopmap_tile_cache_entries`, eq(1), "1")
	wantMetric(t, m, `coopmap_tile_cache_bytes`, atLeast(1), "> 0")
	wantMetric(t, m, `coopmap_tile_cache_budget_bytes`, eq(256<<20), "256 MiB")

	// The GeoPackage's pools, and the fixture's source.
	wantMetric(t, m, `coopmap_db_pool_max_connections{pool="write"}`, eq(1), "1")
	wantMetric(t, m, `coopmap_db_pool_connections{pool="read",state="idle"}`, atLeast(1), ">= 1")
	wantMetric(t, m, `coopmap_source_version{source="coops"}`, atLeast(1), ">= 1")
	wantMetric(t, m, `coopmap_source_features{source="coops"}`, atLeast(1), ">= 1")
	wantMetric(t, m, `coopmap_imports_total{outcome="ok"}`, eq(0), "0")

	// No graph: both route requests were answered without a route, one
	// for its bad points, the other for the missing graph.
	wantMetric(t, m, `coopmap_route_computations_total{outcome="invalid"}`, eq(1), "1")
	wantMetric(t, m, `coopmap_route_computations_total{outcome="not_found"}`, eq(1), "1")
	wantMetric(t, m, `coopmap_route_duration_seconds_count`, eq(2), "2")

	// The Go runtime's and the process's metrics come along.
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(m, "\n"+name+" ") {
			t.Errorf("no %s in /metrics", name)
		}
	}
}

// TestMetricsPerServer checks that two servers in one process count
// apart: each has its own registry, none is process-wide.
func TestMetricsPerServer(t *testing.T) {
	a, _, _ := tileServer(t, Config{})
	b, _, _ := tileServer(t, Config{})
	resp, err := http.Get(a.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	const series = `coopmap_http_requests_total{method="GET",route="/healthz",status="200"}`
	wantMetric(t, scrape(t, a.URL), series, eq(1), "1")
	if _, ok := metricValue(scrape(t, b.URL), series); ok {
		t.Errorf("server b counts server a's request")
	}
}

// TestObserveImport checks the import hook's counter.
func TestObserveImport(t *testing.T) {
	ts, s, _ := tileServer(t, Config{})
	s.ObserveImport(nil)
	s.ObserveImport(io.ErrUnexpectedEOF)
	s.ObserveImport(nil)
	m := scrape(t, ts.URL)
	wantMetric(t, m, `coopmap_imports_total{outcome="ok"}`, eq(2), "2")
	wantMetric(t, m, `coopmap_imports_total{outcome="failed"}`, eq(1), "1")
}
