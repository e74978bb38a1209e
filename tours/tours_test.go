package tours_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/route"
	"github.com/coopmap/coopmap/store/sqlite"
	"github.com/coopmap/coopmap/tours"
)

// coops are four real co-ops of the Co-operatives UK data inside the
// London extract (testdata/tours/wood-green-coops.csv), at their postcode
// centroids.
var coops = []coopmap.Feature{
	{ID: "coops-uk.R035956", Name: "Myddleton Road Community Benefit Society Limited", Geometry: orb.Point{-0.117031, 51.603473}},
	{ID: "coops-uk.R013219", Name: "Cavendish Club Limited", Geometry: orb.Point{-0.120654, 51.605267}},
	{ID: "coops-uk.R032464", Name: "Gida Housing Co-operative Limited", Geometry: orb.Point{-0.103004, 51.608094}},
	{ID: "coops-uk.R012327", Name: "Haringey Rhinos Rugby Football Club", Geometry: orb.Point{-0.100057, 51.604656}},
}

// setup returns a GeoPackage store holding coops and the graph of the
// London extract.
func setup(t *testing.T) (*sqlite.Store, *route.Graph) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	src := coopmap.Source{ID: "coops-uk", Title: "Co-operatives UK", Kind: coopmap.KindCoops, Licence: coopmap.Licence{ID: "ODC-By-1.0"},
		Attribution: "Contains data from Co-operatives UK, licensed under ODC-By 1.0."}
	if _, err := st.ReplaceSource(ctx, src, func(yield func(coopmap.Feature, error) bool) {
		for _, f := range coops {
			f.SourceID, f.Precision = "coops-uk", coopmap.PrecisionPostcode
			if !yield(f, nil) {
				return
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../demo/london-highways.osm.bz2")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, _, err := route.Build(ctx, f, route.BuildOptions{Source: "london_large.osm.bz2"})
	if err != nil {
		t.Fatal(err)
	}
	return st, g
}

func TestTours(t *testing.T) {
	st, g := setup(t)
	t.Run("ParseStops", func(t *testing.T) { testParseStops(t, st) })
	t.Run("PlanAndSave", func(t *testing.T) { testPlanAndSave(t, st, g) })
	t.Run("BadInput", func(t *testing.T) { testBadInput(t, st, g) })
	t.Run("EnsureSource", func(t *testing.T) { testEnsureSource(t, st) })
}

func testParseStops(t *testing.T, st coopmap.Store) {
	ctx := context.Background()
	stops, err := tours.ParseStops(ctx, st, " coops-uk.R035956 ; coops-uk.R013219@-0.12,51.6 ;Bowes Park station @ -0.1195,51.6072;St. Mary's, N22@-0.11,51.61;")
	if err != nil {
		t.Fatal(err)
	}
	want := []coopmap.Stop{{FeatureID: "coops-uk.R035956"}, {FeatureID: "coops-uk.R013219"},
		{Name: "Bowes Park station", Location: orb.Point{-0.1195, 51.6072}}, {Name: "St. Mary's, N22", Location: orb.Point{-0.11, 51.61}}}
	if fmt.Sprint(stops) != fmt.Sprint(want) {
		t.Errorf("stops = %v\nwant %v", stops, want)
	}
	for _, c := range []struct{ spec, field, msg string }{
		{"", "stops", "is empty"},
		{"coops-uk.R999;coops-uk.R035956", "stops[0].feature_id", `no record "coops-uk.R999" in source "coops-uk"`},
		{"coops-uk.R035956;Town Hall", "stops[1]", "needs a location"},
		{"a@NaN,51.6;b@-0.1,51.6", "stops[0]", `"NaN" is not a finite decimal number`},
		{"a@0x1p3,51.6;b@-0.1,51.6", "stops[0]", `"0x1p3" is not a finite decimal number`},
		{"a@-0.1,5_1;b@-0.1,51.6", "stops[0]", `"5_1" is not a finite decimal number`},
		{"a@-0.1,+Inf", "stops[0]", `"+Inf" is not a finite decimal number`},
		{"a@51.6,-0.1;b@200,10", "stops[1]", "out of range"},
		{"a@-0.1;b@1,2", "stops[0]", "is not lon,lat"},
		{"@-0.1,51.6", "stops[0]", "no feature id or name"},
		{strings.Repeat("x@1,2;", tours.MaxStops+1), "stops", "at most 50"},
		{strings.Repeat("x", tours.MaxSpecBytes+1), "stops", "bytes long"},
	} {
		_, err := tours.ParseStops(ctx, st, c.spec)
		wantCode := coopmap.CodeInvalid
		if c.field == "stops" && c.msg != "is empty" {
			wantCode = coopmap.CodeTooLarge
		}
		if coopmap.ErrorCode(err) != wantCode || coopmap.ErrorField(err) != c.field || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseStops(%.40q) = %v; want %s on %s saying %q", c.spec, err, wantCode, c.field, c.msg)
		}
	}
}

func testPlanAndSave(t *testing.T, st coopmap.Store, g *route.Graph) {
	ctx := context.Background()
	if _, err := tours.EnsureSource(ctx, st, "tours"); err != nil {
		t.Fatal(err)
	}
	in := coopmap.Tour{ID: "wood-green", SourceID: "tours", Title: "Wood Green", Stops: []coopmap.Stop{
		{FeatureID: "coops-uk.R035956", Note: "Start here"},
		{FeatureID: "coops-uk.R012327"},
		{Name: "Bowes Park station", Location: orb.Point{-0.1195, 51.6072}},
		{FeatureID: "coops-uk.R032464"},
		{FeatureID: "coops-uk.R013219"},
	}}
	kept, err := tours.Plan(ctx, g, st, in, tours.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opt, err := tours.Plan(ctx, g, st, in, tours.Options{Optimize: true})
	if err != nil {
		t.Fatal(err)
	}
	p := opt.Tour
	if len(p.Stops) != 5 || len(p.Legs) != 4 || p.Stops[0].FeatureID != "coops-uk.R035956" || p.Stops[4].FeatureID != "coops-uk.R013219" {
		t.Fatalf("optimized tour: %d stops, %d legs: %+v", len(p.Stops), len(p.Legs), p.Stops)
	}
	if opt.DurationS > kept.DurationS+1e-6 {
		t.Errorf("optimized order takes %.0f s, more than the given order's %.0f s", opt.DurationS, kept.DurationS)
	}
	if p.Stops[0].Note != "Start here" || p.Stops[0].Name != "Myddleton Road Community Benefit Society Limited" || p.Stops[0].Location != (orb.Point{-0.117031, 51.603473}) {
		t.Errorf("first stop %+v; want the record's name and location, and the note", p.Stops[0])
	}
	var sum float64
	for i, l := range p.Legs {
		sum += l.DistanceM
		if l.Geometry[0] == l.Geometry[len(l.Geometry)-1] || l.DistanceM < 100 {
			t.Errorf("leg %d: %.0f m, %d points", i, l.DistanceM, len(l.Geometry))
		}
	}
	if d := p.DistanceM - sum; d > 1e-6 || d < -1e-6 || p.DistanceM < 2000 || p.DistanceM > 20000 || len(p.Route) < 10 {
		t.Errorf("distance %.0f m (legs %.0f m), route %d points", p.DistanceM, sum, len(p.Route))
	}
	for i, d := range opt.SnapM {
		if d > 200 {
			t.Errorf("stop %d is %.0f m from the road", i, d)
		}
	}

	saved, action, err := tours.Save(ctx, st, p, tours.SaveCreate)
	if err != nil || action != "created" || saved.Version != 1 {
		t.Fatalf("create: %q v%d %v", action, saved.Version, err)
	}
	stored, err := st.Tour(ctx, "wood-green")
	if err != nil || !tours.Same(stored, p) {
		t.Fatalf("stored tour differs from the plan: %v", err)
	}
	if _, _, err := tours.Save(ctx, st, p, tours.SaveCreate); coopmap.ErrorCode(err) != coopmap.CodeConflict {
		t.Errorf("second create: %v; want a conflict", err)
	}
	again, _ := tours.Plan(ctx, g, st, in, tours.Options{Optimize: true})
	if saved, action, err := tours.Save(ctx, st, again.Tour, tours.SaveReplace); err != nil || action != "unchanged" || saved.Version != 1 {
		t.Errorf("replacing with the same plan: %q v%d %v; want unchanged at version 1", action, saved.Version, err)
	}
	again.Tour.Title = "Wood Green and Bowes Park"
	if saved, action, err := tours.Save(ctx, st, again.Tour, tours.SaveUpdate); err != nil || action != "updated" || saved.Version != 2 {
		t.Errorf("update: %q v%d %v", action, saved.Version, err)
	}
	again.Tour.ID = "nowhere"
	if _, _, err := tours.Save(ctx, st, again.Tour, tours.SaveUpdate); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Errorf("update of a missing tour: %v", err)
	}
}

func testBadInput(t *testing.T, st coopmap.Store, g *route.Graph) {
	ctx := context.Background()
	ref := func(id string) coopmap.Stop { return coopmap.Stop{FeatureID: id} }
	named := func(lon, lat float64) coopmap.Stop { return coopmap.Stop{Name: "Point", Location: orb.Point{lon, lat}} }
	many := make([]coopmap.Stop, tours.MaxStops+1)
	for i := range many {
		many[i] = named(-0.12+float64(i)*1e-4, 51.61)
	}
	for _, c := range []struct {
		name  string
		g     *route.Graph
		stops []coopmap.Stop
		code  coopmap.Code
		field string
		msg   string
	}{
		{"no graph", nil, []coopmap.Stop{ref("coops-uk.R035956"), ref("coops-uk.R013219")}, coopmap.CodeNotFound, "", "no routing graph"},
		{"one stop", g, []coopmap.Stop{ref("coops-uk.R035956")}, coopmap.CodeInvalid, "stops", "at least 2"},
		{"too many", g, many, coopmap.CodeTooLarge, "stops", "at most 50"},
		{"unknown record", g, []coopmap.Stop{ref("coops-uk.R035956"), ref("coops-uk.R1")}, coopmap.CodeInvalid, "stops[1].feature_id", `no record "coops-uk.R1"`},
		{"NaN", g, []coopmap.Stop{ref("coops-uk.R035956"), named(math.NaN(), 51.6)}, coopmap.CodeInvalid, "stops[1].location", "not a finite number"},
		{"out of range", g, []coopmap.Stop{named(-0.12, 91), ref("coops-uk.R035956")}, coopmap.CodeInvalid, "stops[0].location", "outside [-90, 90]"},
		{"off the graph", g, []coopmap.Stop{ref("coops-uk.R035956"), named(-0.5, 51.0)}, coopmap.CodeUnroutable, "stops[1]", "more than 300 m from any way"},
		{"same place twice", g, []coopmap.Stop{ref("coops-uk.R035956"), named(-0.117031, 51.603473)}, coopmap.CodeInvalid, "stops[1]", "the same as stops[0]"},
		{"neither", g, []coopmap.Stop{ref("coops-uk.R035956"), {Note: "?"}}, coopmap.CodeInvalid, "stops[1].name", "needs a feature_id or a name"},
	} {
		in := coopmap.Tour{ID: "bad", SourceID: "tours", Title: "Bad", Stops: c.stops}
		_, err := tours.Plan(ctx, c.g, st, in, tours.Options{Optimize: true})
		if coopmap.ErrorCode(err) != c.code || coopmap.ErrorField(err) != c.field || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v; want %s on %q saying %q", c.name, err, c.code, c.field, c.msg)
		}
	}
}

func testEnsureSource(t *testing.T, st coopmap.Store) {
	ctx := context.Background()
	src, err := tours.EnsureSource(ctx, st, "new-tours")
	if err != nil || src.Kind != coopmap.KindTours || src.Licence.ID != "ODbL-1.0" || !strings.Contains(src.Attribution, "OpenStreetMap") {
		t.Errorf("new source %+v, %v", src, err)
	}
	put := func(id, licence, attribution string) {
		t.Helper()
		s := coopmap.Source{ID: id, Kind: coopmap.KindTours, Licence: coopmap.Licence{ID: licence}, Attribution: attribution}
		if _, err := st.ReplaceSource(ctx, s, func(func(coopmap.Feature, error) bool) {}); err != nil {
			t.Fatal(err)
		}
	}
	put("odbl-tours", "ODbL-1.0", "Rides by the Wood Green Bike Club.")
	src, err = tours.EnsureSource(ctx, st, "odbl-tours")
	if err != nil || src.Attribution != "Rides by the Wood Green Bike Club. "+tours.SourceAttribution {
		t.Errorf("ODbL source without OSM credit: %q, %v; want the credit added", src.Attribution, err)
	}
	put("cc-tours", "CC-BY-4.0", "Rides by someone.")
	for id, msg := range map[string]string{"cc-tours": "licensed CC-BY-4.0", "coops-uk": "holds coops", "Bad Id": "must be"} {
		if _, err := tours.EnsureSource(ctx, st, id); coopmap.ErrorField(err) != "source" || !strings.Contains(err.Error(), msg) {
			t.Errorf("EnsureSource(%q) = %v; want an error on source saying %q", id, err, msg)
		}
	}
}
