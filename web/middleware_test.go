package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/coopmap/coopmap/store/sqlite"
)

// guardedServer serves an empty GeoPackage with cfg, plus test-only
// routes added by extra, and returns the server's log.
func guardedServer(t *testing.T, cfg Config, extra func(s *Server, r chi.Router)) (*httptest.Server, *syncLog) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "guard.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logs := &syncLog{}
	s := New(st, slog.New(slog.NewJSONHandler(logs, nil)), cfg)
	h := s.Handler()
	if extra != nil {
		extra(s, h.(chi.Router))
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts, logs
}

// syncLog is a log sink safe for the server's goroutines.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// send sends a request and returns its status, headers and body.
func send(t *testing.T, method, u string, body io.Reader, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// wantGuardProblem checks a problem+json answer's status and type.
func wantGuardProblem(t *testing.T, what string, status int, h http.Header, body []byte, wantStatus int, wantType string) {
	t.Helper()
	var p Problem
	if status != wantStatus || h.Get("Content-Type") != "application/problem+json" || json.Unmarshal(body, &p) != nil ||
		p.Status != wantStatus || p.Type != wantType || p.Detail == "" {
		t.Errorf("%s: %d %q %s; want a %d %s problem", what, status, h.Get("Content-Type"), body, wantStatus, wantType)
	}
}

// TestShedding fills --max-inflight 2 with two requests held in a
// test-only handler: the third is answered 503 with Retry-After at once,
// while health, readiness and metrics still answer.
func TestShedding(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	ts, _ := guardedServer(t, Config{Limits: Limits{MaxInflight: 2}}, func(s *Server, r chi.Router) {
		r.Get("/test/slow", func(w http.ResponseWriter, r *http.Request) {
			entered <- struct{}{}
			<-release
			w.WriteHeader(http.StatusNoContent)
		})
	})
	var held sync.WaitGroup
	for range 2 {
		held.Add(1)
		go func() {
			defer held.Done()
			resp, err := http.Get(ts.URL + "/test/slow")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Errorf("held request: %d", resp.StatusCode)
			}
		}()
	}
	<-entered
	<-entered

	status, h, body := send(t, http.MethodGet, ts.URL+"/collections", nil)
	wantGuardProblem(t, "third request", status, h, body, http.StatusServiceUnavailable, "https://coopmap.org/problems/busy")
	if h.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q; want 1", h.Get("Retry-After"))
	}
	for _, p := range []string{"/healthz", "/metrics"} {
		if status, _, _ := send(t, http.MethodGet, ts.URL+p, nil); status != http.StatusOK {
			t.Errorf("%s while full: %d; want 200", p, status)
		}
	}
	m := scrape(t, ts.URL)
	wantMetric(t, m, `coopmap_http_shed_total{reason="max_inflight"}`, eq(1), "1")
	wantMetric(t, m, `coopmap_http_requests_total{method="GET",route="unmatched",status="503"}`, eq(1), "1")

	close(release)
	held.Wait()
	if status, _, _ := send(t, http.MethodGet, ts.URL+"/collections", nil); status != http.StatusOK {
		t.Errorf("after the slots freed: %d; want 200", status)
	}
}

// TestRateLimit checks the per-client limit of /search: over it is 429
// with Retry-After, and other classes of endpoint keep their own budget.
func TestRateLimit(t *testing.T) {
	ts, _ := guardedServer(t, Config{Limits: Limits{SearchRate: 2, RouteRate: 1}}, nil)
	for i := range 2 {
		if status, _, body := send(t, http.MethodGet, ts.URL+"/search?q=bakery", nil); status != http.StatusOK {
			t.Fatalf("search %d: %d %s", i, status, body)
		}
	}
	status, h, body := send(t, http.MethodGet, ts.URL+"/nearest?lon=0&lat=51", nil) // /nearest shares /search's budget
	wantGuardProblem(t, "third search", status, h, body, http.StatusTooManyRequests, "https://coopmap.org/problems/rate-limited")
	if h.Get("Retry-After") == "" || h.Get("X-RateLimit-Limit") != "2" {
		t.Errorf("headers %v; want Retry-After and X-RateLimit-Limit 2", h)
	}
	// /route has its own budget (the server has no graph: 404).
	if status, _, _ := send(t, http.MethodGet, ts.URL+"/route?points=0,51;0.1,51", nil); status != http.StatusNotFound {
		t.Errorf("first /route: %d; want 404 (no graph), not limited", status)
	}
	if status, _, _ := send(t, http.MethodGet, ts.URL+"/route?points=0,51;0.1,51", nil); status != http.StatusTooManyRequests {
		t.Errorf("second /route: %d; want 429", status)
	}
	// Other endpoints are not limited.
	for range 5 {
		if status, _, _ := send(t, http.MethodGet, ts.URL+"/collections", nil); status != http.StatusOK {
			t.Fatalf("/collections: %d", status)
		}
	}
	m := scrape(t, ts.URL)
	wantMetric(t, m, `coopmap_http_shed_total{reason="rate_search"}`, eq(1), "1")
	wantMetric(t, m, `coopmap_http_shed_total{reason="rate_route"}`, eq(1), "1")
}

