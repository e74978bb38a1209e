package storetest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// contractTest is one named test of the contract suite, run on a fresh
// store; each capability's file keeps a table of them.
type contractTest struct {
	name string
	fn   func(*testing.T, coopmap.Store)
}

// Opener opens a fresh, empty store and arranges for it to be closed when
// the test ends.
type Opener func(tb testing.TB) coopmap.Store

// Run runs the contract suite against the stores that open returns, one
// fresh store per subtest.
func Run(t *testing.T, open Opener) {
	tests := []contractTest{
		{"Ping", testPing},
		{"SourceRoundTrip", testSourceRoundTrip},
		{"FeatureRoundTrip", testFeatureRoundTrip},
		{"NotFound", testNotFound},
		{"BBox", testBBox},
		{"BBoxAntimeridian", testBBoxAntimeridian},
		{"Filters", testFilters},
		{"TextSearch", testTextSearch},
		{"Pagination", testPagination},
		{"PaginationUnderConcurrentWrites", testPaginationConcurrent},
		{"ReplaceIdempotent", testReplaceIdempotent},
		{"ReplaceChanges", testReplaceChanges},
		{"ReplaceAtomicOnIteratorError", testReplaceAtomicIterError},
		{"ReplaceAtomicOnInvalidFeature", testReplaceAtomicInvalid},
		{"ReplaceRejectsDuplicateIDs", testReplaceDuplicate},
		{"ReplaceKindConflict", testReplaceKindConflict},
		{"DeleteSource", testDeleteSource},
		{"SourceFeaturesStream", testSourceFeatures},
		{"Tours", testTours},
		{"TourStopsFollowRecords", testTourStopsFollow},
		{"TourInvalid", testTourInvalid},
		{"CancelledContext", testCancelled},
		{"CancelledDuringReplace", testCancelledReplace},
		{"InvalidValues", testInvalidValues},
		{"ConcurrentWriters", testConcurrentWriters},
		{"SortAndPrev", testSortAndPrev},
		{"CursorTampered", testCursorTampered},
		{"UpdatedAndStatus", testUpdatedAndStatus},
		{"SourceExtent", testSourceExtent},
		{"Tokens", testTokens},
	}
	tests = append(tests, editTests...)
	tests = append(tests, tourEditTests...)
	tests = append(tests, sourceHistoryTests...)
	tests = append(tests, sortedBBoxTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.fn(t, s)
		})
	}
}

// Source returns a valid source of the given kind for tests.
func Source(id string, kind coopmap.Kind) coopmap.Source {
	return coopmap.Source{
		ID:          id,
		Title:       "Test " + id,
		Description: "A source made by the contract suite.",
		Kind:        kind,
		Licence:     coopmap.Licence{ID: "ODC-By-1.0"}.Complete(),
		Attribution: "Contains data from Co-operatives UK, licensed under ODC-By 1.0.",
		Owner:       "Co-operatives UK",
		Origin:      "https://www.uk.coop/resources/open-data",
		RetrievedAt: time.Date(2023, 6, 16, 9, 30, 0, 0, time.UTC),
	}
}

// Point returns a valid co-op feature at lon, lat in the source, keyed by key.
func Point(source, key string, lon, lat float64) coopmap.Feature {
	return coopmap.Feature{
		ID:        coopmap.FeatureID(source, key),
		SourceID:  source,
		Name:      "Co-op " + key,
		Sector:    "Food",
		OrgType:   "Worker co-operative",
		Geometry:  orb.Point{lon, lat},
		Precision: coopmap.PrecisionPostcode,
	}
}

// Seq turns a slice into the iterator ReplaceSource takes.
func Seq(fs []coopmap.Feature) iter.Seq2[coopmap.Feature, error] {
	return func(yield func(coopmap.Feature, error) bool) {
		for _, f := range fs {
			if !yield(f, nil) {
				return
			}
		}
	}
}

func replace(t testing.TB, s coopmap.Store, src coopmap.Source, fs []coopmap.Feature) coopmap.ReplaceResult {
	t.Helper()
	r, err := s.ReplaceSource(context.Background(), src, Seq(fs))
	if err != nil {
		t.Fatalf("ReplaceSource(%s, %d features): %v", src.ID, len(fs), err)
	}
	return r
}

func wantCode(t *testing.T, err error, code coopmap.Code, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s (field %q)", code, field)
	}
	if got := coopmap.ErrorCode(err); got != code {
		t.Fatalf("got error %v (code %q), want code %q", err, got, code)
	}
	if field != "" && coopmap.ErrorField(err) != field {
		t.Fatalf("got error %v naming field %q, want field %q", err, coopmap.ErrorField(err), field)
	}
}

func ids(fs []coopmap.Feature) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

func query(t *testing.T, s coopmap.Store, q coopmap.Query) coopmap.Page {
	t.Helper()
	p, err := s.Features(context.Background(), q)
	if err != nil {
		t.Fatalf("Features(%+v): %v", q, err)
	}
	return p
}

// all pages through a query and returns every id.
func all(t *testing.T, s coopmap.Store, q coopmap.Query) []string {
	t.Helper()
	var out []string
	for i := 0; ; i++ {
		p := query(t, s, q)
		out = append(out, ids(p.Features)...)
		if p.Next == "" {
			return out
		}
		if i > 10000 {
			t.Fatal("pagination does not end")
		}
		q.After = p.Next
	}
}

func testPing(t *testing.T, s coopmap.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping on a fresh store: %v", err)
	}
	srcs, err := s.Sources(context.Background())
	if err != nil || len(srcs) != 0 {
		t.Fatalf("fresh store Sources = %v, %v; want none", srcs, err)
	}
}

func testSourceRoundTrip(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	b := Source("bravo", coopmap.KindFeatures)
	b.Licence = coopmap.Licence{ID: "OGL-UK-3.0"}.Complete()
	b.Attribution = "Contains OS data © Crown copyright and database right 2024"
	a := Source("alpha", coopmap.KindCoops)
	before := time.Now().Add(-time.Second)
	replace(t, s, b, []coopmap.Feature{Point("bravo", "1", 0, 51)})
	r := replace(t, s, a, []coopmap.Feature{Point("alpha", "1", 0, 51), Point("alpha", "2", 1, 52)})
	if r.Added != 2 || r.Source.FeatureCount != 2 || r.Source.Version < 1 {
		t.Errorf("first replace result = %+v; want 2 added, count 2, version ≥ 1", r)
	}
	got, err := s.Source(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != a.Title || got.Description != a.Description || got.Kind != a.Kind ||
		got.Licence != a.Licence || got.Attribution != a.Attribution || got.Owner != a.Owner ||
		got.Origin != a.Origin || !got.RetrievedAt.Equal(a.RetrievedAt) {
		t.Errorf("Source round trip:\n got %+v\nwant %+v", got, a)
	}
	if got.FeatureCount != 2 || got.Version != r.Source.Version {
		t.Errorf("Source count/version = %d/%d; want 2/%d", got.FeatureCount, got.Version, r.Source.Version)
	}
	if got.UpdatedAt.Before(before) || got.UpdatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("UpdatedAt = %v; want about now", got.UpdatedAt)
	}
	list, err := s.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "alpha" || list[1].ID != "bravo" {
		t.Fatalf("Sources = %v; want alpha, bravo in order", list)
	}
	if list[1].Licence.ID != "OGL-UK-3.0" || !strings.Contains(list[1].Attribution, "Crown copyright") {
		t.Errorf("Sources lost bravo's licence: %+v", list[1])
	}
}

