package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coopmap/coopmap/postcodes"
	"github.com/coopmap/coopmap/search"
	"github.com/coopmap/coopmap/search/searchbench"
	"github.com/coopmap/coopmap/store/postgis/postgistest"
	"github.com/coopmap/coopmap/web"
)

// The search and nearest endpoints over HTTP, end to end: the real
// importer fills each real store, serveWith wires the index as in
// production, and an import while serving shows up in the next search.
// (Ranking and typo details are unit-tested in package search.)

// searchStores returns, for each store, a fresh --db value that
// runImport can fill.
func searchStores() []struct {
	name string
	db   func(t *testing.T) string
} {
	return []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"geopackage", func(t *testing.T) string { return filepath.Join(t.TempDir(), "coopmap.gpkg") }},
		{"postgis", func(t *testing.T) string {
			dsn := postgistest.Schema(t)
			var out, errb bytes.Buffer
			if code := run(context.Background(), []string{"migrate", "--db", dsn}, &out, &errb, noEnv); code != 0 {
				t.Fatalf("migrate: %d %s", code, errb.String())
			}
			return dsn
		}},
	}
}

// getJSON fetches base+path and decodes the body.
func getJSON(t *testing.T, u string) (int, string, map[string]any) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("GET %.200s: body is not JSON: %.300q", u, body)
	}
	return res.StatusCode, res.Header.Get("Content-Type"), m
}

// features returns the features of a FeatureCollection.
func features(m map[string]any) []map[string]any {
	fs, _ := m["features"].([]any)
	out := make([]map[string]any, len(fs))
	for i, f := range fs {
		out[i], _ = f.(map[string]any)
	}
	return out
}

func props(f map[string]any) map[string]any {
	p, _ := f["properties"].(map[string]any)
	return p
}

func TestSearchHTTP(t *testing.T) {
	for _, st := range searchStores() {
		t.Run(st.name, func(t *testing.T) {
			db := st.db(t)
			if code, out, errs := runImport(t, append(newSource(db), sample)...); code != 0 {
				t.Fatalf("import: %d %s %s", code, out, errs)
			}
			base, _, _ := startServer(t, Config{DB: db})
			testSearch(t, base)
			testNearest(t, base)
			testSearchSeesImports(t, base, db)
			testSearchBadInput(t, base)
		})
	}
}

func testSearch(t *testing.T, base string) {
	for _, c := range []struct {
		q, first, matched string
	}{
		{"maesteg workmens club", "coops-uk.R006884", "name"},
		{"MAESTEG", "coops-uk.R006884", "name"},
		{"sheffeild bakery", "coops-uk.R032635", "name"}, // a typo
		{"nantwich mil", "coops-uk.R035438", "name"},     // unfinished
		{"red learning cooperative", "coops-uk.R022441", "name"},
		{"cf34 9yy", "coops-uk.R006884", "postcode"},
		{"crianlarich", "coops-uk.R007634", "address"},
		{"Fénce", "coops-uk.R007634", "name"}, // accent and a prefix
	} {
		code, ctype, m := getJSON(t, base+"/search?q="+url.QueryEscape(c.q))
		fs := features(m)
		if code != 200 || ctype != "application/geo+json" || m["type"] != "FeatureCollection" || len(fs) == 0 {
			t.Errorf("%q: %d %s %v", c.q, code, ctype, m)
			continue
		}
		p := props(fs[0])
		if fs[0]["id"] != c.first || p["id"] != c.first || p["matched"] != c.matched || p["source"] != "coops-uk" || p["score"].(float64) <= 0 || p["name"] == "" {
			t.Errorf("%q: first hit %v; want %s matched on %s", c.q, fs[0], c.first, c.matched)
		}
		if g := fs[0]["geometry"].(map[string]any); g["type"] != "Point" || len(g["coordinates"].([]any)) != 2 {
			t.Errorf("%q: geometry %v", c.q, g)
		}
		// Licence and attribution travel with the hits.
		srcs, _ := m["sources"].([]any)
		if len(srcs) != 1 || srcs[0].(map[string]any)["attribution"] == "" || srcs[0].(map[string]any)["licence"].(map[string]any)["id"] != "ODC-By-1.0" {
			t.Errorf("%q: sources %v", c.q, m["sources"])
		}
	}

	// A postcode and a district are places to fly to, from OS data.
	_, _, m := getJSON(t, base+"/search?q=CF34+9YY")
	places, _ := m["places"].([]any)
	if len(places) != 1 {
		t.Fatalf("CF34 9YY: places %v", m["places"])
	}
	p := places[0].(map[string]any)
	center := p["center"].([]any)
	if p["kind"] != "postcode" || p["postcode"] != "CF34 9YY" || math.Abs(center[0].(float64)+3.65469) > 1e-6 || p["bbox"] != nil ||
		!strings.Contains(p["attribution"].(string), "OS data") || p["licence"].(map[string]any)["id"] != "OGL-UK-3.0" {
		t.Errorf("CF34 9YY place: %v", p)
	}
	_, _, m = getJSON(t, base+"/search?q=n15")
	places, _ = m["places"].([]any)
	if len(places) != 1 || places[0].(map[string]any)["kind"] != "district" || len(places[0].(map[string]any)["bbox"].([]any)) != 4 {
		t.Errorf("N15: places %v", m["places"])
	}
	if fs := features(m); len(fs) != 1 || fs[0]["id"] != "coops-uk.R035517" || props(fs[0])["matched"] != "postcode" {
		t.Errorf("N15: features %v", fs)
	}

	// limit and source.
	_, _, m = getJSON(t, base+"/search?q=club&limit=2&source=coops-uk")
	if fs := features(m); len(fs) != 2 || m["numberReturned"] != float64(2) {
		t.Errorf("limit=2: %v", m)
	}
	// SQL and script text are just words that match nothing.
	for _, q := range []string{"'; DROP TABLE features; --", "<script>alert(1)</script>", "%' OR '1'='1"} {
		if code, _, m := getJSON(t, base+"/search?q="+url.QueryEscape(q)); code != 200 || len(features(m)) != 0 {
			t.Errorf("%q: %d %v", q, code, m)
		}
	}
}