// TestRequestDeadline checks that a request's context ends at
// Limits.RequestTimeout and the client gets a 503 problem, while a
// download's context has Limits.DownloadTimeout.
func TestRequestDeadline(t *testing.T) {
	deadlines := make(chan bool, 2)
	ts, _ := guardedServer(t, Config{Limits: Limits{RequestTimeout: 1, DownloadTimeout: 1 << 62}}, func(s *Server, r chi.Router) {
		wait := s.handle(func(w http.ResponseWriter, r *http.Request) error {
			<-r.Context().Done()
			return r.Context().Err()
		})
		r.Get("/test/wait", wait)
		live := func(w http.ResponseWriter, r *http.Request) {
			_, ok := r.Context().Deadline()
			deadlines <- ok && r.Context().Err() == nil
		}
		r.Get("/test/deadline/{x}/download", live)
		r.Get("/collections/{collection}/import", live) // a long request's path (the write API's is a POST)
	})
	status, h, body := send(t, http.MethodGet, ts.URL+"/test/wait", nil)
	wantGuardProblem(t, "past the deadline", status, h, body, http.StatusServiceUnavailable, "about:blank")

	// Not a download path: the short deadline has passed already.
	send(t, http.MethodGet, ts.URL+"/test/deadline/x/download", nil)
	if <-deadlines {
		t.Error("a short request got the long deadline")
	}
	send(t, http.MethodGet, ts.URL+"/collections/x/import", nil)
	if !<-deadlines {
		t.Error("a long request did not get the long deadline")
	}
}

func TestIsLong(t *testing.T) {
	for p, want := range map[string]bool{
		"/collections/coops/download": true, "/collections/coops/import": true, "/collections/coops/items": false,
		"/collections/a/b/download": false, "/download": false, "/collections/download": false,
	} {
		r := httptest.NewRequest(http.MethodGet, p, nil)
		if got := isLong(r); got != want {
			t.Errorf("isLong(%s) = %v; want %v", p, got, want)
		}
	}
}

// TestBodyLimit checks the server-wide body cap and allowBody's raise.
func TestBodyLimit(t *testing.T) {
	ts, _ := guardedServer(t, Config{Limits: Limits{MaxBodyBytes: 1000}}, func(s *Server, r chi.Router) {
		read := s.handle(func(w http.ResponseWriter, r *http.Request) error {
			n, err := io.Copy(io.Discard, r.Body)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, n)
		})
		r.Post("/test/body", read)
		r.With(allowBody(5000)).Post("/test/upload", read)
	})
	small, big := strings.Repeat("x", 1000), strings.Repeat("x", 4000)
	if status, _, body := send(t, http.MethodPost, ts.URL+"/test/body", strings.NewReader(small)); status != http.StatusOK {
		t.Errorf("1000 bytes: %d %s", status, body)
	}
	status, h, body := send(t, http.MethodPost, ts.URL+"/test/body", strings.NewReader(big))
	wantGuardProblem(t, "4000 bytes", status, h, body, http.StatusRequestEntityTooLarge, "https://coopmap.org/problems/too_large")
	if status, _, body := send(t, http.MethodPost, ts.URL+"/test/upload", strings.NewReader(big)); status != http.StatusOK || string(body) != "4000\n" {
		t.Errorf("4000 bytes with allowBody(5000): %d %s", status, body)
	}
}