func geometries() map[string]orb.Geometry {
	ring := orb.Ring{{-0.1, 51.5}, {-0.09, 51.5}, {-0.09, 51.51}, {-0.1, 51.51}, {-0.1, 51.5}}
	hole := orb.Ring{{-0.098, 51.502}, {-0.092, 51.502}, {-0.092, 51.508}, {-0.098, 51.502}}
	return map[string]orb.Geometry{
		"point":        orb.Point{-0.1234567, 51.7654321},
		"multipoint":   orb.MultiPoint{{-1.5, 53.8}, {-1.6, 53.9}},
		"line":         orb.LineString{{-0.12, 51.5}, {-0.11, 51.52}, {-0.1, 51.53}},
		"multiline":    orb.MultiLineString{{{-3.2, 55.9}, {-3.1, 55.95}}, {{-3.0, 55.9}, {-2.9, 55.95}}},
		"polygon":      orb.Polygon{ring, hole},
		"multipolygon": orb.MultiPolygon{{ring}, {{{1, 52}, {1.1, 52}, {1.1, 52.1}, {1, 52}}}},
		"collection":   orb.Collection{orb.Point{-2.5, 53.4}, orb.LineString{{-2.5, 53.4}, {-2.4, 53.5}}},
		"extremes":     orb.LineString{{-180, -90}, {180, 90}},
	}
}

func near(a, b orb.Geometry) bool {
	if a == nil || b == nil || a.GeoJSONType() != b.GeoJSONType() {
		return false
	}
	var pa, pb []orb.Point
	flatten(a, &pa)
	flatten(b, &pb)
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		if math.Abs(pa[i][0]-pb[i][0]) > 1e-7 || math.Abs(pa[i][1]-pb[i][1]) > 1e-7 {
			return false
		}
	}
	return true
}

func flatten(g orb.Geometry, out *[]orb.Point) {
	switch g := g.(type) {
	case orb.Point:
		*out = append(*out, g)
	case orb.MultiPoint:
		*out = append(*out, g...)
	case orb.LineString:
		*out = append(*out, g...)
	case orb.Ring:
		*out = append(*out, g...)
	case orb.MultiLineString:
		for _, l := range g {
			*out = append(*out, l...)
			*out = append(*out, orb.Point{math.NaN(), 0}) // part separator
		}
	case orb.Polygon:
		for _, r := range g {
			*out = append(*out, r...)
			*out = append(*out, orb.Point{math.Inf(1), 0})
		}
	case orb.MultiPolygon:
		for _, p := range g {
			flatten(p, out)
			*out = append(*out, orb.Point{math.Inf(-1), 0})
		}
	case orb.Collection:
		for _, m := range g {
			*out = append(*out, orb.Point{float64(len(m.GeoJSONType())), 0})
			flatten(m, out)
		}
	}
}

func testFeatureRoundTrip(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	full := coopmap.Feature{
		ID:          coopmap.FeatureID("coops", "R006884"),
		SourceID:    "coops",
		Name:        "Maesteg Workmen's Club & Institute — Cymru ✓",
		Sector:      "Membership associations, social clubs and trade unions",
		OrgType:     "Society",
		Address:     "11 Temple Street, Maesteg, Bridgend",
		Postcode:    "CF34 9YY",
		Website:     "https://example.coop/maesteg?a=1&b=2",
		Email:       "hello@example.coop",
		Description: "Line one\nline two, with \"quotes\" and 'apostrophes' and a tab\t.",
		Founded:     "1896",
		Status:      "active",
		Properties: map[string]any{
			"sic_code":    "94990",
			"members":     float64(1200),
			"ratio":       0.25,
			"registered":  true,
			"tags":        []any{"club", "social"},
			"nested":      map[string]any{"a": "b"},
			"nothing":     nil,
			"unicode é ✓": "ok",
		},
		Geometry:  orb.Point{-3.654703, 51.608344},
		Precision: coopmap.PrecisionPostcode,
	}
	fs := []coopmap.Feature{full}
	for name, g := range geometries() {
		fs = append(fs, coopmap.Feature{ID: coopmap.FeatureID("coops", name), SourceID: "coops", Name: name, Geometry: g, Precision: coopmap.PrecisionExact})
	}
	before := time.Now().Add(-time.Second)
	replace(t, s, Source("coops", coopmap.KindCoops), fs)
	for _, want := range fs {
		got, err := s.Feature(ctx, want.ID)
		if err != nil {
			t.Fatalf("Feature(%s): %v", want.ID, err)
		}
		if !near(got.Geometry, want.Geometry) {
			t.Errorf("%s geometry:\n got %#v\nwant %#v", want.ID, got.Geometry, want.Geometry)
		}
		if got.Version != 1 || got.UpdatedAt.Before(before) {
			t.Errorf("%s version %d updated %v; want 1, about now", want.ID, got.Version, got.UpdatedAt)
		}
		got.Geometry, want.Geometry = nil, nil
		got.Version, got.UpdatedAt = 0, time.Time{}
		if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
			t.Errorf("%s round trip:\n got %#v\nwant %#v", want.ID, got, want)
		}
	}
}

func testNotFound(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	_, err := s.Source(ctx, "nope")
	wantCode(t, err, coopmap.CodeNotFound, "")
	if !errors.Is(err, coopmap.ErrNotFound) {
		t.Errorf("errors.Is(%v, ErrNotFound) = false", err)
	}
	_, err = s.Feature(ctx, "nope.1")
	wantCode(t, err, coopmap.CodeNotFound, "")
	_, err = s.Tour(ctx, "nope")
	wantCode(t, err, coopmap.CodeNotFound, "")
	wantCode(t, s.DeleteSource(ctx, "nope"), coopmap.CodeNotFound, "")
	wantCode(t, s.DeleteTour(ctx, "nope"), coopmap.CodeNotFound, "")
	replace(t, s, Source("tours", coopmap.KindTours), nil)
	_, err = s.UpdateTour(ctx, coopmap.Tour{ID: "nope", SourceID: "tours", Title: "x", Version: 1})
	wantCode(t, err, coopmap.CodeNotFound, "")
	for _, err := range s.SourceFeatures(ctx, "nope") {
		wantCode(t, err, coopmap.CodeNotFound, "")
	}
}