func testNearest(t *testing.T, base string) {
	code, ctype, m := getJSON(t, base+"/nearest?lon=-3.65&lat=51.6&n=3")
	fs := features(m)
	if code != 200 || ctype != "application/geo+json" || len(fs) != 3 {
		t.Fatalf("nearest: %d %s %v", code, ctype, m)
	}
	if fs[0]["id"] != "coops-uk.R006884" {
		t.Errorf("nearest to Maesteg: %v", fs[0])
	}
	last := -1.0
	for _, f := range fs {
		d := props(f)["distance_m"].(float64)
		if d < last {
			t.Errorf("distances not ascending: %v", fs)
		}
		last = d
	}
	// Maesteg's record is at -3.654703, 51.608344: about 1,000 m away.
	if d := props(fs[0])["distance_m"].(float64); d < 900 || d > 1100 {
		t.Errorf("distance to Maesteg %.1f m", d)
	}
	if srcs, _ := m["sources"].([]any); len(srcs) != 1 {
		t.Errorf("nearest: sources %v", m["sources"])
	}
	// The far side of the world, across the antimeridian: still an answer.
	if code, _, m := getJSON(t, base+"/nearest?lon=180&lat=-89.5&n=1&source=coops-uk"); code != 200 || len(features(m)) != 1 {
		t.Errorf("antipodes: %d %v", code, m)
	}
}

