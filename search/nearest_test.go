package search

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

func point(key string, lon, lat float64) coopmap.Feature {
	return coop(key, key, "", "", "", "", lon, lat)
}

func nearest(t *testing.T, x *Index, q NearQuery) []Near {
	t.Helper()
	res, err := x.Nearest(context.Background(), q)
	if err != nil {
		t.Fatalf("Nearest(%+v): %v", q, err)
	}
	for _, n := range res.Near {
		if !slices.ContainsFunc(res.Sources, func(s coopmap.Source) bool { return s.ID == n.SourceID }) {
			t.Errorf("source %s of %s missing from %v", n.SourceID, n.ID, res.Sources)
		}
	}
	return res.Near
}

func nearIDs(ns []Near) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

func TestNearestMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var fs []coopmap.Feature
	for i := range 3000 {
		// Spread over the whole globe, poles and antimeridian included.
		lon := -180 + 360*r.Float64()
		lat := math.Asin(2*r.Float64()-1) * 180 / math.Pi
		fs = append(fs, point(fmt.Sprintf("p%04d", i), lon, lat))
	}
	m := newMemReader()
	m.put("a", coopmap.KindCoops, fs[:1500]...)
	m.put("b", coopmap.KindFeatures, fs[1500:]...)
	x := newTestIndex(t, m)
	for i := range 200 {
		q := orb.Point{-180 + 360*r.Float64(), -90 + 180*r.Float64()}
		if i%10 == 0 {
			q = orb.Point{180, 90 - r.Float64()} // at the seam, near the pole
		}
		k := 1 + r.IntN(20)
		got := nearest(t, x, NearQuery{Point: q, N: k})
		want := make([]float64, len(fs))
		for j, f := range fs {
			want[j] = geo.Distance(q, f.Geometry.(orb.Point))
		}
		slices.Sort(want)
		if len(got) != k {
			t.Fatalf("%v k=%d: %d results", q, k, len(got))
		}
		for j := range got {
			if math.Abs(got[j].Distance-want[j]) > 1e-6 {
				t.Fatalf("%v k=%d: result %d is %s at %.3f m; brute force has one at %.3f m", q, k, j, got[j].ID, got[j].Distance, want[j])
			}
		}
	}
}

func TestNearestSeamsAndPoles(t *testing.T) {
	m := newMemReader()
	m.put("pts", coopmap.KindCoops,
		point("east", 179.99, 0), point("west", -179.99, 0), point("greenwich", 0, 0),
		point("pole-a", 0, 89.99), point("pole-b", 120, 89.99), point("pole-c", -120, 89.99),
		point("south", 45, -89.9),
	)
	x := newTestIndex(t, m)

	got := nearest(t, x, NearQuery{Point: orb.Point{180, 0}, N: 2})
	if ids := nearIDs(got); !(slices.Contains(ids, "c.east") && slices.Contains(ids, "c.west")) || math.Abs(got[0].Distance-1112) > 2 || math.Abs(got[1].Distance-1112) > 2 {
		t.Errorf("at 180,0: %+v", got)
	}
	got = nearest(t, x, NearQuery{Point: orb.Point{-180, 0}, N: 1})
	if len(got) != 1 || got[0].Distance > 1200 {
		t.Errorf("at -180,0: %+v", got)
	}
	// From the pole all three are 1.1 km away whatever their longitude.
	got = nearest(t, x, NearQuery{Point: orb.Point{77, 90}, N: 3})
	if ids := nearIDs(got); len(ids) != 3 || !slices.Contains(ids, "c.pole-a") || !slices.Contains(ids, "c.pole-b") || !slices.Contains(ids, "c.pole-c") {
		t.Errorf("at the pole: %v", ids)
	}
	for _, n := range got {
		if math.Abs(n.Distance-1112) > 2 {
			t.Errorf("%s is %.1f m from the pole", n.ID, n.Distance)
		}
	}
	got = nearest(t, x, NearQuery{Point: orb.Point{-100, -90}, N: 1})
	if len(got) != 1 || got[0].ID != "c.south" {
		t.Errorf("at the south pole: %+v", got)
	}
	// More asked than held: all of them, nearest first.
	got = nearest(t, x, NearQuery{Point: orb.Point{0, 0}, N: 50})
	if len(got) != 7 || got[0].ID != "c.greenwich" || got[0].Distance != 0 {
		t.Errorf("n=50: %v", nearIDs(got))
	}
}

func TestNearestSourcesAndBadInput(t *testing.T) {
	m := newMemReader()
	m.put("a", coopmap.KindCoops, point("a1", 0, 51), point("a2", 1, 51))
	m.put("b", coopmap.KindFeatures, point("b1", 0.1, 51))
	x := newTestIndex(t, m)
	if got := nearIDs(nearest(t, x, NearQuery{Point: orb.Point{0, 51}, N: 2})); !slices.Equal(got, []string{"c.a1", "c.b1"}) {
		t.Errorf("all sources: %v", got)
	}
	if got := nearIDs(nearest(t, x, NearQuery{Point: orb.Point{0, 51}, N: 2, Sources: []string{"a"}})); !slices.Equal(got, []string{"c.a1", "c.a2"}) {
		t.Errorf("source a: %v", got)
	}
	if got := nearest(t, x, NearQuery{Point: orb.Point{0, 51}}); len(got) != 3 {
		t.Errorf("default n: %v", nearIDs(got))
	}
	for _, c := range []struct {
		q     NearQuery
		field string
	}{
		{NearQuery{Point: orb.Point{math.NaN(), 0}}, "lon"},
		{NearQuery{Point: orb.Point{math.Inf(1), 0}}, "lon"},
		{NearQuery{Point: orb.Point{180.0001, 0}}, "lon"},
		{NearQuery{Point: orb.Point{0, 91}}, "lat"},
		{NearQuery{Point: orb.Point{0, math.NaN()}}, "lat"},
		{NearQuery{Point: orb.Point{0, 0}, N: -1}, "n"},
		{NearQuery{Point: orb.Point{0, 0}, N: MaxNearest + 1}, "n"},
		{NearQuery{Point: orb.Point{0, 0}, Sources: []string{"zz"}}, "source"},
	} {
		_, err := x.Nearest(context.Background(), c.q)
		if coopmap.ErrorCode(err) != coopmap.CodeInvalid || coopmap.ErrorField(err) != c.field {
			t.Errorf("%+v: %v; want invalid %s", c.q, err, c.field)
		}
	}
}

func TestRepresentative(t *testing.T) {
	for _, c := range []struct {
		g    orb.Geometry
		want orb.Point
	}{
		{orb.Point{1, 2}, orb.Point{1, 2}},
		{orb.LineString{{0, 0}, {2, 4}}, orb.Point{1, 2}},
		{orb.Polygon{{{0, 0}, {4, 0}, {4, 2}, {0, 2}, {0, 0}}}, orb.Point{2, 1}},
		// Across the antimeridian: centred at 180, not at 0.
		{orb.LineString{{179, 0}, {-179, 2}}, orb.Point{180, 1}},
		{orb.LineString{{-179, 0}, {179, 2}}, orb.Point{-180, 1}},
		{orb.Collection{orb.Point{10, 10}, orb.LineString{{12, 10}, {12, 12}}}, orb.Point{11, 11}},
		{nil, orb.Point{}},
		{orb.MultiPoint{}, orb.Point{}},
	} {
		if got := Representative(c.g); math.Abs(got[0]-c.want[0]) > 1e-9 || math.Abs(got[1]-c.want[1]) > 1e-9 {
			t.Errorf("Representative(%v) = %v; want %v", c.g, got, c.want)
		}
	}
}
