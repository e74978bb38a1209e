package tiles

import (
	"testing"

	"github.com/paulmach/orb"
)

// TestShapeDoesNotMutate: orb projects in place, so the renderer must work
// on a copy; a cached or shared feature must keep its coordinates.
func TestShapeDoesNotMutate(t *testing.T) {
	line := orb.LineString{{-0.1, 51.5}, {-0.09, 51.51}, {-0.08, 51.5}}
	orig := orb.Clone(line).(orb.LineString)
	spec := DefaultOptions().Spec(Tile{Z: 12, X: 2046, Y: 1362}, nil)
	proj := func(p orb.Point) orb.Point {
		x, y := toMercator(p[0], p[1])
		return orb.Point{x, y}
	}
	_ = shape(line, proj, spec, orb.Bound{Min: orb.Point{-1e9, -1e9}, Max: orb.Point{1e9, 1e9}})
	if !line.Equal(orig) {
		t.Errorf("shape changed its input: %v", line)
	}
}
