package geo

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// BBox is a WGS84 (CRS84) bounding box in degrees. MinLon > MaxLon means the
// box crosses the antimeridian, as in OGC API – Features and RFC 7946.
type BBox struct {
	MinLon, MinLat, MaxLon, MaxLat float64
}

// NewBBox returns the box after checking its numbers: all finite, longitudes
// in [-180, 180], latitudes in [-90, 90] with MinLat <= MaxLat. The error
// says which number is wrong.
func NewBBox(minLon, minLat, maxLon, maxLat float64) (BBox, error) {
	b := BBox{minLon, minLat, maxLon, maxLat}
	for _, c := range []struct {
		name string
		v    float64
		lim  float64
	}{{"minLon", minLon, 180}, {"minLat", minLat, 90}, {"maxLon", maxLon, 180}, {"maxLat", maxLat, 90}} {
		if math.IsNaN(c.v) || math.IsInf(c.v, 0) {
			return BBox{}, fmt.Errorf("%s is not a finite number", c.name)
		}
		if c.v < -c.lim || c.v > c.lim {
			return BBox{}, fmt.Errorf("%s %g is outside [-%g, %g]", c.name, c.v, c.lim, c.lim)
		}
	}
	if minLat > maxLat {
		return BBox{}, fmt.Errorf("minLat %g is greater than maxLat %g", minLat, maxLat)
	}
	return b, nil
}

// CrossesAntimeridian reports whether the box wraps across longitude ±180.
func (b BBox) CrossesAntimeridian() bool { return b.MinLon > b.MaxLon }

// Bounds returns the box as one orb.Bound, or two when it crosses the
// antimeridian (the eastern part first). Stores query each and combine.
func (b BBox) Bounds() []orb.Bound {
	if !b.CrossesAntimeridian() {
		return []orb.Bound{{Min: orb.Point{b.MinLon, b.MinLat}, Max: orb.Point{b.MaxLon, b.MaxLat}}}
	}
	return []orb.Bound{
		{Min: orb.Point{b.MinLon, b.MinLat}, Max: orb.Point{180, b.MaxLat}},
		{Min: orb.Point{-180, b.MinLat}, Max: orb.Point{b.MaxLon, b.MaxLat}},
	}
}

// Intersects reports whether the bound r touches the box; edges count.
func (b BBox) Intersects(r orb.Bound) bool {
	for _, q := range b.Bounds() {
		if r.Min[0] <= q.Max[0] && r.Max[0] >= q.Min[0] && r.Min[1] <= q.Max[1] && r.Max[1] >= q.Min[1] {
			return true
		}
	}
	return false
}

// Contains reports whether the point lies in the box; edges count.
func (b BBox) Contains(p orb.Point) bool {
	return b.Intersects(orb.Bound{Min: p, Max: p})
}
