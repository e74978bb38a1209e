package geo

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestNewBBox(t *testing.T) {
	for _, tc := range []struct {
		in   [4]float64
		want string // error substring, "" for valid
	}{
		{[4]float64{-1, 50, 1, 52}, ""},
		{[4]float64{170, -20, -170, -10}, ""}, // crosses the antimeridian
		{[4]float64{-180, -90, 180, 90}, ""},
		{[4]float64{math.NaN(), 50, 1, 52}, "minLon is not a finite number"},
		{[4]float64{-1, 50, math.Inf(1), 52}, "maxLon is not a finite number"},
		{[4]float64{-181, 50, 1, 52}, "minLon -181 is outside"},
		{[4]float64{-1, 50, 1, 91}, "maxLat 91 is outside"},
		{[4]float64{-1, 52, 1, 50}, "minLat 52 is greater than maxLat 50"},
	} {
		_, err := NewBBox(tc.in[0], tc.in[1], tc.in[2], tc.in[3])
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("NewBBox%v = %v; want valid", tc.in, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("NewBBox%v = %v; want %q", tc.in, err, tc.want)
		}
	}
}

func TestBBoxAntimeridian(t *testing.T) {
	b := BBox{MinLon: 170, MinLat: -20, MaxLon: -170, MaxLat: -10}
	if !b.CrossesAntimeridian() || len(b.Bounds()) != 2 {
		t.Fatalf("%+v should split in two", b)
	}
	for _, tc := range []struct {
		p    orb.Point
		want bool
	}{
		{orb.Point{175, -15}, true},
		{orb.Point{-175, -15}, true},
		{orb.Point{180, -15}, true},
		{orb.Point{-180, -15}, true},
		{orb.Point{170, -20}, true}, // corner
		{orb.Point{0, -15}, false},
		{orb.Point{169.9, -15}, false},
		{orb.Point{175, -9.9}, false},
	} {
		if got := b.Contains(tc.p); got != tc.want {
			t.Errorf("Contains(%v) = %v; want %v", tc.p, got, tc.want)
		}
	}
	plain := BBox{MinLon: -1, MinLat: 50, MaxLon: 1, MaxLat: 52}
	if plain.CrossesAntimeridian() || len(plain.Bounds()) != 1 {
		t.Errorf("%+v should not split", plain)
	}
	if !plain.Intersects(orb.Bound{Min: orb.Point{0.5, 51.5}, Max: orb.Point{3, 53}}) {
		t.Error("overlapping bound should intersect")
	}
	if plain.Intersects(orb.Bound{Min: orb.Point{1.1, 51}, Max: orb.Point{3, 53}}) {
		t.Error("disjoint bound should not intersect")
	}
}

func TestValidate(t *testing.T) {
	ring := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 0}}
	for _, tc := range []struct {
		name string
		g    orb.Geometry
		want string
	}{
		{"point", orb.Point{-0.1, 51.5}, ""},
		{"polygon", orb.Polygon{ring}, ""},
		{"collection", orb.Collection{orb.Point{0, 0}, orb.LineString{{0, 0}, {1, 1}}}, ""},
		{"nil", nil, "missing"},
		{"lat 91", orb.Point{0, 91}, "lat 91 is outside"},
		{"lon -180.5", orb.Point{-180.5, 0}, "lon -180.5 is outside"},
		{"NaN", orb.Point{math.NaN(), 0}, "lon is not a finite number"},
		{"Inf lat", orb.MultiPoint{{0, 0}, {0, math.Inf(-1)}}, "position 1: lat is not a finite number"},
		{"empty multipoint", orb.MultiPoint{}, "empty"},
		{"one-point line", orb.LineString{{0, 0}}, "needs at least 2"},
		{"empty polygon", orb.Polygon{}, "empty"},
		{"short ring", orb.Polygon{{{0, 0}, {1, 0}, {0, 0}}}, "needs at least 4"},
		{"unclosed ring", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}, "ring 0 is not closed"},
		{"unclosed in multipolygon", orb.MultiPolygon{{ring}, {{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}}, "ring 0 of polygon 1 is not closed"},
		{"nested collection", orb.Collection{orb.Collection{orb.Point{0, 0}}}, "nested"},
		{"empty collection", orb.Collection{}, "empty"},
		{"bad member", orb.Collection{orb.Point{0, 0}, orb.Point{0, 100}}, "member 1: lat 100"},
		{"bound", orb.Bound{}, "not a storable geometry"},
	} {
		err := Validate(tc.g)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v; want valid", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v; want %q", tc.name, err, tc.want)
		}
	}
}

func TestValidateVertexLimit(t *testing.T) {
	big := make(orb.LineString, MaxVertices+1)
	for i := range big {
		big[i] = orb.Point{float64(i%360) - 180, 0}
	}
	if err := Validate(big); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a line over MaxVertices: %v; want the limit named", err)
	}
}

func TestDistance(t *testing.T) {
	// Wood Green to Palmers Green, about 2.1 km.
	d := Distance(orb.Point{-0.1097, 51.5975}, orb.Point{-0.1095, 51.6175})
	if d < 2100 || d > 2300 {
		t.Errorf("Distance = %.0f m; want about 2,200", d)
	}
	// orb uses the WGS84 equatorial radius, 6,378,137 m.
	if l := Length(orb.LineString{{0, 0}, {0, 1}, {0, 2}}); math.Abs(l-222639) > 50 {
		t.Errorf("Length of 2° of meridian = %.0f; want about 222,639", l)
	}
}
