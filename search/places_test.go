package search

import (
	"context"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestPlace(t *testing.T) {
	x := newTestIndex(t, newMemReader())
	near := func(a, b orb.Point) bool { return math.Abs(a[0]-b[0]) < 1e-9 && math.Abs(a[1]-b[1]) < 1e-9 }

	// A unit: its centroid, no box (a real row of the shipped table).
	p, ok := x.Place(" cf349yy ")
	if !ok || p.Kind != PlacePostcode || p.Postcode != "CF34 9YY" || !near(p.Point, orb.Point{-3.654690, 51.608347}) || p.BBox != nil {
		t.Errorf("CF34 9YY: %+v %v", p, ok)
	}

	// A district: the table has N22 5NJ, N22 5QW and N22 8YD.
	p, ok = x.Place("n22")
	want := orb.Point{(-0.110172 - 0.100032 - 0.120660) / 3, (51.600434 + 51.604659 + 51.605216) / 3}
	if !ok || p.Kind != PlaceDistrict || p.Postcode != "N22" || !near(p.Point, want) || p.BBox == nil {
		t.Fatalf("N22: %+v %v", p, ok)
	}
	if b := *p.BBox; b.MinLon != -0.120660 || b.MaxLon != -0.100032 || b.MinLat != 51.600434 || b.MaxLat != 51.605216 {
		t.Errorf("N22 box %+v", b)
	}

	// CF3 and CF34 share a prefix but are different districts.
	p3, _ := x.Place("CF3")
	p34, _ := x.Place("CF34")
	if p3.BBox == nil || p34.BBox == nil || p3.BBox.MaxLat > 51.6 || p34.BBox.MinLat < 51.6 {
		t.Errorf("CF3 %+v, CF34 %+v", p3.BBox, p34.BBox)
	}

	// A sector: N22 5 holds two of the three units.
	p, ok = x.Place("N22 5")
	if !ok || p.Kind != PlaceSector || p.Postcode != "N22 5" || p.BBox.MinLon != -0.110172 || p.BBox.MaxLon != -0.100032 {
		t.Errorf("N22 5: %+v %v", p, ok)
	}

	for _, q := range []string{"", "N", "N22 9", "N22 5N", "BT40 3JY", "SW1A 1AA", "ZZ99", "bristol", "N22 5NJ extra", "N22 5 5"} {
		if p, ok := x.Place(q); ok {
			t.Errorf("Place(%q) = %+v; want none", q, p)
		}
	}

	// Search returns the place beside any records.
	m := newMemReader()
	m.put("coops", "coops", fixture()...)
	res, err := newTestIndex(t, m).Search(context.Background(), Query{Text: "CF34 9YY"})
	if err != nil || len(res.Places) != 1 || res.Places[0].Kind != PlacePostcode || len(res.Hits) != 1 {
		t.Errorf("search CF34 9YY: %+v %v", res, err)
	}

	// Without a postcode table there are no places.
	if _, ok := New(newMemReader(), nil, Options{}).Place("N22"); ok {
		t.Error("place without a table")
	}
}
