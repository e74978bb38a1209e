package webtest_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coopmap/coopmap"
)

// TestOGCBadInput checks that SQL and script text in filter values are
// values, on both stores: a plain no-match. The table of bad OGC API input
// of issue 5 (bbox, limit, cursors, datetime, sortby, crs, unknown and
// repeated parameters…) is now rows of testdata/hostile/http.tsv, run by
// TestHostileHTTP.
func TestOGCBadInput(t *testing.T) {
	each(t, func(t *testing.T, srv *httptest.Server, st coopmap.Store) {
		items := "/collections/coops/items"
		// SQL and script text in filter values are values: no match.
		for _, q := range []string{
			"sector=" + url.QueryEscape("' OR 1=1 --"),
			"status=" + url.QueryEscape(`Dissolved' OR 'a'='a`),
			"org_type=" + url.QueryEscape(`<script>alert(1)</script>`),
			"q=" + url.QueryEscape("'; DROP TABLE features; --"),
			"q=" + url.QueryEscape("1' UNION SELECT password FROM users --"),
		} {
			r := getOK(t, srv.URL+items+"?"+q)
			if num(r.json["numberMatched"]) != 0 || len(featureIDs(r.json)) != 0 {
				t.Errorf("%s: %v matched; want a plain no-match", q, r.json["numberMatched"])
			}
		}
		if r := getOK(t, srv.URL+items+"?limit=1"); num(r.json["numberMatched"]) != nCoops {
			t.Errorf("after the bad input, coops has %v features; want %d", r.json["numberMatched"], nCoops)
		}
	})
}

// TestOGCItems checks paging, filters and counts on both stores.
func TestOGCItems(t *testing.T) {
	each(t, func(t *testing.T, srv *httptest.Server, st coopmap.Store) {
		items := srv.URL + "/collections/coops/items"
		r := getOK(t, items)
		if ct := r.header.Get("Content-Type"); ct != "application/geo+json" {
			t.Errorf("Content-Type %q", ct)
		}
		if r.json["type"] != "FeatureCollection" || num(r.json["numberMatched"]) != nCoops || num(r.json["numberReturned"]) != coopmap.DefaultLimit {
			t.Fatalf("default page: type %v matched %v returned %v", r.json["type"], r.json["numberMatched"], r.json["numberReturned"])
		}
		if r.json["attribution"] != "Attribution for coops." || linkHref(r.json, "license") != "https://opendatacommons.org/licenses/by/1-0/" {
			t.Errorf("licence and attribution missing: %v %v", r.json["attribution"], r.json["links"])
		}
		if linkHref(r.json, "prev") != "" {
			t.Error("first page has a prev link")
		}
		f0 := r.json["features"].([]any)[0].(map[string]any)
		props := f0["properties"].(map[string]any)
		if f0["id"] != "coops.R0000" || props["source"] != "coops" || props["sector"] != "Housing" || props["updated"] == nil {
			t.Errorf("first feature: %v", f0)
		}

		// Next links walk every feature once; prev links walk back.
		var fwd []string
		url := items + "?limit=60&sortby=-name"
		var last response
		for pages := 0; url != ""; pages++ {
			last = getOK(t, url)
			if num(last.json["numberMatched"]) != nCoops {
				t.Fatalf("page %d: numberMatched %v", pages, last.json["numberMatched"])
			}
			fwd = append(fwd, featureIDs(last.json)...)
			url = linkHref(last.json, "next")
			if pages > 10 {
				t.Fatal("paging does not end")
			}
		}
		if len(fwd) != nCoops {
			t.Fatalf("paged through %d features; want %d", len(fwd), nCoops)
		}
		back := featureIDs(last.json)
		for url = linkHref(last.json, "prev"); url != ""; url = linkHref(last.json, "prev") {
			last = getOK(t, url)
			back = append(featureIDs(last.json), back...)
		}
		if !slices.Equal(fwd, back) {
			t.Errorf("prev links walk %d features in another order than next links", len(back))
		}

		for _, tc := range []struct {
			query string
			want  int
			ids   []string // some ids that must be present
		}{
			{"bbox=-0.2,51.45,0.05,51.65", 2, []string{"coops.R0001", "coops.R0002"}},
			{"bbox=-0.2,51.45,-100,0.05,51.65,100", 2, []string{"coops.R0001"}},
			{"sector=Housing", nCoops / 5, []string{"coops.R0000", "coops.R0005"}},
			{"sector=Housing&status=Dissolved", nCoops / 10, []string{"coops.R0010"}},
			{"q=cafe+elan", 1, []string{"coops.R0001"}},
			{"q=N226UJ", 1, []string{"coops.R0001"}},
			{"datetime=2000-01-01T00:00:00Z/..", nCoops, nil},
			{"datetime=../2000-01-01", 0, nil},
			{"datetime=2000-01-01", 0, nil},
			{"limit=10000", nCoops, []string{"coops.R0249"}},
			{"sortby=name&limit=1", nCoops, []string{"coops.R0002"}}, // "<script>…" sorts first
		} {
			r := getOK(t, items+"?"+tc.query)
			got := featureIDs(r.json)
			if num(r.json["numberMatched"]) != tc.want {
				t.Errorf("%s: numberMatched %v; want %d", tc.query, r.json["numberMatched"], tc.want)
			}
			if num(r.json["numberReturned"]) != len(got) {
				t.Errorf("%s: numberReturned %v for %d features", tc.query, r.json["numberReturned"], len(got))
			}
			for _, id := range tc.ids {
				if !slices.Contains(got, id) {
					t.Errorf("%s: %s missing from %v", tc.query, id, got)
				}
			}
		}

		// A bbox across the antimeridian.
		r = getOK(t, srv.URL+"/collections/pacific/items?bbox=179,-18,-179,-16")
		if got := featureIDs(r.json); !slices.Equal(got, []string{"pacific.east", "pacific.west"}) {
			t.Errorf("antimeridian bbox: %v", got)
		}
		// Polygons, and a source's own properties beside the built-in ones.
		r = getOK(t, srv.URL+"/collections/orchards/items/orchards.o0")
		props = r.json["properties"].(map[string]any)
		if r.json["geometry"].(map[string]any)["type"] != "Polygon" || props["variety"] != "Bramley" ||
			props["name"] != "Bramley orchard" || props["properties.name"] == nil || r.json["attribution"] != "Attribution for orchards." {
			t.Errorf("orchard: %s", r.body)
		}
		if linkHref(r.json, "license") != "https://creativecommons.org/licenses/by/4.0/" {
			t.Errorf("orchard links: %v", r.json["links"])
		}
	})
}

