package coopmap_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

func TestErrors(t *testing.T) {
	err := fmt.Errorf("store: %w", coopmap.Invalidf("geometry", "lat 91 is outside [-90, 90]"))
	if !errors.Is(err, coopmap.ErrInvalid) || errors.Is(err, coopmap.ErrNotFound) {
		t.Errorf("errors.Is does not match by code: %v", err)
	}
	if coopmap.ErrorCode(err) != coopmap.CodeInvalid || coopmap.ErrorField(err) != "geometry" {
		t.Errorf("code %q field %q", coopmap.ErrorCode(err), coopmap.ErrorField(err))
	}
	if got := err.Error(); got != "store: invalid: geometry: lat 91 is outside [-90, 90]" {
		t.Errorf("Error() = %q", got)
	}
	if coopmap.ErrorCode(errors.New("boom")) != "" {
		t.Error("a plain error has a domain code")
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Café Élan":                  "cafe elan",
		"  Workers'   Co-operative ": "workers co operative",
		"N22 6UJ":                    "n22 6uj",
		"ŁÓDŹ Straße":                "łodz straße",
		"100%_done":                  "100 done",
		"":                           "",
	} {
		if got := coopmap.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestFeatureID(t *testing.T) {
	if got := coopmap.FeatureID("coops-uk", "R006884"); got != "coops-uk.R006884" {
		t.Errorf("plain key: %q", got)
	}
	a := coopmap.FeatureID("osm", "node/123")
	if a == coopmap.FeatureID("osm", "node/124") || a != coopmap.FeatureID("osm", "node/123") || !strings.HasPrefix(a, "osm.") || strings.Contains(a, "/") {
		t.Errorf("hashed key %q: want stable, distinct, URL-safe", a)
	}
}

func valid() coopmap.Feature {
	return coopmap.Feature{ID: "s.1", SourceID: "s", Name: "Suma", Geometry: orb.Point{-1.8, 53.7}, Precision: coopmap.PrecisionPostcode,
		Postcode: "HX5 9EB", Founded: "1977", Website: "https://suma.coop", Properties: map[string]any{"a": 1.0}}
}

func TestFeatureValidate(t *testing.T) {
	if err := valid().Validate(); err != nil {
		t.Fatalf("valid feature: %v", err)
	}
	for _, tc := range []struct {
		edit  func(*coopmap.Feature)
		field string
	}{
		{func(f *coopmap.Feature) { f.Geometry = orb.Point{0, 91} }, "geometry"},
		{func(f *coopmap.Feature) { f.Name = strings.Repeat("x", 10<<20) }, "name"},
		{func(f *coopmap.Feature) { f.Postcode = "<script>" }, "postcode"},
		{func(f *coopmap.Feature) { f.Founded = "last year" }, "founded"},
		{func(f *coopmap.Feature) { f.Website = "ftp://x" }, "website"},
		{func(f *coopmap.Feature) { f.SourceID = "Bad" }, "source_id"},
		{func(f *coopmap.Feature) { f.Precision = "" }, "precision"},
		{func(f *coopmap.Feature) { f.Description = "a\x00b" }, "description"},
		{func(f *coopmap.Feature) { f.Properties = map[string]any{"c": make(chan int)} }, "properties"},
	} {
		f := valid()
		tc.edit(&f)
		if err := f.Validate(); coopmap.ErrorCode(err) != coopmap.CodeInvalid || coopmap.ErrorField(err) != tc.field {
			t.Errorf("want invalid %s, got %v", tc.field, err)
		}
	}
}

func TestFeatureHash(t *testing.T) {
	a, b := valid(), valid()
	b.Version, b.ID = 9, "s.other" // not content
	if a.Hash() != b.Hash() {
		t.Error("hash depends on id or version")
	}
	b.Geometry = orb.Point{-1.8, 53.7 + 1e-10} // below storage precision
	if a.Hash() != b.Hash() {
		t.Error("hash changes below 1e-9°")
	}
	b.Geometry = orb.Point{-1.8, 53.7001}
	if a.Hash() == b.Hash() {
		t.Error("hash ignores a moved point")
	}
	c := valid()
	c.Properties = map[string]any{"a": 2.0}
	if a.Hash() == c.Hash() {
		t.Error("hash ignores properties")
	}
	// Field boundaries are unambiguous.
	d, e := valid(), valid()
	d.Name, d.Sector = "ab", "c"
	e.Name, e.Sector = "a", "bc"
	if d.Hash() == e.Hash() {
		t.Error("hash confuses field boundaries")
	}
}

func TestSourceValidate(t *testing.T) {
	s := coopmap.Source{ID: "coops-uk", Kind: coopmap.KindCoops, Licence: coopmap.Licence{ID: "ODC-By-1.0"}, Attribution: "Co-operatives UK"}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if l := s.Licence.Complete(); l.Name == "" || !strings.HasPrefix(l.URL, "https://") {
		t.Errorf("Complete() = %+v", l)
	}
	for _, id := range []string{"", "-a", "a-", "UPPER", "a_b", strings.Repeat("a", 65)} {
		s.ID = id
		if err := s.Validate(); coopmap.ErrorField(err) != "id" {
			t.Errorf("id %q: %v", id, err)
		}
	}
}

func TestQueryNormalize(t *testing.T) {
	q, pos, err := coopmap.Query{Text: "  CAFÉ ", After: coopmap.Cursor("x.1")}.Normalize()
	if err != nil || q.Limit != coopmap.DefaultLimit || q.Text != "cafe" || pos.ID != "x.1" || pos.Before {
		t.Errorf("Normalize = %+v %+v %v", q, pos, err)
	}
	if _, _, err := (coopmap.Query{After: "garbage"}).Normalize(); coopmap.ErrorField(err) != "after" {
		t.Errorf("bad cursor: %v", err)
	}
	if got := coopmap.EscapeLike(`50%_\`); got != `50\%\_\\` {
		t.Errorf("EscapeLike = %q", got)
	}
}

func TestTourValidate(t *testing.T) {
	tour := coopmap.Tour{ID: "north", SourceID: "tours", Title: "North London",
		Stops: []coopmap.Stop{{FeatureID: "coops.1"}, {Name: "Ally Pally", Location: orb.Point{-0.13, 51.59}}}}
	if err := tour.Validate(); err != nil {
		t.Fatal(err)
	}
	tour.Stops[1].Location = orb.Point{0, -95}
	if err := tour.Validate(); coopmap.ErrorField(err) != "stops[1].location" {
		t.Errorf("bad stop: %v", err)
	}
	tour.Stops[1].Location = orb.Point{0, 51}
	tour.Legs = []coopmap.Leg{{Geometry: orb.LineString{{0, 51}, {0, 52}}, DistanceM: -1}}
	if err := tour.Validate(); coopmap.ErrorField(err) != "legs[0]" {
		t.Errorf("negative distance: %v", err)
	}
	if p := coopmap.Anchor(orb.Polygon{{{0, 0}, {2, 0}, {2, 2}, {0, 0}}}); p != (orb.Point{1, 1}) {
		t.Errorf("Anchor = %v", p)
	}
}