func testBBox(t *testing.T, s coopmap.Store) {
	src := Source("grid", coopmap.KindCoops)
	lon := func(x int) float64 { return float64(x) / 10 }
	lat := func(y int) float64 { return 50 + float64(y)/10 }
	var fs []coopmap.Feature
	for x := 0; x <= 10; x++ {
		for y := 0; y <= 10; y++ {
			fs = append(fs, Point("grid", fmt.Sprintf("p%02d-%02d", x, y), lon(x), lat(y)))
		}
	}
	// Points a hair (1e-7°, about 1 cm) outside the query box's edges must
	// not match: an index that rounds coordinates (an R*Tree keeps float32)
	// needs an exact check after it.
	fs = append(fs,
		Point("grid", "hair-west", lon(2)-1e-7, lat(4)),
		Point("grid", "hair-north", lon(3), lat(5)+1e-7),
	)
	// A polygon whose bbox overlaps the query box although no vertex is inside.
	fs = append(fs, coopmap.Feature{ID: "grid.poly", SourceID: "grid", Name: "big", Precision: coopmap.PrecisionArea,
		Geometry: orb.Polygon{{{-5, 45}, {5, 45}, {5, 55}, {-5, 55}, {-5, 45}}}})
	replace(t, s, src, fs)
	// Edges are inclusive: x 0.2..0.4 and y 50.3..50.5 hold 3×3 grid points.
	b := geo.BBox{MinLon: lon(2), MinLat: lat(3), MaxLon: lon(4), MaxLat: lat(5)}
	p := query(t, s, coopmap.Query{BBox: &b, Limit: 1000})
	if p.Matched != 10 || len(p.Features) != 10 {
		t.Fatalf("bbox matched %d returned %d (%v); want 10 (9 points on and inside the edges, 1 polygon)", p.Matched, len(p.Features), ids(p.Features))
	}
	for _, f := range p.Features {
		if pt, ok := f.Geometry.(orb.Point); ok && !b.Contains(pt) {
			t.Errorf("%s at %v is outside %+v", f.ID, pt, b)
		}
	}
	// A box away from everything but inside the polygon's bbox.
	b2 := geo.BBox{MinLon: 3, MinLat: 53, MaxLon: 4, MaxLat: 54}
	if p := query(t, s, coopmap.Query{BBox: &b2}); p.Matched != 1 || p.Features[0].ID != "grid.poly" {
		t.Errorf("box inside the polygon's bbox matched %v; want grid.poly", ids(p.Features))
	}
	// A box far away matches nothing.
	b3 := geo.BBox{MinLon: 100, MinLat: 0, MaxLon: 101, MaxLat: 1}
	if p := query(t, s, coopmap.Query{BBox: &b3}); p.Matched != 0 || len(p.Features) != 0 || p.Next != "" {
		t.Errorf("far box = %+v; want empty", p)
	}
	// A degenerate box on one point.
	b4 := geo.BBox{MinLon: lon(5), MinLat: lat(5), MaxLon: lon(5), MaxLat: lat(5)}
	if p := query(t, s, coopmap.Query{BBox: &b4}); p.Matched != 2 {
		t.Errorf("point box matched %v; want the point and the polygon", ids(p.Features))
	}
	// An invalid box.
	_, err := s.Features(context.Background(), coopmap.Query{BBox: &geo.BBox{MinLon: 0, MinLat: 52, MaxLon: 1, MaxLat: 51}})
	wantCode(t, err, coopmap.CodeInvalid, "bbox")
}

func testBBoxAntimeridian(t *testing.T, s coopmap.Store) {
	replace(t, s, Source("pacific", coopmap.KindFeatures), []coopmap.Feature{
		Point("pacific", "fiji", 178.4, -18.1),
		Point("pacific", "samoa", -172.1, -13.8),
		Point("pacific", "east-edge", 180, -15),
		Point("pacific", "west-edge", -180, -15),
		Point("pacific", "greenwich", 0, -15),
		Point("pacific", "hawaii", -155.5, 19.6),
	})
	b := geo.BBox{MinLon: 170, MinLat: -20, MaxLon: -170, MaxLat: -10}
	p := query(t, s, coopmap.Query{BBox: &b})
	got := ids(p.Features)
	want := []string{"pacific.east-edge", "pacific.fiji", "pacific.samoa", "pacific.west-edge"}
	if strings.Join(got, ",") != strings.Join(want, ",") || p.Matched != 4 {
		t.Errorf("antimeridian bbox matched %v (%d); want %v", got, p.Matched, want)
	}
}

func testFilters(t *testing.T, s coopmap.Store) {
	a := Point("a", "1", 0, 51)
	a2 := Point("a", "2", 0, 51)
	a2.Sector, a2.OrgType = "Housing", "Housing co-operative"
	a3 := Point("a", "3", 0, 51)
	a3.Sector = "Housing"
	b := Point("b", "1", 0, 51)
	b.Sector, b.OrgType = "Housing", "Society"
	replace(t, s, Source("a", coopmap.KindCoops), []coopmap.Feature{a, a2, a3})
	replace(t, s, Source("b", coopmap.KindCoops), []coopmap.Feature{b})
	replace(t, s, Source("c", coopmap.KindFeatures), []coopmap.Feature{Point("c", "1", 0, 51)})
	for _, tc := range []struct {
		q    coopmap.Query
		want string
	}{
		{coopmap.Query{}, "a.1,a.2,a.3,b.1,c.1"},
		{coopmap.Query{Sources: []string{"a"}}, "a.1,a.2,a.3"},
		{coopmap.Query{Sources: []string{"a", "c"}}, "a.1,a.2,a.3,c.1"},
		{coopmap.Query{Sector: "Housing"}, "a.2,a.3,b.1"},
		{coopmap.Query{Sector: "Housing", Sources: []string{"a"}}, "a.2,a.3"},
		{coopmap.Query{Sector: "Housing", OrgType: "Housing co-operative"}, "a.2"},
		{coopmap.Query{OrgType: "Worker co-operative", Sources: []string{"b"}}, ""},
		{coopmap.Query{Sources: []string{"zzz"}}, ""},
	} {
		p := query(t, s, tc.q)
		if got := strings.Join(ids(p.Features), ","); got != tc.want || p.Matched != len(p.Features) {
			t.Errorf("Features(%+v) = %q matched %d; want %q", tc.q, got, p.Matched, tc.want)
		}
	}
	_, err := s.Features(context.Background(), coopmap.Query{Sources: []string{"Bad Slug"}})
	wantCode(t, err, coopmap.CodeInvalid, "sources[0]")
}