// TestOGCTours checks the tours and tour-stops collections.
func TestOGCTours(t *testing.T) {
	each(t, func(t *testing.T, srv *httptest.Server, st coopmap.Store) {
		r := getOK(t, srv.URL+"/collections/tours/items")
		if got := featureIDs(r.json); !slices.Equal(got, []string{"north-london", "orchard-ride"}) {
			t.Fatalf("tours: %v", got)
		}
		tour := r.json["features"].([]any)[0].(map[string]any)
		if g := tour["geometry"].(map[string]any); g["type"] != "LineString" || len(g["coordinates"].([]any)) != 3 {
			t.Errorf("tour geometry: %v", g)
		}
		if r.json["attribution"] != "Attribution for bike-tours." || linkHref(r.json, "license") != "https://opendatacommons.org/licenses/odbl/1-0/" {
			t.Errorf("tours licence: %v %v", r.json["attribution"], r.json["links"])
		}
		r = getOK(t, srv.URL+"/collections/tour-stops/items?limit=2")
		if num(r.json["numberMatched"]) != 4 || !slices.Equal(featureIDs(r.json), []string{"north-london.1", "north-london.2"}) {
			t.Errorf("stops: %v %v", r.json["numberMatched"], featureIDs(r.json))
		}
		next := getOK(t, linkHref(r.json, "next"))
		if !slices.Equal(featureIDs(next.json), []string{"north-london.3", "orchard-ride.1"}) || linkHref(next.json, "next") != "" {
			t.Errorf("stops page 2: %v", featureIDs(next.json))
		}
		prev := getOK(t, linkHref(next.json, "prev"))
		if !slices.Equal(featureIDs(prev.json), []string{"north-london.1", "north-london.2"}) {
			t.Errorf("stops prev: %v", featureIDs(prev.json))
		}
		stop := getOK(t, srv.URL+"/collections/tour-stops/items/north-london.1")
		if p := stop.json["properties"].(map[string]any); p["name"] != "Café Élan Workers' Co-operative" || p["tour_id"] != "north-london" || p["feature_id"] != "coops.R0001" {
			t.Errorf("stop 1 properties: %v", p)
		}
		r = getOK(t, srv.URL+"/collections/tour-stops/items?bbox=-2.1,51.9,-1.9,52.1&q=start")
		if got := featureIDs(r.json); !slices.Equal(got, []string{"orchard-ride.1"}) {
			t.Errorf("stops bbox+q: %v", got)
		}
	})
}

