package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coopmap/coopmap/route"
	"github.com/coopmap/coopmap/store/sqlite"
)

// routeServer serves an empty GeoPackage store with the graph built from
// an OSM file in testdata (none when osmFile is empty).
func routeServer(t *testing.T, osmFile string) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "route.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var cfg Config
	if osmFile != "" {
		f, err := os.Open(filepath.Join("../testdata", osmFile))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if cfg.Graph, _, err = route.Build(context.Background(), f, route.BuildOptions{Source: osmFile}); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(New(st, slog.New(slog.DiscardHandler), cfg).Handler())
	t.Cleanup(ts.Close)
	return ts
}

func routeGet(t *testing.T, u string) (int, string, map[string]any) {
	t.Helper()
	code, hdr, b := send(t, http.MethodGet, u, nil)
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v: %s", u, err, b)
	}
	return code, hdr.Get("Content-Type"), doc
}

func TestRoute(t *testing.T) {
	ts := routeServer(t, "../demo/london-highways.osm.bz2")
	q := url.Values{"points": {"-0.1200,51.6000;-0.1387,51.6146;-0.1083,51.6229;-0.1300,51.6250"}, "order": {"optimize"}, "roundtrip": {"true"}}
	status, ctype, doc := routeGet(t, ts.URL+"/route?"+q.Encode())
	if status != http.StatusOK || ctype != "application/geo+json" {
		t.Fatalf("%d %s: %v", status, ctype, doc)
	}
	if doc["type"] != "FeatureCollection" || doc["licence"] != route.Licence || doc["attribution"] != route.Attribution {
		t.Errorf("collection: %v %v %v", doc["type"], doc["licence"], doc["attribution"])
	}
	feats := doc["features"].([]any)
	// The route, 4 legs, 4 stops.
	if len(feats) != 9 {
		t.Fatalf("%d features", len(feats))
	}
	first := feats[0].(map[string]any)
	props := first["properties"].(map[string]any)
	geom := first["geometry"].(map[string]any)
	if props["kind"] != "route" || geom["type"] != "LineString" || props["distance_m"].(float64) <= 0 || props["duration_s"].(float64) <= 0 {
		t.Errorf("route feature: %v", props)
	}
	order := props["order"].([]any)
	if len(order) != 5 || order[0].(float64) != 0 || order[4].(float64) != 0 {
		t.Errorf("order %v", order)
	}
	if legs := props["legs"].([]any); len(legs) != 4 {
		t.Errorf("legs %v", legs)
	}
	cues := props["cues"].([]any)
	named := false
	for _, c := range cues {
		if s, _ := c.(map[string]any)["street"].(string); strings.HasSuffix(s, "Road") || strings.HasSuffix(s, "Avenue") {
			named = true
		}
	}
	if len(cues) < 8 || !named {
		t.Errorf("cue sheet: %v", cues)
	}
	for _, f := range feats[5:] {
		p := f.(map[string]any)["properties"].(map[string]any)
		if p["kind"] != "stop" || p["snap_distance_m"].(float64) > route.DefaultMaxSnap {
			t.Errorf("stop: %v", p)
		}
	}
}

func TestRouteBadInput(t *testing.T) {
	ts := routeServer(t, "route/ladders.osm")
	many := strings.Repeat("0.001,51.5;", route.MaxPoints) + "0.002,51.5"
	for _, c := range []struct {
		name, query string
		status      int
		field       string
	}{
		{"no points", "", 400, "points"},
		{"empty points", "points=", 400, "points"},
		{"points twice", "points=0,51.5;0.005,51.5&points=0,51.5", 400, "points"},
		{"one point", "points=0,51.5", 400, "points"},
		{"malformed", "points=0,51.5;nonsense", 400, "points[1]"},
		{"three numbers", "points=0,51.5;0,51.5,3", 400, "points[1]"},
		{"NaN", "points=0,51.5;NaN,51.5", 400, "points[1]"},
		{"Inf", "points=Inf,51.5;0,51.5", 400, "points[0]"},
		{"latitude 91", "points=0,51.5;0,91", 400, "points[1]"},
		{"longitude 181", "points=181,51.5;0,51.5", 400, "points[0]"},
		{"trailing semicolon", "points=0,51.5;0.005,51.5;", 400, "points[2]"},
		{"identical", "points=0,51.5;0,51.5", 400, "points[1]"},
		{"too many", "points=" + url.QueryEscape(many), 413, "points"},
		{"too long", "points=" + strings.Repeat("1", maxPointsBytes+1), 413, "points"},
		{"bad order", "points=0,51.5;0.005,51.5&order=random", 400, "order"},
		{"bad roundtrip", "points=0,51.5;0.005,51.5&roundtrip=maybe", 400, "roundtrip"},
		{"bad end", "points=0,51.5;0.005,51.5&end=later", 400, "end"},
		{"unknown parameter", "points=0,51.5;0.005,51.5&mode=car", 400, "mode"},
		{"far from roads", "points=0,51.5;1,52", 422, "points[1]"},
		{"island", "points=0,51.5;0.005,51.51", 422, "points[1]"},
	} {
		status, ctype, doc := routeGet(t, ts.URL+"/route?"+c.query)
		if status != c.status || ctype != "application/problem+json" || doc["field"] != c.field || doc["detail"] == "" {
			t.Errorf("%s: %d %s %v; want %d naming %s", c.name, status, ctype, doc, c.status, c.field)
		}
	}
	// Right input, for contrast.
	if status, _, doc := routeGet(t, ts.URL+"/route?points=0,51.5;0.005,51.5"); status != 200 {
		t.Errorf("good points: %d %v", status, doc)
	}
}

func TestRouteNoGraph(t *testing.T) {
	ts := routeServer(t, "")
	status, ctype, doc := routeGet(t, ts.URL+"/route?points=0,51.5;0.005,51.5")
	if status != http.StatusNotFound || ctype != "application/problem+json" || !strings.Contains(doc["detail"].(string), "--graph") {
		t.Errorf("%d %s %v", status, ctype, doc)
	}
	// Bad input is still named first.
	if status, _, doc := routeGet(t, ts.URL+"/route?points=x"); status != 400 || doc["field"] != "points[0]" {
		t.Errorf("%d %v", status, doc)
	}
}