func testTextSearch(t *testing.T, s coopmap.Store) {
	// Sector and organisation type are searched too: clear Point's defaults.
	f1 := Point("t", "1", 0, 51)
	f1.Name, f1.Postcode, f1.Address, f1.Sector, f1.OrgType = "Café Élan Workers' Co-operative", "N22 6UJ", "12 High Road, Wood Green", "", ""
	f2 := Point("t", "2", 0, 51)
	f2.Name, f2.Sector, f2.OrgType = "Suma Wholefoods", "Wholesale food", ""
	f3 := Point("t", "3", 0, 51)
	f3.Name, f3.Description, f3.Sector, f3.OrgType = "100% Housing_Co-op", "Homes for 50% of the price", "", ""
	replace(t, s, Source("t", coopmap.KindCoops), []coopmap.Feature{f1, f2, f3})
	for _, tc := range []struct{ text, want string }{
		{"cafe elan", "t.1"},
		{"CAFÉ", "t.1"},
		{"workers co operative", "t.1"},
		{"n22 6uj", "t.1"},
		{"N226UJ", "t.1"},
		{"wood green", "t.1"},
		{"wholesale", "t.2"},
		{"food", "t.2"},
		{"co-op", "t.1,t.3"},
		{"%", "t.1,t.2,t.3"}, // folds to nothing: no text filter
		{"50%", "t.3"},
		{"housing_co", "t.3"},
		{"x_y", ""},
		{"nothing like this", ""},
	} {
		p := query(t, s, coopmap.Query{Text: tc.text})
		if got := strings.Join(ids(p.Features), ","); got != tc.want || p.Matched != len(p.Features) {
			t.Errorf("Text %q = %q (matched %d); want %q", tc.text, got, p.Matched, tc.want)
		}
	}
	_, err := s.Features(context.Background(), coopmap.Query{Text: strings.Repeat("a", coopmap.MaxQueryText+1)})
	wantCode(t, err, coopmap.CodeInvalid, "text")
}

func testPagination(t *testing.T, s coopmap.Store) {
	var fs []coopmap.Feature
	for i := 0; i < 250; i++ {
		fs = append(fs, Point("p", fmt.Sprintf("k%04d", (i*7919)%250), float64(i%10)/10, 51))
	}
	replace(t, s, Source("p", coopmap.KindCoops), fs)
	q := coopmap.Query{Limit: 100}
	var got []string
	pages := 0
	for {
		p := query(t, s, q)
		pages++
		if p.Matched != 250 {
			t.Fatalf("page %d Matched = %d; want 250 on every page", pages, p.Matched)
		}
		got = append(got, ids(p.Features)...)
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	if pages != 3 || len(got) != 250 {
		t.Fatalf("%d pages, %d ids; want 3 pages, 250 ids", pages, len(got))
	}
	if !sort.StringsAreSorted(got) {
		t.Error("pages are not in id order")
	}
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Fatalf("duplicate %s", got[i])
		}
	}
	// An exact final page has no next cursor.
	if p := query(t, s, coopmap.Query{Limit: 250}); p.Next != "" || len(p.Features) != 250 {
		t.Errorf("limit 250 of 250: next %q, %d features; want no next", p.Next, len(p.Features))
	}
	ctx := context.Background()
	_, err := s.Features(ctx, coopmap.Query{After: "not a cursor!"})
	wantCode(t, err, coopmap.CodeInvalid, "after")
	_, err = s.Features(ctx, coopmap.Query{Limit: coopmap.MaxLimit + 1})
	wantCode(t, err, coopmap.CodeInvalid, "limit")
	_, err = s.Features(ctx, coopmap.Query{Limit: -1})
	wantCode(t, err, coopmap.CodeInvalid, "limit")
	if p := query(t, s, coopmap.Query{Limit: coopmap.MaxLimit}); len(p.Features) != 250 {
		t.Errorf("limit MaxLimit returned %d; want 250", len(p.Features))
	}
}

func testPaginationConcurrent(t *testing.T, s coopmap.Store) {
	var a []coopmap.Feature
	for i := 0; i < 300; i++ {
		a = append(a, Point("a", fmt.Sprintf("k%04d", i*2), 0, 51))
	}
	replace(t, s, Source("a", coopmap.KindCoops), a)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	writes := 0
	go func() {
		defer wg.Done()
		for round := 0; ; round++ {
			select {
			case <-stop:
				return
			default:
			}
			// b's ids interleave with a's (same keys, other prefix sorts
			// after; odd keys land between a's pages), and change every round.
			var b []coopmap.Feature
			for i := round % 3; i < 600; i += 3 {
				b = append(b, Point("a-b", fmt.Sprintf("k%04d", i), 0, 51))
			}
			if _, err := s.ReplaceSource(context.Background(), Source("a-b", coopmap.KindCoops), Seq(b)); err != nil {
				t.Errorf("concurrent replace: %v", err)
				return
			}
			writes++
		}
	}()
	var seen []string
	for pass := 0; pass < 3; pass++ {
		q := coopmap.Query{Limit: 25}
		seen = seen[:0]
		for {
			p := query(t, s, q)
			seen = append(seen, ids(p.Features)...)
			if p.Next == "" {
				break
			}
			q.After = p.Next
		}
		count := map[string]int{}
		for _, id := range seen {
			count[id]++
			if count[id] > 1 {
				t.Fatalf("pass %d: %s seen twice", pass, id)
			}
		}
		for _, f := range a {
			if count[f.ID] != 1 {
				t.Fatalf("pass %d: %s seen %d times; every untouched record must appear once", pass, f.ID, count[f.ID])
			}
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d concurrent replaces while paging", writes)
}

func testReplaceIdempotent(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	src := Source("idem", coopmap.KindCoops)
	var fs []coopmap.Feature
	for i := 0; i < 50; i++ {
		f := Point("idem", fmt.Sprintf("r%d", i), -2+float64(i)*0.0123456789, 52.123456789)
		f.Properties = map[string]any{"n": float64(i), "s": "x"}
		fs = append(fs, f)
	}
	fs = append(fs, coopmap.Feature{ID: "idem.poly", SourceID: "idem", Name: "poly", Precision: coopmap.PrecisionArea, Geometry: geometries()["polygon"]})
	first := replace(t, s, src, fs)
	before, _ := s.Feature(ctx, "idem.r7")
	second := replace(t, s, src, fs)
	if second.Added != 0 || second.Updated != 0 || second.Removed != 0 || second.Unchanged != 51 || second.Changed() {
		t.Errorf("identical replace = %+v; want 51 unchanged, nothing else", second)
	}
	if second.Source.Version != first.Source.Version {
		t.Errorf("identical replace bumped the source version %d → %d", first.Source.Version, second.Source.Version)
	}
	after, _ := s.Feature(ctx, "idem.r7")
	if after.Version != before.Version || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("identical replace changed version/updated_at: %d %v → %d %v", before.Version, before.UpdatedAt, after.Version, after.UpdatedAt)
	}
	// Metadata alone changing is a change to the source, not to features.
	src.Title = "Renamed"
	third := replace(t, s, src, fs)
	if third.Changed() || third.Source.Version <= second.Source.Version || third.Source.Title != "Renamed" {
		t.Errorf("metadata-only replace = %+v; want no feature changes and a new source version", third)
	}
}

func testReplaceChanges(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	src := Source("chg", coopmap.KindCoops)
	fs := []coopmap.Feature{Point("chg", "1", 0, 51), Point("chg", "2", 0, 51), Point("chg", "3", 0, 51), Point("chg", "4", 0, 51)}
	r1 := replace(t, s, src, fs)
	if r1.Added != 4 {
		t.Fatalf("first replace = %+v; want 4 added", r1)
	}
	// 1 unchanged, 2 renamed, 3 moved, 4 removed, 5 added.
	next := []coopmap.Feature{fs[0], fs[1], fs[2], Point("chg", "5", 0, 51)}
	next[1].Name = "Renamed"
	next[2].Geometry = orb.Point{0.001, 51}
	r2 := replace(t, s, src, next)
	if r2.Added != 1 || r2.Updated != 2 || r2.Unchanged != 1 || r2.Removed != 1 {
		t.Errorf("second replace = %+v; want 1 added, 2 updated, 1 unchanged, 1 removed", r2)
	}
	if r2.Source.FeatureCount != 4 || r2.Source.Version <= r1.Source.Version {
		t.Errorf("source after = count %d version %d; want 4 and above %d", r2.Source.FeatureCount, r2.Source.Version, r1.Source.Version)
	}
	for id, v := range map[string]int64{"chg.1": 1, "chg.2": 2, "chg.3": 2, "chg.5": 1} {
		f, err := s.Feature(ctx, id)
		if err != nil || f.Version != v {
			t.Errorf("%s version = %d, %v; want %d", id, f.Version, err, v)
		}
	}
	if _, err := s.Feature(ctx, "chg.4"); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Errorf("removed feature: %v; want not found", err)
	}
	if f, _ := s.Feature(ctx, "chg.2"); f.Name != "Renamed" {
		t.Errorf("renamed feature has name %q", f.Name)
	}
	// Replacing with nothing empties the source but keeps it.
	r3 := replace(t, s, src, nil)
	if r3.Removed != 4 || r3.Source.FeatureCount != 0 {
		t.Errorf("empty replace = %+v; want 4 removed, count 0", r3)
	}
	if _, err := s.Source(ctx, "chg"); err != nil {
		t.Errorf("source gone after empty replace: %v", err)
	}
}