// TestOGCDocuments checks the landing page, conformance, collections and
// queryables.
func TestOGCDocuments(t *testing.T) {
	each(t, func(t *testing.T, srv *httptest.Server, st coopmap.Store) {
		land := getOK(t, srv.URL+"/")
		for _, rel := range []string{"self", "service-desc", "conformance", "data"} {
			if !strings.HasPrefix(linkHref(land.json, rel), srv.URL) {
				t.Errorf("landing page: no absolute %s link", rel)
			}
		}
		conf := getOK(t, srv.URL+"/conformance")
		if cs := conf.json["conformsTo"].([]any); !slices.Contains(cs, any("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core")) {
			t.Errorf("conformance: %v", cs)
		}
		cols := getOK(t, srv.URL+"/collections")
		var ids []string
		for _, c := range cols.json["collections"].([]any) {
			c := c.(map[string]any)
			ids = append(ids, c["id"].(string))
			if c["attribution"] == "" {
				t.Errorf("%s: no attribution", c["id"])
			}
		}
		if !slices.Equal(ids, []string{"coops", "orchards", "pacific", "tours", "tour-stops"}) {
			t.Fatalf("collections: %v", ids)
		}
		c := getOK(t, srv.URL+"/collections/coops")
		if linkHref(c.json, "license") != "https://opendatacommons.org/licenses/by/1-0/" || !strings.HasSuffix(linkHref(c.json, "items"), "/collections/coops/items?f=json") {
			t.Errorf("collection links: %v", c.json["links"])
		}
		bbox := c.json["extent"].(map[string]any)["spatial"].(map[string]any)["bbox"].([]any)[0].([]any)
		if b := []float64{bbox[0].(float64), bbox[1].(float64), bbox[2].(float64), bbox[3].(float64)}; b[0] > -5.5 || b[0] < -5.501 || b[1] > 50.2 || b[3] < 56.2 {
			t.Errorf("coops extent %v", b)
		}
		if lic := c.json["licence"].([]any)[0].(map[string]any); lic["id"] != "ODC-By-1.0" {
			t.Errorf("licence %v", lic)
		}
		q := getOK(t, srv.URL+"/collections/coops/queryables")
		if ct := q.header.Get("Content-Type"); ct != "application/schema+json" {
			t.Errorf("queryables Content-Type %q", ct)
		}
		props := q.json["properties"].(map[string]any)
		if len(props) != 3 || props["sector"] == nil || q.json["$schema"] == nil {
			t.Errorf("queryables: %s", q.body)
		}
		if q := getOK(t, srv.URL+"/collections/tours/queryables"); len(q.json["properties"].(map[string]any)) != 0 {
			t.Errorf("tours queryables: %s", q.body)
		}
	})
}

// TestOGCConditional checks ETag and Last-Modified revalidation, and that
// a change to the data changes the tag.
func TestOGCConditional(t *testing.T) {
	each(t, func(t *testing.T, srv *httptest.Server, st coopmap.Store) {
		for _, path := range []string{"/", "/collections", "/collections/coops", "/collections/coops/items?limit=5",
			"/collections/coops/items/coops.R0001", "/collections/tours/items", "/api", "/collections/coops/items?f=html"} {
			r := getOK(t, srv.URL+path)
			tag := r.header.Get("ETag")
			if !strings.HasPrefix(tag, `W/"`) {
				t.Fatalf("%s: ETag %q", path, tag)
			}
			if r2 := get(t, srv.URL+path, "If-None-Match", tag); r2.status != http.StatusNotModified || len(r2.body) != 0 {
				t.Errorf("%s: If-None-Match its tag: status %d", path, r2.status)
			}
			if r2 := get(t, srv.URL+path, "If-None-Match", `W/"other"`); r2.status != http.StatusOK {
				t.Errorf("%s: If-None-Match another tag: status %d", path, r2.status)
			}
			if lm := r.header.Get("Last-Modified"); lm != "" {
				if r2 := get(t, srv.URL+path, "If-Modified-Since", lm); r2.status != http.StatusNotModified {
					t.Errorf("%s: If-Modified-Since its Last-Modified: status %d", path, r2.status)
				}
			}
		}
		items := srv.URL + "/collections/coops/items?limit=5"
		before := getOK(t, items).header.Get("ETag")
		f := coopFeature(0)
		f.Name = "Renamed"
		var fs []coopmap.Feature
		for i := range nCoops {
			fs = append(fs, coopFeature(i))
		}
		fs[0] = f
		if _, err := st.ReplaceSource(t.Context(), source("coops", coopmap.KindCoops, "ODC-By-1.0"), seq(fs)); err != nil {
			t.Fatal(err)
		}
		r := get(t, items, "If-None-Match", before)
		if r.status != http.StatusOK || r.header.Get("ETag") == before {
			t.Errorf("after a re-import: status %d, tag %s (was %s)", r.status, r.header.Get("ETag"), before)
		}
	})
}

