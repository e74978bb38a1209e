package geo

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// Distance returns the great-circle distance in metres between two WGS84
// points (haversine on a spherical Earth, good to ~0.5% for routing and
// nearest-neighbour answers).
func Distance(a, b orb.Point) float64 { return geo.DistanceHaversine(a, b) }

// Length returns the length in metres of a WGS84 line string.
func Length(l orb.LineString) float64 {
	var d float64
	for i := 1; i < len(l); i++ {
		d += Distance(l[i-1], l[i])
	}
	return d
}
