package webtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/storetest"
	"github.com/coopmap/coopmap/web"
	"github.com/coopmap/coopmap/web/webtest"
)

// The fixture: a co-op register of nCoops points over Great Britain, a
// polygon overlay, two points either side of the antimeridian, and two
// bike tours.
const nCoops = 250

var sectors = []string{"Housing", "Food", "Retail", "Energy", "Agriculture"}

func coopFeature(i int) coopmap.Feature {
	f := storetest.Point("coops", fmt.Sprintf("R%04d", i), -5.5+float64(i%50)*0.14, 50.2+float64(i/50)*1.5)
	f.Name = fmt.Sprintf("Co-op %03d", (i*37)%nCoops)
	f.Sector = sectors[i%len(sectors)]
	if i%10 == 0 {
		f.Status = "Dissolved"
	}
	switch i {
	case 1:
		f.Name = "Café Élan Workers' Co-operative"
		f.Postcode = "N22 6UJ"
		f.Geometry = orb.Point{-0.1145, 51.5975} // Wood Green, London
	case 2:
		f.Name = `<script>alert("x")</script> & Sons`
		f.Geometry = orb.Point{-0.09, 51.51} // the City of London
	}
	return f
}

func orchards() []coopmap.Feature {
	var fs []coopmap.Feature
	for i, v := range []string{"Bramley", "Cox", "Egremont Russet"} {
		x := -2.0 + float64(i)
		fs = append(fs, coopmap.Feature{
			ID: coopmap.FeatureID("orchards", fmt.Sprint("o", i)), SourceID: "orchards", Name: v + " orchard",
			Geometry:   orb.Polygon{{{x, 52}, {x + 0.1, 52}, {x + 0.1, 52.1}, {x, 52.1}, {x, 52}}},
			Precision:  coopmap.PrecisionExact,
			Properties: map[string]any{"variety": v, "trees": 10 + i, "name": "clashes with the built-in name"},
		})
	}
	return fs
}

func pacific() []coopmap.Feature {
	return []coopmap.Feature{
		{ID: "pacific.east", SourceID: "pacific", Name: "East of the line", Geometry: orb.Point{179.5, -17}, Precision: coopmap.PrecisionExact},
		{ID: "pacific.west", SourceID: "pacific", Name: "West of the line", Geometry: orb.Point{-179.5, -17}, Precision: coopmap.PrecisionExact},
		{ID: "pacific.far", SourceID: "pacific", Name: "Far away", Geometry: orb.Point{0, -17}, Precision: coopmap.PrecisionExact},
	}
}

func source(id string, kind coopmap.Kind, licence string) coopmap.Source {
	s := storetest.Source(id, kind)
	s.Licence = coopmap.Licence{ID: licence}.Complete()
	s.Attribution = "Attribution for " + id + "."
	return s
}

// fixture fills st with the fixture.
func fixture(t testing.TB, st coopmap.Store) {
	t.Helper()
	ctx := context.Background()
	var coops []coopmap.Feature
	for i := range nCoops {
		coops = append(coops, coopFeature(i))
	}
	for _, r := range []struct {
		src coopmap.Source
		fs  []coopmap.Feature
	}{
		{source("coops", coopmap.KindCoops, "ODC-By-1.0"), coops},
		{source("orchards", coopmap.KindFeatures, "CC-BY-4.0"), orchards()},
		{source("pacific", coopmap.KindFeatures, "CC0-1.0"), pacific()},
		{source("bike-tours", coopmap.KindTours, "ODbL-1.0"), nil},
	} {
		if _, err := st.ReplaceSource(ctx, r.src, storetest.Seq(r.fs)); err != nil {
			t.Fatalf("ReplaceSource(%s): %v", r.src.ID, err)
		}
	}
	for _, tour := range []coopmap.Tour{
		{ID: "north-london", SourceID: "bike-tours", Title: "North London co-ops", Region: "North London",
			Stops: []coopmap.Stop{{FeatureID: "coops.R0001"}, {Name: "Alexandra Palace", Location: orb.Point{-0.13, 51.594}}, {FeatureID: "coops.R0002", Note: "Lunch"}}},
		{ID: "orchard-ride", SourceID: "bike-tours", Title: "Orchard ride",
			Stops: []coopmap.Stop{{Name: "Start", Location: orb.Point{-2, 52}}}},
	} {
		if _, err := st.CreateTour(ctx, tour); err != nil {
			t.Fatalf("CreateTour(%s): %v", tour.ID, err)
		}
	}
}

// each runs fn once per store, each over a fresh store with the fixture
// behind a loopback server.
func each(t *testing.T, fn func(t *testing.T, srv *httptest.Server, st coopmap.Store)) {
	for _, s := range webtest.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			st := s.Open(t)
			fixture(t, st)
			fn(t, webtest.Serve(t, st, web.Config{}), st)
		})
	}
}

// response is a decoded HTTP response.
type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

// get fetches url with the headers (name, value, name, value…).
func get(t *testing.T, url string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading: %v", url, err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: body}
	if ct := resp.Header.Get("Content-Type"); strings.Contains(ct, "json") && len(body) > 0 {
		if err := json.Unmarshal(body, &r.json); err != nil {
			t.Fatalf("GET %s: %s body is not a JSON object: %v\n%.300s", url, ct, err, body)
		}
	}
	return r
}

// getOK fetches url and fails the test unless the status is 200.
func getOK(t *testing.T, url string, headers ...string) response {
	t.Helper()
	r := get(t, url, headers...)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status %d; want 200\n%.500s", url, r.status, r.body)
	}
	return r
}

// featureIDs returns the ids of a FeatureCollection's features.
func featureIDs(fc map[string]any) []string {
	var out []string
	fs, _ := fc["features"].([]any)
	for _, f := range fs {
		id, _ := f.(map[string]any)["id"].(string)
		out = append(out, id)
	}
	return out
}

// linkHref returns the href of the first link with the rel, or "".
func linkHref(doc map[string]any, rel string) string {
	ls, _ := doc["links"].([]any)
	for _, l := range ls {
		m := l.(map[string]any)
		if m["rel"] == rel {
			href, _ := m["href"].(string)
			return href
		}
	}
	return ""
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

func seq(fs []coopmap.Feature) func(func(coopmap.Feature, error) bool) { return storetest.Seq(fs) }