// TestOGCFormatsAndHeaders checks HTML by f and Accept, gzip and CORS.
func TestOGCFormatsAndHeaders(t *testing.T) {
	each(t, func(t *testing.T, srv *httptest.Server, st coopmap.Store) {
		browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
		// A browser asking for / gets the web map; the landing page is
		// HTML with f=html.
		if r := getOK(t, srv.URL+"/?f=html", "Accept", browser); !strings.Contains(string(r.body), `href="http`) || r.header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("landing page as HTML: %q\n%s", r.header.Get("Content-Type"), r.body)
		}
		for _, path := range []string{"/conformance", "/collections", "/collections/coops", "/collections/coops/queryables",
			"/collections/coops/items", "/collections/coops/items/coops.R0002", "/collections/tour-stops/items"} {
			r := getOK(t, srv.URL+path, "Accept", browser)
			if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("%s with a browser's Accept: Content-Type %q", path, ct)
			}
			body := string(r.body)
			if strings.Contains(body, "<script") {
				t.Errorf("%s: the page has a script element (or unescaped data)", path)
			}
			if !strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("%s: CSP %q", path, r.header.Get("Content-Security-Policy"))
			}
			if strings.Contains(path, "coops") && !strings.HasSuffix(path, "queryables") && !strings.Contains(body, `rel="license"`) {
				t.Errorf("%s: no licence link in the HTML", path)
			}
			if j := getOK(t, srv.URL+path, "Accept", "application/json"); !strings.Contains(j.header.Get("Content-Type"), "json") {
				t.Errorf("%s with Accept JSON: %q", path, j.header.Get("Content-Type"))
			}
		}
		r := getOK(t, srv.URL+"/collections/coops/items/coops.R0002?f=html")
		if !strings.Contains(string(r.body), "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Sons") {
			t.Errorf("the script name is not escaped as text:\n%s", r.body)
		}
		if r := getOK(t, srv.URL+"/collections?f=json", "Accept", browser); !strings.Contains(r.header.Get("Content-Type"), "json") {
			t.Errorf("f=json loses to Accept: %q", r.header.Get("Content-Type"))
		}

		// gzip, when asked for.
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/collections/coops/items?limit=100", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("Content-Encoding %q; want gzip", resp.Header.Get("Content-Encoding"))
		}

		// CORS: reads from anywhere, writes from nowhere.
		r = getOK(t, srv.URL+"/collections", "Origin", "https://example.org")
		if r.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("GET from another origin: Access-Control-Allow-Origin %q", r.header.Get("Access-Control-Allow-Origin"))
		}
		for _, tc := range []struct {
			method, headers string
			allowed         bool
		}{
			{"GET", "if-none-match", true},
			{"POST", "content-type", false},
			{"PUT", "", false},
			{"DELETE", "", false},
		} {
			req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/collections/coops/items", nil)
			req.Header.Set("Origin", "https://example.org")
			req.Header.Set("Access-Control-Request-Method", tc.method)
			if tc.headers != "" {
				req.Header.Set("Access-Control-Request-Headers", tc.headers)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := resp.Header.Get("Access-Control-Allow-Origin") != ""
			if got != tc.allowed {
				t.Errorf("preflight for %s: allowed %v; want %v", tc.method, got, tc.allowed)
			}
		}
	})
}