// TestSecurityHeaders checks the headers every response carries, and that
// HTML pages keep their own policies.
func TestSecurityHeaders(t *testing.T) {
	ts, _ := guardedServer(t, Config{FrameAncestors: "'self' https://example.org"}, nil)
	for _, c := range []struct{ path, accept, csp string }{
		{"/collections", "application/json", "default-src 'none'; frame-ancestors 'none'"},
		{"/no/such/path", "", "default-src 'none'; frame-ancestors 'none'"},
		{"/collections?f=html", "text/html", "style-src 'unsafe-inline'"},
	} {
		_, h, _ := send(t, http.MethodGet, ts.URL+c.path, nil, "Accept", c.accept)
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "strict-origin-when-cross-origin" ||
			!strings.Contains(h.Get("Content-Security-Policy"), c.csp) {
			t.Errorf("%s: headers %v", c.path, h)
		}
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "csp.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := New(st, slog.New(slog.DiscardHandler), Config{FrameAncestors: "'self' https://example.org"})
	if !strings.HasSuffix(s.pages.csp, "; frame-ancestors 'self' https://example.org") {
		t.Errorf("map CSP %q; want the configured frame-ancestors", s.pages.csp)
	}
	s = New(st, slog.New(slog.DiscardHandler), Config{})
	if !strings.HasSuffix(s.pages.csp, "; frame-ancestors *") {
		t.Errorf("map CSP %q; want frame-ancestors * by default", s.pages.csp)
	}
}

func TestValidateFrameAncestors(t *testing.T) {
	for _, ok := range []string{"*", "'self'", "'none'", "'self' https://example.org *.example.net", "https:"} {
		if err := ValidateFrameAncestors(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "  ", "'none' 'self'", "*; script-src *", "https://a.org,https://b.org", "'unsafe-inline'", "a\x00b", "\"x\""} {
		if err := ValidateFrameAncestors(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestRequestLog checks the log line: route pattern, status, bytes,
// duration and request id; never the query string, headers or the
// client's address unless asked.
func TestRequestLog(t *testing.T) {
	for _, withAddr := range []bool{false, true} {
		ts, logs := guardedServer(t, Config{LogClientAddr: withAddr}, nil)
		status, h, _ := send(t, http.MethodGet, ts.URL+"/collections/nope/items?token=s3cret&q=someone", nil,
			"Authorization", "Bearer s3cret-bearer", "X-Request-Id", "req-42")
		if status != http.StatusNotFound || h.Get("X-Request-Id") != "req-42" {
			t.Fatalf("%d, X-Request-Id %q", status, h.Get("X-Request-Id"))
		}
		var line map[string]any
		for l := range strings.Lines(logs.String()) {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "request" {
				line = m
			}
		}
		if line == nil {
			t.Fatalf("no request line in %s", logs)
		}
		if line["route"] != "/collections/{collection}/items" || line["status"] != float64(404) || line["request_id"] != "req-42" ||
			line["method"] != "GET" || line["bytes"] == nil || line["duration_ms"] == nil {
			t.Errorf("log line %v", line)
		}
		if s := logs.String(); strings.Contains(s, "s3cret") || strings.Contains(s, "someone") {
			t.Errorf("the log holds the query string or a header: %s", s)
		}
		if _, has := line["client"]; has != withAddr {
			t.Errorf("LogClientAddr %v: client in the log line = %v", withAddr, has)
		}
	}
}

// sqlStateError is a database error as pgconn.PgError presents it.
type sqlStateError string

func (e sqlStateError) Error() string {
	return "ERROR: canceling statement (SQLSTATE " + string(e) + ")"
}
func (e sqlStateError) SQLState() string { return string(e) }

// TestStatementTimeoutIs503 checks that a query the database cancelled
// for its statement_timeout is answered like a passed deadline, and any
// other database error stays internal.
func TestStatementTimeoutIs503(t *testing.T) {
	if p, internal := problemFor(fmt.Errorf("postgis: features: %w", sqlStateError("57014"))); p.Status != http.StatusServiceUnavailable || internal {
		t.Errorf("57014: %+v internal=%v; want 503", p, internal)
	}
	if p, internal := problemFor(sqlStateError("42P01")); p.Status != http.StatusInternalServerError || !internal {
		t.Errorf("42P01: %+v internal=%v; want an internal 500", p, internal)
	}
}
