package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/web"
	"github.com/coopmap/coopmap/web/webtest"
)

// downloadSource is a small co-op source: 30 co-ops in three sectors,
// spread along a line of longitude from -3 to -0.1.
var downloadSource = coopmap.Source{
	ID: "coops", Title: "Co-ops", Kind: coopmap.KindCoops, Licence: coopmap.Licence{ID: "ODC-By-1.0"},
	Attribution: "Contains data from Co-operatives UK", Owner: "Co-operatives UK", Origin: "https://www.uk.coop/",
	RetrievedAt: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
}

func downloadFeatures() iter.Seq2[coopmap.Feature, error] {
	return func(yield func(coopmap.Feature, error) bool) {
		for i := range 30 {
			f := coopmap.Feature{
				ID: coopmap.FeatureID("coops", fmt.Sprintf("R%03d", i)), SourceID: "coops",
				Name: fmt.Sprintf("Co-op %d, \"the\" <b>best</b>", i), Sector: []string{"Housing", "Food", "Energy"}[i%3],
				Geometry: orb.Point{-3 + float64(i)*0.1, 52}, Precision: coopmap.PrecisionExact,
			}
			if !yield(f, nil) {
				return
			}
		}
	}
}

// eachStore runs fn once per store (webtest.Stores: the GeoPackage file
// and PostGIS), each over a fresh store holding the test source and one
// tour, served with cfg.
func eachStore(t *testing.T, cfg web.Config, fn func(t *testing.T, srv *httptest.Server)) {
	for _, s := range webtest.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			fn(t, webtest.Serve(t, fillDownloads(t, s.Open(t)), cfg))
		})
	}
}

// fillDownloads puts the test source and a tour into st.
func fillDownloads(t *testing.T, st coopmap.Store) coopmap.Store {
	t.Helper()
	ctx := context.Background()
	if _, err := st.ReplaceSource(ctx, downloadSource, downloadFeatures()); err != nil {
		t.Fatal(err)
	}
	tours := coopmap.Source{ID: "bike-tours", Title: "Tours", Kind: coopmap.KindTours, Licence: coopmap.Licence{ID: "ODbL-1.0"},
		Attribution: "© OpenStreetMap contributors"}
	if _, err := st.ReplaceSource(ctx, tours, func(func(coopmap.Feature, error) bool) {}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateTour(ctx, coopmap.Tour{ID: "north", SourceID: "bike-tours", Title: "North tour", Stops: []coopmap.Stop{
		{FeatureID: "coops.R001"}, {Name: "Park", Location: orb.Point{-1, 53}},
	}}); err != nil {
		t.Fatal(err)
	}
	return st
}

// newDownloadServer serves the test data from a GeoPackage store only,
// for tests of the handler's own behaviour rather than the store's.
func newDownloadServer(t *testing.T, cfg web.Config) *httptest.Server {
	t.Helper()
	return webtest.Serve(t, fillDownloads(t, webtest.Stores()[0].Open(t)), cfg)
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return res, body
}

// geojsonCount decodes a GeoJSON download and returns its features' ids
// and its licence id.
func geojsonFeatures(t *testing.T, body []byte) ([]string, string) {
	t.Helper()
	var fc struct {
		Licence  coopmap.Licence `json:"licence"`
		Features []struct {
			ID string `json:"id"`
		} `json:"features"`
	}
	if err := json.Unmarshal(body, &fc); err != nil {
		t.Fatalf("%v:\n%s", err, body)
	}
	ids := make([]string, len(fc.Features))
	for i, f := range fc.Features {
		ids[i] = f.ID
	}
	return ids, fc.Licence.ID
}

func TestDownloadFormats(t *testing.T) {
	eachStore(t, web.Config{}, testDownloadFormats)
}

func testDownloadFormats(t *testing.T, srv *httptest.Server) {
	for _, tc := range []struct {
		query, typ, file string
		check            func(t *testing.T, body []byte)
	}{
		{"", "application/geo+json", "coops.geojson", func(t *testing.T, body []byte) {
			if ids, lic := geojsonFeatures(t, body); len(ids) != 30 || lic != "ODC-By-1.0" {
				t.Errorf("%d features, licence %q", len(ids), lic)
			}
		}},
		{"?f=geojson&sector=Food", "application/geo+json", "coops-filtered.geojson", func(t *testing.T, body []byte) {
			if ids, _ := geojsonFeatures(t, body); len(ids) != 10 {
				t.Errorf("%d features, want 10", len(ids))
			}
		}},
		{"?f=geojson&bbox=-2.05,51,-1.05,53", "application/geo+json", "coops-filtered.geojson", func(t *testing.T, body []byte) {
			if ids, _ := geojsonFeatures(t, body); len(ids) != 10 || ids[0] != "R010" {
				t.Errorf("features %v, want R010…R019", ids)
			}
		}},
		{"?f=geojson&q=co-op%2012", "application/geo+json", "coops-filtered.geojson", func(t *testing.T, body []byte) {
			if ids, _ := geojsonFeatures(t, body); len(ids) != 1 || ids[0] != "R012" {
				t.Errorf("features %v, want R012", ids)
			}
		}},
		{"?f=csv", "application/zip", "coops.csv.zip", func(t *testing.T, body []byte) {
			zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
			if err != nil || len(zr.File) != 2 || zr.File[0].Name != "LICENSE.txt" || zr.File[1].Name != "coops.csv" {
				t.Fatalf("zip: %v", err)
			}
			r, _ := zr.File[1].Open()
			b, _ := io.ReadAll(r)
			if n := strings.Count(string(b), "\r\n"); n != 31 {
				t.Errorf("%d lines, want a header and 30 rows", n)
			}
		}},
		{"?f=kml&sector=Housing", "application/vnd.google-earth.kml+xml", "coops-filtered.kml", func(t *testing.T, body []byte) {
			if n := bytes.Count(body, []byte("<Placemark ")); n != 10 || !bytes.Contains(body, []byte("Contains data from Co-operatives UK")) {
				t.Errorf("%d placemarks", n)
			}
		}},
		{"?f=gpx", "application/gpx+xml", "coops.gpx", func(t *testing.T, body []byte) {
			if n := bytes.Count(body, []byte("<wpt ")); n != 30 || !bytes.Contains(body, []byte("<license>https://opendatacommons.org/licenses/by/1-0/</license>")) {
				t.Errorf("%d waypoints", n)
			}
		}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			res, body := get(t, srv.URL+"/collections/coops/download"+tc.query)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", res.StatusCode, body)
			}
			if got := res.Header.Get("Content-Type"); got != tc.typ {
				t.Errorf("Content-Type %q, want %q", got, tc.typ)
			}
			if got, want := res.Header.Get("Content-Disposition"), `attachment; filename="`+tc.file+`"`; got != want {
				t.Errorf("Content-Disposition %q, want %q", got, want)
			}
			if got := res.Header.Get("Link"); got != `<https://opendatacommons.org/licenses/by/1-0/>; rel="license"` {
				t.Errorf("Link %q", got)
			}
			tc.check(t, body)
		})
	}
}