func snapshot(t *testing.T, s coopmap.Store, source string) string {
	t.Helper()
	var b strings.Builder
	for f, err := range s.SourceFeatures(context.Background(), source) {
		if err != nil {
			t.Fatalf("SourceFeatures(%s): %v", source, err)
		}
		fmt.Fprintf(&b, "%s|%s|%d|%v\n", f.ID, f.Name, f.Version, f.Geometry)
	}
	src, err := s.Source(context.Background(), source)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "%s|%d|%d|%s", src.Title, src.FeatureCount, src.Version, src.UpdatedAt)
	return b.String()
}

func testReplaceAtomicIterError(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	src := Source("atom", coopmap.KindCoops)
	var fs []coopmap.Feature
	for i := 0; i < 100; i++ {
		fs = append(fs, Point("atom", fmt.Sprintf("%03d", i), 0, 51))
	}
	replace(t, s, src, fs)
	want := snapshot(t, s, "atom")
	boom := errors.New("the file ended mid-record")
	src.Title = "Half-imported"
	_, err := s.ReplaceSource(ctx, src, func(yield func(coopmap.Feature, error) bool) {
		for i, f := range fs {
			if i == 60 {
				yield(coopmap.Feature{}, boom)
				return
			}
			f.Name = "changed"
			if !yield(f, nil) {
				return
			}
		}
	})
	if !errors.Is(err, boom) {
		t.Fatalf("ReplaceSource with a failing iterator = %v; want the iterator's error", err)
	}
	if got := snapshot(t, s, "atom"); got != want {
		t.Errorf("a failed replace changed the source:\n got %s\nwant %s", got, want)
	}
	// A brand-new source whose import fails does not appear at all.
	_, err = s.ReplaceSource(ctx, Source("fresh", coopmap.KindCoops), func(yield func(coopmap.Feature, error) bool) {
		if yield(Point("fresh", "1", 0, 51), nil) {
			yield(coopmap.Feature{}, boom)
		}
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v; want the iterator's error", err)
	}
	if _, err := s.Source(ctx, "fresh"); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Errorf("failed first import left a source behind: %v", err)
	}
	if p := query(t, s, coopmap.Query{Sources: []string{"fresh"}}); p.Matched != 0 {
		t.Errorf("failed first import left %d features", p.Matched)
	}
}

func testReplaceAtomicInvalid(t *testing.T, s coopmap.Store) {
	src := Source("inv", coopmap.KindCoops)
	var fs []coopmap.Feature
	for i := 0; i < 20; i++ {
		fs = append(fs, Point("inv", fmt.Sprintf("%02d", i), 0, 51))
	}
	replace(t, s, src, fs)
	want := snapshot(t, s, "inv")
	bad := append([]coopmap.Feature(nil), fs...)
	bad[0].Name = "changed"
	bad[5].Geometry = orb.Point{0, 91}
	_, err := s.ReplaceSource(context.Background(), src, Seq(bad))
	wantCode(t, err, coopmap.CodeInvalid, "features[5].geometry")
	if got := snapshot(t, s, "inv"); got != want {
		t.Errorf("a rejected replace changed the source:\n got %s\nwant %s", got, want)
	}
	other := append([]coopmap.Feature(nil), fs...)
	other[3].SourceID = "elsewhere"
	_, err = s.ReplaceSource(context.Background(), src, Seq(other))
	wantCode(t, err, coopmap.CodeInvalid, "features[3].source_id")
	// Ids are unique across sources.
	replace(t, s, Source("inv-other", coopmap.KindCoops), []coopmap.Feature{Point("inv-other", "1", 0, 51)})
	taken := append([]coopmap.Feature(nil), fs...)
	taken[2].ID = "inv-other.1"
	_, err = s.ReplaceSource(context.Background(), src, Seq(taken))
	wantCode(t, err, coopmap.CodeConflict, "features[2].id")
	if got := snapshot(t, s, "inv"); got != want {
		t.Errorf("a conflicting replace changed the source:\n got %s\nwant %s", got, want)
	}
	// An empty SourceID is filled in.
	fill := []coopmap.Feature{Point("inv", "x", 0, 51)}
	fill[0].SourceID = ""
	replace(t, s, src, fill)
	if f, err := s.Feature(context.Background(), "inv.x"); err != nil || f.SourceID != "inv" {
		t.Errorf("feature with empty SourceID stored as %+v, %v", f, err)
	}
}