// testSearchSeesImports imports a second source while the server runs and
// finds it in the very next search.
func testSearchSeesImports(t *testing.T, base, db string) {
	csv := filepath.Join(t.TempDir(), "orchards.csv")
	if err := os.WriteFile(csv, []byte("id,name,lon,lat\no1,Zanzibar Community Orchard,-2.6,51.45\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runImport(t, "--db", db, "--source", "orchards", "--kind", "features", "--licence", "CC0-1.0",
		"--attribution", "Test orchards", csv); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	_, _, m := getJSON(t, base+"/search?q=zanzibar+orchard")
	if fs := features(m); len(fs) != 1 || props(fs[0])["source"] != "orchards" {
		t.Errorf("after import: %v", m)
	}
	if _, _, m := getJSON(t, base+"/nearest?lon=-2.6&lat=51.45&n=1&source=orchards"); len(features(m)) != 1 || props(features(m)[0])["distance_m"] != float64(0) {
		t.Errorf("nearest after import: %v", m)
	}
}

func testSearchBadInput(t *testing.T, base string) {
	long := strings.Repeat("a", 10<<10)
	for _, c := range []struct{ query, field string }{
		{"/search", "q"},
		{"/search?q=", "q"},
		{"/search?q=%20%20", "q"},
		{"/search?q=%21%3F", "q"},
		{"/search?q=" + long, "q"},
		{"/search?q=%FF", "q"},
		{"/search?q=a&q=b", "q"},
		{"/search?q=a+b+c+d+e+f+g+h+i", "q"},
		{"/search?q=club&limit=0", "limit"},
		{"/search?q=club&limit=-1", "limit"},
		{"/search?q=club&limit=101", "limit"},
		{"/search?q=club&limit=1e9", "limit"},
		{"/search?q=club&limit=abc", "limit"},
		{"/search?q=club&limit=99999999999999999999999", "limit"},
		{"/search?q=club&source=nope", "source"},
		{"/search?q=club&source=coops-uk,'%20OR%201=1", "source"},
		{"/search?q=club&sort=name", "sort"},
		{"/nearest", "lon"},
		{"/nearest?lat=0", "lon"},
		{"/nearest?lon=0", "lat"},
		{"/nearest?lon=NaN&lat=0", "lon"},
		{"/nearest?lon=Infinity&lat=0", "lon"},
		{"/nearest?lon=1e999&lat=0", "lon"},
		{"/nearest?lon=abc&lat=0", "lon"},
		{"/nearest?lon=0x1p3&lat=0", "lon"},
		{"/nearest?lon=180.5&lat=0", "lon"},
		{"/nearest?lon=0&lat=91", "lat"},
		{"/nearest?lon=0&lat=-90.01", "lat"},
		{"/nearest?lon=0&lat=nan", "lat"},
		{"/nearest?lon=0&lat=0&n=0", "n"},
		{"/nearest?lon=0&lat=0&n=-1", "n"},
		{"/nearest?lon=0&lat=0&n=101", "n"},
		{"/nearest?lon=0&lat=0&n=1000000000000", "n"},
		{"/nearest?lon=0&lat=0&n=2.5", "n"},
		{"/nearest?lon=0&lat=0&source=nope", "source"},
		{"/nearest?lon=0&lat=0&lon=1", "lon"},
	} {
		code, ctype, m := getJSON(t, base+c.query)
		if code != 400 || ctype != "application/problem+json" || m["field"] != c.field || m["status"] != float64(400) || m["detail"] == "" {
			t.Errorf("%.80s: %d %s %v; want a 400 problem naming %s", c.query, code, ctype, m, c.field)
		}
	}
}

// BenchmarkSearchHTTP measures /search end to end: HTTP, the version
// check against the store on every request, and the index, over the
// 19,532 records of package searchbench imported into each store with
// the real importer. Figures are in docs/PERFORMANCE.md.
func BenchmarkSearchHTTP(b *testing.B) {
	for _, st := range []struct {
		name string
		db   func(b *testing.B) string
	}{
		{"geopackage", func(b *testing.B) string { return filepath.Join(b.TempDir(), "coopmap.gpkg") }},
		{"postgis", func(b *testing.B) string {
			dsn := postgistest.Schema(b)
			mustRun(b, "migrate", "--db", dsn)
			return dsn
		}},
	} {
		b.Run(st.name, func(b *testing.B) {
			db := st.db(b)
			sold, err := searchbench.SoldSpaces("../..")
			if err != nil {
				b.Fatal(err)
			}
			csvPath := filepath.Join(b.TempDir(), "sold-spaces.csv")
			var buf bytes.Buffer
			if err := searchbench.WriteCSV(&buf, sold); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(csvPath, buf.Bytes(), 0o644); err != nil {
				b.Fatal(err)
			}
			mustRun(b, append(newSource(db), "../../"+searchbench.CoopsUKPath)...)
			mustRun(b, "import", "--db", db, "--source", searchbench.SoldSource, "--kind", "features",
				"--licence", "CC0-1.0", "--attribution", "Synthetic benchmark data", csvPath)

			ctx := context.Background()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			store, err := openStore(ctx, Config{DB: db}, log)
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			places, err := postcodes.Load()
			if err != nil {
				b.Fatal(err)
			}
			index := search.New(store, places, search.Options{})
			if err := index.Refresh(ctx); err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(web.New(store, log, web.Config{Search: index}).Handler())
			defer srv.Close()

			queries := searchbench.Queries()
			var ds []time.Duration
			for i := 0; b.Loop(); i++ {
				u := srv.URL + "/search?q=" + url.QueryEscape(queries[i%len(queries)])
				t0 := time.Now()
				res, err := http.Get(u)
				if err != nil {
					b.Fatal(err)
				}
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				ds = append(ds, time.Since(t0))
				if err != nil || res.StatusCode != 200 {
					b.Fatalf("%s: %d %v", u, res.StatusCode, err)
				}
			}
			searchbench.Report(b, ds)
		})
	}
}

// mustRun runs a coopmap command in-process ("import" is added when the
// first argument is a flag) and fails b if it fails.
func mustRun(b *testing.B, args ...string) {
	b.Helper()
	if strings.HasPrefix(args[0], "-") {
		args = append([]string{"import"}, args...)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), args, &out, &errb, noEnv); code != 0 {
		b.Fatalf("coopmap %s: exit %d\n%s%s", args[0], code, out.String(), errb.String())
	}
}