func TestDownloadTours(t *testing.T) {
	eachStore(t, web.Config{}, testDownloadTours)
}

func testDownloadTours(t *testing.T, srv *httptest.Server) {
	res, body := get(t, srv.URL+"/collections/tours/download?f=gpx")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	if !bytes.Contains(body, []byte("<trk><name>North tour</name>")) || !bytes.Contains(body, []byte("https://opendatacommons.org/licenses/odbl/1-0/")) ||
		!bytes.Contains(body, []byte("© OpenStreetMap contributors")) {
		t.Errorf("tours GPX:\n%s", body)
	}
	res, body = get(t, srv.URL+"/collections/tour-stops/download?f=geojson")
	if ids, lic := geojsonFeatures(t, body); res.StatusCode != http.StatusOK || len(ids) != 2 || lic != "ODbL-1.0" {
		t.Errorf("tour stops: %d %v %q", res.StatusCode, ids, lic)
	}
}

// TestDownloadBadInput checks that every bad request is a 4xx problem
// naming the parameter, answered before any of a file is sent.
func TestDownloadBadInput(t *testing.T) {
	eachStore(t, web.Config{}, testDownloadBadInput)
}

func testDownloadBadInput(t *testing.T, srv *httptest.Server) {
	for _, tc := range []struct {
		path   string
		status int
		field  string
	}{
		{"/collections/coops/download?f=shp", 400, "f"},
		{"/collections/coops/download?f=", 400, "f"},
		{"/collections/coops/download?f=gpkg", 400, "f"}, // no GeoPackage writer configured
		{"/collections/coops/download?f=csv&f=kml", 400, "f"},
		{"/collections/coops/download?bbox=1,2,3", 400, "bbox"},
		{"/collections/coops/download?bbox=1,2,3,4,5", 400, "bbox"},
		{"/collections/coops/download?bbox=NaN,1,2,3", 400, "bbox"},
		{"/collections/coops/download?bbox=-Infinity,1,2,3", 400, "bbox"},
		{"/collections/coops/download?bbox=1e999,1,2,3", 400, "bbox"},
		{"/collections/coops/download?bbox=0,0,1,91", 400, "bbox"},
		{"/collections/coops/download?limit=10", 400, "limit"},
		{"/collections/coops/download?colour=red", 400, "colour"},
		{"/collections/coops/download?sector=", 400, "sector"},
		{"/collections/coops/download?datetime=yesterday", 400, "datetime"},
		{"/collections/coops/download?q=" + strings.Repeat("a", 300), 400, "q"},
		{"/collections/coops/download?q=" + strings.Repeat("a", 10<<10), 400, "q|query"},
		{"/collections/nope/download?f=csv", 404, ""},
		{"/collections/%3Cscript%3E/download", 404, ""},
	} {
		name := tc.path
		if len(name) > 80 {
			name = name[:80] + "…"
		}
		t.Run(name, func(t *testing.T) {
			res, body := get(t, srv.URL+tc.path)
			if res.StatusCode != tc.status || res.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			if res.Header.Get("Content-Disposition") != "" {
				t.Errorf("a problem with Content-Disposition %q", res.Header.Get("Content-Disposition"))
			}
			var p web.Problem
			if err := json.Unmarshal(body, &p); err != nil || !slices.Contains(strings.Split(tc.field, "|"), p.Field) {
				t.Errorf("problem %+v (%v), want field %q", p, err, tc.field)
			}
		})
	}
	// Script and SQL in filter values are data: no match, an empty file.
	res, body := get(t, srv.URL+"/collections/coops/download?sector=%27%3B%20DROP%20TABLE%20features%3B--&q=%3Cscript%3E")
	if ids, _ := geojsonFeatures(t, body); res.StatusCode != 200 || len(ids) != 0 {
		t.Errorf("status %d, %d features", res.StatusCode, len(ids))
	}
}