func testReplaceDuplicate(t *testing.T, s coopmap.Store) {
	fs := []coopmap.Feature{Point("dup", "1", 0, 51), Point("dup", "2", 0, 51), Point("dup", "1", 1, 52)}
	_, err := s.ReplaceSource(context.Background(), Source("dup", coopmap.KindCoops), Seq(fs))
	wantCode(t, err, coopmap.CodeInvalid, "features[2].id")
	if _, err := s.Source(context.Background(), "dup"); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Errorf("rejected import left the source: %v", err)
	}
}

func testReplaceKindConflict(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	replace(t, s, Source("k", coopmap.KindCoops), []coopmap.Feature{Point("k", "1", 0, 51)})
	_, err := s.ReplaceSource(ctx, Source("k", coopmap.KindFeatures), nil)
	wantCode(t, err, coopmap.CodeConflict, "")
	_, err = s.ReplaceSource(ctx, Source("tt", coopmap.KindTours), Seq([]coopmap.Feature{Point("tt", "1", 0, 51)}))
	wantCode(t, err, coopmap.CodeInvalid, "features")
}

func testDeleteSource(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	replace(t, s, Source("gone", coopmap.KindCoops), []coopmap.Feature{Point("gone", "1", 0, 51), Point("gone", "2", 0, 51)})
	replace(t, s, Source("kept", coopmap.KindCoops), []coopmap.Feature{Point("kept", "1", 0, 51)})
	replace(t, s, Source("gone-tours", coopmap.KindTours), nil)
	tour := coopmap.Tour{ID: "t1", SourceID: "gone-tours", Title: "T", Stops: []coopmap.Stop{{FeatureID: "gone.1"}}}
	if _, err := s.CreateTour(ctx, tour); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSource(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if p := query(t, s, coopmap.Query{}); strings.Join(ids(p.Features), ",") != "kept.1" {
		t.Errorf("after delete, features = %v; want kept.1", ids(p.Features))
	}
	if _, err := s.Feature(ctx, "gone.1"); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Errorf("deleted feature: %v", err)
	}
	if err := s.DeleteSource(ctx, "gone-tours"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Tour(ctx, "t1"); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Errorf("tour of a deleted source: %v; want not found", err)
	}
	// The id can be used again.
	replace(t, s, Source("gone", coopmap.KindFeatures), []coopmap.Feature{Point("gone", "9", 0, 51)})
}

