package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/route"
	"github.com/coopmap/coopmap/store/sqlite"
	"github.com/coopmap/coopmap/tours"
)

// hostileNote is a stop note that must reach every page as text.
const hostileNote = `<img src=x onerror=alert(1)> & "quotes"`

// tourFixture is a GeoPackage store with the real co-ops of
// testdata/tours/wood-green-coops.csv, a cycle layer source, and the
// tour "wood-green" routed on the graph of the demo extract through four
// of them and back (a round trip), plus "gone", whose second stop's
// record no longer exists.
type tourFixture struct {
	store *sqlite.Store
	graph *route.Graph
}

func newTourFixture(t *testing.T) tourFixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "tours.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f, err := os.Open("../demo/london-highways.osm.bz2")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, _, err := route.Build(ctx, f, route.BuildOptions{Source: "london-highways.osm.bz2"})
	if err != nil {
		t.Fatal(err)
	}
	coops := coopmap.Source{ID: "coops-uk", Title: "Co-operatives UK open data", Kind: coopmap.KindCoops,
		Licence: coopmap.Licence{ID: "ODC-By-1.0"}, Attribution: "Contains data from Co-operatives UK (ODC-By 1.0)."}
	if _, err := st.ReplaceSource(ctx, coops, woodGreenCoops(t)); err != nil {
		t.Fatal(err)
	}
	cycle := coopmap.Source{ID: DefaultCycleLayer, Title: "Cycle map", Kind: coopmap.KindFeatures,
		Licence: coopmap.Licence{ID: "ODbL-1.0"}, Attribution: "© OpenStreetMap contributors (ODbL 1.0)."}
	lane := coopmap.Feature{ID: DefaultCycleLayer + ".w1", SourceID: DefaultCycleLayer, Name: "Cycleway",
		Geometry: orb.LineString{{-0.12, 51.60}, {-0.11, 51.61}}, Precision: coopmap.PrecisionExact, Properties: map[string]any{"highway": "cycleway"}}
	if _, err := st.ReplaceSource(ctx, cycle, func(yield func(coopmap.Feature, error) bool) { yield(lane, nil) }); err != nil {
		t.Fatal(err)
	}
	if _, err := tours.EnsureSource(ctx, st, "tours"); err != nil {
		t.Fatal(err)
	}
	save := func(id string, stops []coopmap.Stop) {
		p, err := tours.Plan(ctx, g, st, coopmap.Tour{ID: id, SourceID: "tours", Title: "Wood Green <co-ops>", Region: "North London",
			Description: "Four co-ops & back.", Stops: stops}, tours.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tours.Save(ctx, st, p.Tour, tours.SaveCreate); err != nil {
			t.Fatal(err)
		}
	}
	save("wood-green", []coopmap.Stop{
		{FeatureID: "coops-uk.R013219", Note: hostileNote}, {FeatureID: "coops-uk.R035956"},
		{FeatureID: "coops-uk.R032464"}, {FeatureID: "coops-uk.R012327"}, {FeatureID: "coops-uk.R013219"},
	})
	save("gone", []coopmap.Stop{{FeatureID: "coops-uk.R013219"}, {FeatureID: "coops-uk.R006158"}, {FeatureID: "coops-uk.R012327"}})
	// The record of gone's second stop leaves the source.
	if _, err := st.ReplaceSource(ctx, coops, func(yield func(coopmap.Feature, error) bool) {
		for f, err := range woodGreenCoops(t) {
			if f.ID != "coops-uk.R006158" && !yield(f, err) {
				return
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	return tourFixture{store: st, graph: g}
}

// woodGreenCoops reads the co-ops of testdata/tours/wood-green-coops.csv.
func woodGreenCoops(t *testing.T) func(func(coopmap.Feature, error) bool) {
	t.Helper()
	b, err := os.ReadFile("../testdata/tours/wood-green-coops.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var fs []coopmap.Feature
	for _, r := range rows[1:] {
		lat, err1 := strconv.ParseFloat(r[col["Geo Container Latitude"]], 64)
		lon, err2 := strconv.ParseFloat(r[col["Geo Container Longitude"]], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: no location", r[0])
		}
		fs = append(fs, coopmap.Feature{ID: "coops-uk." + r[0], SourceID: "coops-uk", Name: r[col["Name"]], Postcode: r[col["Postcode"]],
			Geometry: orb.Point{lon, lat}, Precision: coopmap.PrecisionPostcode})
	}
	return func(yield func(coopmap.Feature, error) bool) {
		for _, f := range fs {
			if !yield(f, nil) {
				return
			}
		}
	}
}

// serve starts a server on the fixture, with the graph when withGraph.
func (fx tourFixture) serve(t *testing.T, withGraph bool) *httptest.Server {
	t.Helper()
	cfg := Config{CycleLayer: DefaultCycleLayer}
	if withGraph {
		cfg.Graph = fx.graph
	}
	ts := httptest.NewServer(New(fx.store, slog.New(slog.DiscardHandler), cfg).Handler())
	t.Cleanup(ts.Close)
	return ts
}

// fetch GETs u with an Accept header and returns the response and body.
func fetch(t *testing.T, u, accept string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
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
	return resp, string(b)
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// wantProblem checks a problem response's status and field.
func wantProblem(t *testing.T, u string, status int, field string) {
	t.Helper()
	resp, body := fetch(t, u, "")
	var p Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil || resp.StatusCode != status || p.Field != field ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("%s: %d %q field %q, want %d field %q: %s", u, resp.StatusCode, resp.Header.Get("Content-Type"), p.Field, status, field, body)
	}
}

func TestTourPages(t *testing.T) {
	fx := newTourFixture(t)
	ts := fx.serve(t, true)

	t.Run("list negotiates", func(t *testing.T) {
		resp, body := fetch(t, ts.URL+"/tours", browserAccept)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("CSP %q", csp)
		}
		if vary := strings.Join(resp.Header.Values("Vary"), ","); !strings.Contains(vary, "Accept") {
			t.Errorf("Vary %q", vary)
		}
		for _, want := range []string{`href="/tours/wood-green"`, `href="/tours/wood-green.gpx"`, `href="/tours/wood-green/cues"`,
			"Wood Green &lt;co-ops&gt;", `href="/plan"`, "ODbL-1.0"} {
			if !strings.Contains(body, want) {
				t.Errorf("tours page lacks %s", want)
			}
		}
		for _, u := range []string{ts.URL + "/tours", ts.URL + "/tours?f=json"} {
			accept := ""
			if strings.Contains(u, "f=json") {
				accept = browserAccept
			}
			resp, body := fetch(t, u, accept)
			var doc tourList
			if err := json.Unmarshal([]byte(body), &doc); err != nil || resp.Header.Get("Content-Type") != mediaJSON || len(doc.Tours) != 2 {
				t.Errorf("%s: %s %v %d tours", u, resp.Header.Get("Content-Type"), err, len(doc.Tours))
			}
		}
		wantProblem(t, ts.URL+"/tours?f=xml", 400, "f")
	})

	t.Run("tour page", func(t *testing.T) {
		resp, body := fetch(t, ts.URL+"/tours/wood-green", browserAccept)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		for _, want := range []string{
			`<title>Wood Green &lt;co-ops&gt; · coopmap</title>`,
			`href="/tours/wood-green.gpx"`, `href="/tours/wood-green/cues"`, `href="/plan?tour=wood-green"`,
			`data-tour="/tours/wood-green.json"`, `data-cycle-items="/collections/london-cycle-map/items"`,
			`/coops/coops-uk.R013219">Cavendish Club Limited</a>`, `/coops/coops-uk.R035956">Myddleton Road Community Benefit Society Limited</a>`,
			"&lt;img src=x onerror=alert(1)&gt;", "Open Database License", "Contains data from Co-operatives UK",
			`<table class="legs"`, "Total",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("tour page lacks %s", want)
			}
		}
		if strings.Contains(body, "<img src=x") {
			t.Error("the hostile note reached the page as markup")
		}
		if n := strings.Count(body, `<li class="stop"`); n != 5 {
			t.Errorf("%d stops listed, want 5", n)
		}
		if n := strings.Count(body, "<tr><th scope=\"row\">"); n != 5 {
			t.Errorf("%d rows in the table of legs, want 4 legs and the total", n)
		}
		// API clients still get JSON, and .json always.
		for _, u := range []string{"/tours/wood-green", "/tours/wood-green.json", "/tours/wood-green?f=json"} {
			accept := ""
			if u != "/tours/wood-green" {
				accept = browserAccept
			}
			resp, body := fetch(t, ts.URL+u, accept)
			var doc tourDoc
			if err := json.Unmarshal([]byte(body), &doc); err != nil || len(doc.StopList) != 5 || doc.Route == nil {
				t.Errorf("%s: %s %v", u, resp.Header.Get("Content-Type"), err)
			}
		}
		wantProblem(t, ts.URL+"/tours/nope", 404, "")
		wantProblem(t, ts.URL+"/tours/Not%20A%20Slug", 404, "")
		wantProblem(t, ts.URL+"/tours/wood-green?f=pdf", 400, "f")
	})

	t.Run("no cycle layer", func(t *testing.T) {
		srv := httptest.NewServer(New(fx.store, slog.New(slog.DiscardHandler), Config{CycleLayer: "no-such-source"}).Handler())
		defer srv.Close()
		_, body := fetch(t, srv.URL+"/tours/wood-green", browserAccept)
		if strings.Contains(body, "data-cycle-items") || strings.Contains(body, "cycle-legend") {
			t.Error("a cycle layer that is not in the store is shown")
		}
	})
}

// cueRowText matches a row of a cue sheet's turns: at, text, for.
var cueRowText = regexp.MustCompile(`<td class="cue-at">([^<]*)</td><td class="cue-text">([^<]*)</td><td class="cue-for">([^<]*)</td>`)

func TestTourCueSheet(t *testing.T) {
	fx := newTourFixture(t)
	ts := fx.serve(t, true)
	resp, body := fetch(t, ts.URL+"/tours/wood-green/cues", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	for _, want := range []string{"Cue sheet", "Cavendish Club Limited", "Gida Housing Co-operative Limited", "Haringey Rhinos Rugby Football Club",
		"Leg 1: Cavendish Club Limited → Myddleton Road Community Benefit Society Limited", "Leg 4:",
		"Arrive at stop 2, Myddleton Road Community Benefit Society Limited", "Turn by turn", "ODbL"} {
		if !strings.Contains(body, want) {
			t.Errorf("cue sheet lacks %q", want)
		}
	}
	if strings.Contains(body, "cue-note") {
		t.Error("a routable tour's cue sheet has a note")
	}
	rows := cueRowText.FindAllStringSubmatch(body, -1)
	if len(rows) < 8 {
		t.Fatalf("%d cues", len(rows))
	}
	// Cues name streets, and the distance from the start grows.
	var streets, turns int
	last := -1.0
	for _, r := range rows {
		if strings.Contains(r[2], " onto ") || strings.Contains(r[2], " on ") {
			streets++
		}
		if strings.HasPrefix(r[2], "Turn ") {
			turns++
		}
		at := parseKm(t, r[1])
		if at < last-0.051 { // rounding of "850 m" vs "0.9 km"
			t.Errorf("cue %q at %s comes before the last (%v km)", r[2], r[1], last)
		}
		last = at
	}
	if streets < len(rows)/2 || turns == 0 {
		t.Errorf("%d of %d cues name a street, %d turns: %q", streets, len(rows), turns, rows)
	}
	if !strings.HasPrefix(rows[0][2], "Head ") || rows[0][1] != "0 m" {
		t.Errorf("first cue %q", rows[0])
	}
	if n := strings.Count(body, `<section class="cue-leg"`); n != 4 {
		t.Errorf("%d legs, want 4", n)
	}

	t.Run("without a graph", func(t *testing.T) {
		_, body := fetch(t, fx.serve(t, false).URL+"/tours/wood-green/cues", "")
		if !strings.Contains(body, "no routing graph") || cueRowText.MatchString(body) || strings.Count(body, `<section class="cue-leg"`) != 4 {
			t.Errorf("cue sheet without a graph:\n%s", body)
		}
	})
	t.Run("a stop's record is gone", func(t *testing.T) {
		_, body := fetch(t, ts.URL+"/tours/gone/cues", "")
		if !strings.Contains(body, "no longer exists") || cueRowText.MatchString(body) {
			t.Errorf("cue sheet of a tour with a missing record:\n%s", body)
		}
	})
	wantProblem(t, ts.URL+"/tours/nope/cues", 404, "")
}

// parseKm reads "850 m" or "1.2 km" as kilometres.
func parseKm(t *testing.T, s string) float64 {
	t.Helper()
	v, unit, _ := strings.Cut(s, " ")
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		t.Fatalf("distance %q", s)
	}
	if unit == "m" {
		f /= 1000
	}
	return f
}

func TestRouteGPX(t *testing.T) {
	fx := newTourFixture(t)
	ts := fx.serve(t, true)
	u := ts.URL + "/route.gpx?stops=coops-uk.R013219;coops-uk.R035956;Bowes%20Park%20station@-0.1195,51.6072;coops-uk.R012327&roundtrip=true&title=My%20<plan>"
	resp, body := fetch(t, u, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != mediaGPX {
		t.Fatalf("%d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="my-plan.gpx"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	xmllintGPX(t, body)
	var doc struct {
		Name  string   `xml:"metadata>name"`
		Desc  string   `xml:"metadata>desc"`
		Wpts  []string `xml:"wpt>name"`
		Links []struct {
			Href string `xml:"href,attr"`
		} `xml:"wpt>link"`
		Trkpts []struct{} `xml:"trk>trkseg>trkpt"`
	}
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Name != "My <plan>" || !strings.Contains(doc.Desc, "OpenStreetMap") || !strings.Contains(doc.Desc, "Co-operatives UK") {
		t.Errorf("metadata %q %q", doc.Name, doc.Desc)
	}
	want := []string{"1. Cavendish Club Limited", "2. Myddleton Road Community Benefit Society Limited", "3. Bowes Park station",
		"4. Haringey Rhinos Rugby Football Club", "5. Cavendish Club Limited"}
	if strings.Join(doc.Wpts, "|") != strings.Join(want, "|") || len(doc.Trkpts) < 20 {
		t.Errorf("waypoints %q, %d track points", doc.Wpts, len(doc.Trkpts))
	}
	if len(doc.Links) == 0 || doc.Links[0].Href != ts.URL+"/coops/coops-uk.R013219" {
		t.Errorf("waypoint links %v", doc.Links)
	}

	// Optimised, the quickest order of the same stops is no longer.
	keep, _ := fetch(t, ts.URL+"/route.gpx?stops=coops-uk.R013219;coops-uk.R012327;coops-uk.R035956;coops-uk.R032464", "")
	opt, optBody := fetch(t, ts.URL+"/route.gpx?stops=coops-uk.R013219;coops-uk.R012327;coops-uk.R035956;coops-uk.R032464&order=optimize&end=free", "")
	if keep.StatusCode != 200 || opt.StatusCode != 200 {
		t.Fatalf("%d %d", keep.StatusCode, opt.StatusCode)
	}
	xmllintGPX(t, optBody)
	if cd := opt.Header.Get("Content-Disposition"); cd != `attachment; filename="co-op-bike-tour.gpx"` {
		t.Errorf("default title: %q", cd)
	}

	t.Run("bad input", func(t *testing.T) {
		base := ts.URL + "/route.gpx?"
		for _, c := range []struct{ query, field string }{
			{"", "stops"},
			{"stops=", "stops"},
			{"stops=coops-uk.R013219&stops=coops-uk.R012327", "stops"},
			{"stops=coops-uk.R013219", "stops"},
			{"stops=coops-uk.R013219;coops-uk.R999", "stops[1].feature_id"},
			{"stops=coops-uk.R013219;Nowhere", "stops[1]"},
			{"stops=coops-uk.R013219;X@NaN,51", "stops[1]"},
			{"stops=coops-uk.R013219;X@200,51", "stops[1]"},
			{"stops=coops-uk.R013219;coops-uk.R013219", "stops[1]"},
			{"stops=coops-uk.R013219;coops-uk.R012327&order=best", "order"},
			{"stops=coops-uk.R013219;coops-uk.R012327&roundtrip=maybe", "roundtrip"},
			{"stops=coops-uk.R013219;coops-uk.R012327&end=far", "end"},
			{"stops=coops-uk.R013219;coops-uk.R012327&colour=red", "colour"},
			{"stops=coops-uk.R013219;coops-uk.R012327&title=" + strings.Repeat("x", 1010), "title"},
			{"stops=coops-uk.R013219;coops-uk.R012327&stops=%zz", "stops"},
		} {
			wantProblem(t, base+c.query, 400, c.field)
		}
		many := strings.TrimSuffix(strings.Repeat("coops-uk.R013219;coops-uk.R012327;", 26), ";")
		wantProblem(t, base+"stops="+many, 413, "stops")
		wantProblem(t, base+"stops=coops-uk.R013219;Edinburgh@-3.19,55.95", 422, "stops[1]")
		wantProblem(t, fx.serve(t, false).URL+"/route.gpx?stops=coops-uk.R013219;coops-uk.R012327", 404, "")
	})
}

// xmllintGPX validates a GPX document against the GPX 1.1 schema with
// xmllint.
func xmllintGPX(t *testing.T, doc string) {
	t.Helper()
	tool, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xmllint is not installed (scripts/deps.sh installs it)")
		}
		t.Skip("xmllint is not installed")
	}
	p := filepath.Join(t.TempDir(), "plan.gpx")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "--noout", "--nonet", "--schema", "../testdata/schemas/gpx.xsd", p).CombinedOutput()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "validates") {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}

func TestPlanPage(t *testing.T) {
	fx := newTourFixture(t)
	srv := New(fx.store, slog.New(slog.DiscardHandler), Config{CycleLayer: DefaultCycleLayer, Graph: fx.graph})
	if srv.tourPages.planHead == nil {
		t.Skip("the front end is not built into this test binary (make build)")
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	resp, body := fetch(t, ts.URL+"/plan?stops=coops-uk.R013219;%3Cscript%3E&tour=x", browserAccept)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if strings.Contains(body, "<script>") {
		t.Error("the query reached the page")
	}
	_, js, ok := strings.Cut(body, `<script type="application/json" id="coopmap-config">`)
	js, _, ok2 := strings.Cut(js, "</script>")
	if !ok || !ok2 {
		t.Fatal("no settings in the page")
	}
	var cfg planConfig
	if err := json.Unmarshal([]byte(js), &cfg); err != nil {
		t.Fatal(err)
	}
	if !cfg.Routing || cfg.Bounds == nil || cfg.Cycle == nil || cfg.Cycle.Items != "/collections/london-cycle-map/items" ||
		cfg.MaxStops != route.MaxPoints || len(cfg.Sources) != 2 {
		t.Errorf("settings %+v", cfg)
	}
	// The planner saves through the tour write API.
	if s := cfg.Save; s == nil || s.Method != http.MethodPost || s.URL != "/tours" || s.UpdateURL != "/tours/{id}" {
		t.Errorf("save target %+v", cfg.Save)
	}
	if b := cfg.Bounds; b[0] > -0.15 || b[2] < -0.1 || b[1] > 51.6 || b[3] < 51.63 {
		t.Errorf("graph bounds %v", b)
	}
}

func TestTourTextHelpers(t *testing.T) {
	for m, want := range map[float64]string{0: "0 m", 846: "850 m", 999: "1000 m", 1000: "1.0 km", 9783.6: "9.8 km"} {
		if got := kmText(m); got != want {
			t.Errorf("kmText(%v) = %q, want %q", m, got, want)
		}
	}
	for s, want := range map[float64]string{10: "1 min", 540: "9 min", 3599: "1 h 00 min", 3900: "1 h 05 min"} {
		if got := rideText(s); got != want {
			t.Errorf("rideText(%v) = %q, want %q", s, got, want)
		}
	}
	for title, want := range map[string]string{"My <plan>": "my-plan", "": "tour", "  Été à Paris! ": "t-paris", "--": "tour"} {
		if got := tourTitleSlug(title); got != want {
			t.Errorf("tourTitleSlug(%q) = %q, want %q", title, got, want)
		}
	}
	if got := tourTitleSlug(strings.Repeat("ab ", 40)); len(got) > 64 || !strings.HasPrefix(got, "ab-ab-") || strings.HasSuffix(got, "-") {
		t.Errorf("long title: %q", got)
	}
}