// TestDownloadWriterFailures checks what a client sees when a writer
// fails: before anything is sent, a problem; midway, a broken transfer,
// never a short file that looks whole.
func TestDownloadWriterFailures(t *testing.T) {
	early := func(ctx context.Context, w io.Writer, src coopmap.Source, fs iter.Seq2[coopmap.Feature, error]) error {
		return coopmap.Invalidf("features[3].geometry", "is broken")
	}
	srv := newDownloadServer(t, web.Config{GeoPackage: early})
	res, body := get(t, srv.URL+"/collections/coops/download?f=gpkg")
	if res.StatusCode != 400 || res.Header.Get("Content-Disposition") != "" || !bytes.Contains(body, []byte(`"field":"features[3].geometry"`)) {
		t.Errorf("early failure: %d %v %s", res.StatusCode, res.Header, body)
	}

	midway := func(ctx context.Context, w io.Writer, src coopmap.Source, fs iter.Seq2[coopmap.Feature, error]) error {
		// More than net/http buffers, so the status line has gone.
		w.Write(bytes.Repeat([]byte("x"), 100<<10))
		return errors.New("disk full")
	}
	srv = newDownloadServer(t, web.Config{GeoPackage: midway})
	r, err := http.Get(srv.URL + "/collections/coops/download?f=gpkg")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if _, err := io.ReadAll(r.Body); err == nil {
		t.Error("a download that failed midway read as complete")
	}
}

// TestDownloadGeoPackageBusy checks that GeoPackage builds beyond the
// limit are turned away with a 503 and Retry-After, and others are not.
func TestDownloadGeoPackageBusy(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	blocking := func(ctx context.Context, w io.Writer, src coopmap.Source, fs iter.Seq2[coopmap.Feature, error]) error {
		started <- struct{}{}
		<-release
		_, err := io.WriteString(w, "gpkg")
		return err
	}
	srv := newDownloadServer(t, web.Config{GeoPackage: blocking, GeoPackageBuilds: 1})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		res, err := http.Get(srv.URL + "/collections/coops/download?f=gpkg")
		if err == nil {
			res.Body.Close()
		}
	}()
	<-started
	res, body := get(t, srv.URL+"/collections/coops/download?f=gpkg")
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("second build: %d %s", res.StatusCode, body)
	}
	if res, _ := get(t, srv.URL+"/collections/coops/download?f=kml"); res.StatusCode != http.StatusOK {
		t.Errorf("KML while a GeoPackage builds: %d", res.StatusCode)
	}
	close(release)
	wg.Wait()
}