func testSourceFeatures(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	var fs []coopmap.Feature
	for i := 0; i < 1234; i++ {
		fs = append(fs, Point("str", fmt.Sprintf("%05d", (i*37)%1234), 0, 51))
	}
	replace(t, s, Source("str", coopmap.KindCoops), fs)
	replace(t, s, Source("other", coopmap.KindCoops), []coopmap.Feature{Point("other", "1", 0, 51)})
	var got []string
	for f, err := range s.SourceFeatures(ctx, "str") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f.ID)
	}
	if len(got) != 1234 || !sort.StringsAreSorted(got) {
		t.Fatalf("streamed %d features (sorted %v); want 1234 in id order", len(got), sort.StringsAreSorted(got))
	}
	// Stopping early releases the store: writes and reads still work.
	for i := 0; i < 20; i++ {
		n := 0
		for _, err := range s.SourceFeatures(ctx, "str") {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 3 {
				break
			}
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := s.ReplaceSource(wctx, Source("other", coopmap.KindCoops), nil); err != nil {
		t.Fatalf("write after abandoned streams: %v", err)
	}
	// An empty source streams nothing.
	for f, err := range s.SourceFeatures(ctx, "other") {
		t.Fatalf("empty source streamed %v, %v", f, err)
	}
}

func tourFixture(t *testing.T, s coopmap.Store) {
	t.Helper()
	a := Point("coops", "suma", -0.1, 51.6)
	a.Name = "Suma"
	b := coopmap.Feature{ID: "coops.area", SourceID: "coops", Name: "Orchard", Precision: coopmap.PrecisionArea, Geometry: orb.Polygon{{{0, 51}, {1, 51}, {1, 52}, {0, 52}, {0, 51}}}}
	replace(t, s, Source("coops", coopmap.KindCoops), []coopmap.Feature{a, b})
	src := Source("tours", coopmap.KindTours)
	src.Licence = coopmap.Licence{ID: "ODbL-1.0"}.Complete()
	src.Attribution = "© OpenStreetMap contributors"
	replace(t, s, src, nil)
}

func testTours(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	tourFixture(t, s)
	route := orb.LineString{{-0.1, 51.6}, {-0.11, 51.61}, {-0.12, 51.62}}
	in := coopmap.Tour{
		ID: "north-london", SourceID: "tours", Title: "North London co-ops", Region: "North London",
		Description: "Wood Green to Palmers Green",
		Stops: []coopmap.Stop{
			{FeatureID: "coops.suma", Note: "Start here"},
			{Name: "Alexandra Palace", Location: orb.Point{-0.12, 51.62}},
			{FeatureID: "coops.area"},
		},
		Legs: []coopmap.Leg{
			{Geometry: route[:2], DistanceM: 1300, DurationS: 300},
			{Geometry: route[1:], DistanceM: 1300, DurationS: 310},
		},
		Route: route, DistanceM: 2600,
	}
	created, err := s.CreateTour(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if created.Version != 1 || created.UpdatedAt.IsZero() {
		t.Errorf("created version %d updated %v; want 1 and a time", created.Version, created.UpdatedAt)
	}
	got, err := s.Tour(ctx, "north-london")
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != in.Title || got.Region != in.Region || got.Description != in.Description || got.DistanceM != 2600 || got.SourceID != "tours" {
		t.Errorf("tour round trip = %+v", got)
	}
	if !near(got.Route, route) || len(got.Legs) != 2 || !near(got.Legs[1].Geometry, route[1:]) || got.Legs[1].DurationS != 310 {
		t.Errorf("route/legs round trip = %v %+v", got.Route, got.Legs)
	}
	if len(got.Stops) != 3 {
		t.Fatalf("stops = %+v", got.Stops)
	}
	if s0 := got.Stops[0]; s0.FeatureID != "coops.suma" || s0.Name != "Suma" || s0.Location != (orb.Point{-0.1, 51.6}) || s0.Note != "Start here" {
		t.Errorf("referencing stop not resolved: %+v", s0)
	}
	if s1 := got.Stops[1]; s1.Name != "Alexandra Palace" || s1.Location != (orb.Point{-0.12, 51.62}) || s1.FeatureID != "" {
		t.Errorf("named stop = %+v", s1)
	}
	if s2 := got.Stops[2]; s2.Name != "Orchard" || s2.Location != (orb.Point{0.5, 51.5}) {
		t.Errorf("stop on a polygon = %+v; want its bbox centre", s2)
	}
	if src, _ := s.Source(ctx, "tours"); src.FeatureCount != 1 {
		t.Errorf("tours source count = %d; want 1", src.FeatureCount)
	}
	_, err = s.CreateTour(ctx, in)
	wantCode(t, err, coopmap.CodeConflict, "")

	// Update with the right version, then a stale one.
	got.Title = "North London co-op ride"
	got.Stops = got.Stops[:2]
	got.Legs = got.Legs[:1]
	upd, err := s.UpdateTour(ctx, got)
	if err != nil {
		t.Fatal(err)
	}
	if upd.Version != 2 {
		t.Errorf("updated version = %d; want 2", upd.Version)
	}
	if again, _ := s.Tour(ctx, "north-london"); again.Title != "North London co-op ride" || len(again.Stops) != 2 || again.Version != 2 {
		t.Errorf("after update = %+v", again)
	}
	_, err = s.UpdateTour(ctx, got) // got still carries version 1
	wantCode(t, err, coopmap.CodeConflict, "")
	// A tour stays in its source.
	replace(t, s, Source("other-tours", coopmap.KindTours), nil)
	moved := upd
	moved.SourceID = "other-tours"
	_, err = s.UpdateTour(ctx, moved)
	wantCode(t, err, coopmap.CodeInvalid, "source_id")
	if _, err := s.Tours(ctx, "no-such-source"); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Errorf("Tours of a missing source = %v; want not found", err)
	}
	if list, err := s.Tours(ctx, "coops"); err != nil || len(list) != 0 {
		t.Errorf("Tours of a co-op source = %v, %v; want none", list, err)
	}

	second := coopmap.Tour{ID: "east-london", SourceID: "tours", Title: "East", Stops: []coopmap.Stop{{Name: "Start", Location: orb.Point{0, 51.5}}}}
	if _, err := s.CreateTour(ctx, second); err != nil {
		t.Fatal(err)
	}
	list, err := s.Tours(ctx, "tours")
	if err != nil || len(list) != 2 || list[0].ID != "east-london" || list[1].ID != "north-london" {
		t.Fatalf("Tours = %v, %v; want east-london, north-london", list, err)
	}
	if all, err := s.Tours(ctx, ""); err != nil || len(all) != 2 {
		t.Errorf("Tours(\"\") = %d, %v; want 2", len(all), err)
	}
	if err := s.DeleteTour(ctx, "east-london"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Tour(ctx, "east-london"); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Errorf("deleted tour: %v", err)
	}
	if src, _ := s.Source(ctx, "tours"); src.FeatureCount != 1 {
		t.Errorf("tours source count after delete = %d; want 1", src.FeatureCount)
	}
}

func testTourStopsFollow(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	tourFixture(t, s)
	if _, err := s.CreateTour(ctx, coopmap.Tour{ID: "t", SourceID: "tours", Title: "T", Stops: []coopmap.Stop{{FeatureID: "coops.suma"}, {FeatureID: "coops.area"}}}); err != nil {
		t.Fatal(err)
	}
	// A correction to the record flows into the tour; a removed record
	// leaves an unresolved stop.
	moved := Point("coops", "suma", -0.2, 51.7)
	moved.Name = "Suma (moved)"
	replace(t, s, Source("coops", coopmap.KindCoops), []coopmap.Feature{moved})
	got, err := s.Tour(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if got.Stops[0].Name != "Suma (moved)" || got.Stops[0].Location != (orb.Point{-0.2, 51.7}) || got.Stops[0].Unresolved {
		t.Errorf("stop did not follow its record: %+v", got.Stops[0])
	}
	if !got.Stops[1].Unresolved || got.Stops[1].FeatureID != "coops.area" {
		t.Errorf("stop of a removed record = %+v; want unresolved, id kept", got.Stops[1])
	}
}

func testTourInvalid(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	tourFixture(t, s)
	for _, tc := range []struct {
		tour  coopmap.Tour
		code  coopmap.Code
		field string
	}{
		{coopmap.Tour{ID: "x", SourceID: "nope", Title: "T"}, coopmap.CodeInvalid, "source_id"},
		{coopmap.Tour{ID: "x", SourceID: "coops", Title: "T"}, coopmap.CodeInvalid, "source_id"},
		{coopmap.Tour{ID: "Bad Id", SourceID: "tours", Title: "T"}, coopmap.CodeInvalid, "id"},
		{coopmap.Tour{ID: "x", SourceID: "tours"}, coopmap.CodeInvalid, "title"},
		{coopmap.Tour{ID: "x", SourceID: "tours", Title: "T", Stops: []coopmap.Stop{{FeatureID: "coops.suma"}, {FeatureID: "coops.missing"}}}, coopmap.CodeInvalid, "stops[1].feature_id"},
		{coopmap.Tour{ID: "x", SourceID: "tours", Title: "T", Stops: []coopmap.Stop{{Name: "P", Location: orb.Point{0, 95}}}}, coopmap.CodeInvalid, "stops[0].location"},
		{coopmap.Tour{ID: "x", SourceID: "tours", Title: "T", Stops: []coopmap.Stop{{Note: "no name"}}}, coopmap.CodeInvalid, "stops[0].name"},
		{coopmap.Tour{ID: "x", SourceID: "tours", Title: "T", Stops: make([]coopmap.Stop, coopmap.MaxStops+1)}, coopmap.CodeTooLarge, "stops"},
		{coopmap.Tour{ID: "x", SourceID: "tours", Title: "T", Route: orb.LineString{{0, 51}}}, coopmap.CodeInvalid, "route"},
	} {
		_, err := s.CreateTour(ctx, tc.tour)
		wantCode(t, err, tc.code, tc.field)
	}
	if list, _ := s.Tours(ctx, ""); len(list) != 0 {
		t.Errorf("rejected tours were stored: %v", list)
	}
}

func testCancelled(t *testing.T, s coopmap.Store) {
	replace(t, s, Source("c", coopmap.KindCoops), []coopmap.Feature{Point("c", "1", 0, 51)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if _, err := s.Features(ctx, coopmap.Query{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Features on a cancelled context = %v; want context.Canceled", err)
	}
	if _, err := s.Feature(ctx, "c.1"); !errors.Is(err, context.Canceled) {
		t.Errorf("Feature on a cancelled context = %v; want context.Canceled", err)
	}
	if _, err := s.ReplaceSource(ctx, Source("c", coopmap.KindCoops), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("ReplaceSource on a cancelled context = %v; want context.Canceled", err)
	}
	for _, err := range s.SourceFeatures(ctx, "c") {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("SourceFeatures on a cancelled context yielded %v; want context.Canceled", err)
		}
		break
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelled calls took %v", d)
	}
	if f, err := s.Feature(context.Background(), "c.1"); err != nil || f.ID != "c.1" {
		t.Errorf("store unusable after cancelled calls: %v", err)
	}
}

func testCancelledReplace(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	src := Source("cr", coopmap.KindCoops)
	replace(t, s, src, []coopmap.Feature{Point("cr", "1", 0, 51)})
	want := snapshot(t, s, "cr")
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, err := s.ReplaceSource(cctx, src, func(yield func(coopmap.Feature, error) bool) {
		for i := 0; i < 100000; i++ {
			if i == 500 {
				cancel()
			}
			if !yield(Point("cr", fmt.Sprintf("n%06d", i), 0, 51), nil) {
				return
			}
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ReplaceSource cancelled mid-stream = %v; want context.Canceled", err)
	}
	if got := snapshot(t, s, "cr"); got != want {
		t.Errorf("a cancelled replace changed the source:\n got %s\nwant %s", got, want)
	}
}

func testInvalidValues(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	good := Point("v", "1", 0, 51)
	for _, tc := range []struct {
		name  string
		edit  func(*coopmap.Feature)
		field string
	}{
		{"lat 91", func(f *coopmap.Feature) { f.Geometry = orb.Point{0, 91} }, "geometry"},
		{"lon 181", func(f *coopmap.Feature) { f.Geometry = orb.Point{181, 0} }, "geometry"},
		{"NaN", func(f *coopmap.Feature) { f.Geometry = orb.Point{math.NaN(), 51} }, "geometry"},
		{"Inf", func(f *coopmap.Feature) { f.Geometry = orb.LineString{{0, 51}, {math.Inf(1), 51}} }, "geometry"},
		{"no geometry", func(f *coopmap.Feature) { f.Geometry = nil }, "geometry"},
		{"empty line", func(f *coopmap.Feature) { f.Geometry = orb.LineString{} }, "geometry"},
		{"empty multipolygon", func(f *coopmap.Feature) { f.Geometry = orb.MultiPolygon{} }, "geometry"},
		{"unclosed ring", func(f *coopmap.Feature) { f.Geometry = orb.Polygon{{{0, 51}, {1, 51}, {1, 52}, {0, 52}}} }, "geometry"},
		{"10 MB name", func(f *coopmap.Feature) { f.Name = strings.Repeat("n", 10<<20) }, "name"},
		{"invalid UTF-8", func(f *coopmap.Feature) { f.Address = "\xff\xfe" }, "address"},
		{"bad precision", func(f *coopmap.Feature) { f.Precision = "roughly" }, "precision"},
		{"javascript website", func(f *coopmap.Feature) { f.Website = "javascript:alert(1)" }, "website"},
		{"huge properties", func(f *coopmap.Feature) {
			f.Properties = map[string]any{"x": strings.Repeat("p", coopmap.MaxProperties)}
		}, "properties"},
		{"empty id", func(f *coopmap.Feature) { f.ID = "" }, "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := good
			tc.edit(&f)
			_, err := s.ReplaceSource(ctx, Source("v", coopmap.KindCoops), Seq([]coopmap.Feature{f}))
			wantCode(t, err, coopmap.CodeInvalid, "features[0]."+tc.field)
		})
	}
	for _, tc := range []struct {
		name  string
		edit  func(*coopmap.Source)
		field string
	}{
		{"no licence", func(s *coopmap.Source) { s.Licence = coopmap.Licence{} }, "licence.id"},
		{"no attribution", func(s *coopmap.Source) { s.Attribution = "" }, "attribution"},
		{"bad slug", func(s *coopmap.Source) { s.ID = "Not A Slug" }, "id"},
		{"bad kind", func(s *coopmap.Source) { s.Kind = "things" }, "kind"},
		{"10 MB title", func(s *coopmap.Source) { s.Title = strings.Repeat("t", 10<<20) }, "title"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := Source("v", coopmap.KindCoops)
			tc.edit(&src)
			_, err := s.ReplaceSource(ctx, src, nil)
			wantCode(t, err, coopmap.CodeInvalid, tc.field)
		})
	}
	if list, _ := s.Sources(ctx); len(list) != 0 {
		t.Errorf("invalid imports left sources behind: %v", list)
	}
}

func testConcurrentWriters(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	replace(t, s, Source("tours", coopmap.KindTours), nil)
	const writers, rounds = 4, 5
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				// Everyone writes the shared source and its own.
				var shared []coopmap.Feature
				for i := 0; i < 200; i++ {
					shared = append(shared, Point("shared", fmt.Sprintf("%d-%03d", w, i), 0, 51))
				}
				if _, err := s.ReplaceSource(ctx, Source("shared", coopmap.KindCoops), Seq(shared)); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				own := fmt.Sprintf("own-%d", w)
				if _, err := s.ReplaceSource(ctx, Source(own, coopmap.KindCoops), Seq([]coopmap.Feature{Point(own, fmt.Sprint(r), 0, 51)})); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				if _, err := s.CreateTour(ctx, coopmap.Tour{ID: fmt.Sprintf("t-%d-%d", w, r), SourceID: "tours", Title: "T"}); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	// The shared source holds exactly one writer's complete set.
	p := query(t, s, coopmap.Query{Sources: []string{"shared"}, Limit: 1000})
	if p.Matched != 200 {
		t.Fatalf("shared source holds %d features; want one writer's 200", p.Matched)
	}
	prefix := strings.SplitN(strings.TrimPrefix(p.Features[0].ID, "shared."), "-", 2)[0]
	for _, f := range p.Features {
		if !strings.HasPrefix(f.ID, "shared."+prefix+"-") {
			t.Fatalf("shared source mixes writers: %s and %s", p.Features[0].ID, f.ID)
		}
	}
	if src, _ := s.Source(ctx, "shared"); src.FeatureCount != 200 {
		t.Errorf("shared count = %d; want 200", src.FeatureCount)
	}
	for w := 0; w < writers; w++ {
		own := fmt.Sprintf("own-%d", w)
		if p := query(t, s, coopmap.Query{Sources: []string{own}}); p.Matched != 1 || p.Features[0].ID != coopmap.FeatureID(own, fmt.Sprint(rounds-1)) {
			t.Errorf("%s = %v; want its last round", own, ids(p.Features))
		}
	}
	if src, _ := s.Source(ctx, "tours"); src.FeatureCount != writers*rounds {
		t.Errorf("tours count = %d; want %d", src.FeatureCount, writers*rounds)
	}
}
