package geo

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// MaxVertices bounds the number of positions in one geometry, so a single
// record cannot exhaust memory or stall tile rendering.
const MaxVertices = 1_000_000

// ValidatePoint checks that p is a finite WGS84 position. The error names
// the coordinate ("lon" or "lat") and its value.
func ValidatePoint(p orb.Point) error {
	if math.IsNaN(p[0]) || math.IsInf(p[0], 0) {
		return fmt.Errorf("lon is not a finite number")
	}
	if math.IsNaN(p[1]) || math.IsInf(p[1], 0) {
		return fmt.Errorf("lat is not a finite number")
	}
	if p[0] < -180 || p[0] > 180 {
		return fmt.Errorf("lon %g is outside [-180, 180]", p[0])
	}
	if p[1] < -90 || p[1] > 90 {
		return fmt.Errorf("lat %g is outside [-90, 90]", p[1])
	}
	return nil
}

// Validate checks a geometry for storage: it must be non-nil and non-empty,
// every position finite and in range, line strings need two positions,
// polygon rings four positions and closed, and the whole at most
// MaxVertices positions. The error describes the first problem found and
// where it is (for example "ring 0 of polygon 2 is not closed").
func Validate(g orb.Geometry) error {
	if g == nil {
		return fmt.Errorf("geometry is missing")
	}
	n := 0
	var err error
	switch g := g.(type) {
	case orb.Point:
		return ValidatePoint(g)
	case orb.MultiPoint:
		if len(g) == 0 {
			return fmt.Errorf("multipoint is empty")
		}
		err = points(g, "", &n)
	case orb.LineString:
		err = line(g, "", &n)
	case orb.MultiLineString:
		if len(g) == 0 {
			return fmt.Errorf("multilinestring is empty")
		}
		for i, l := range g {
			if err = line(l, fmt.Sprintf(" of line %d", i), &n); err != nil {
				break
			}
		}
	case orb.Polygon:
		err = polygon(g, "", &n)
	case orb.MultiPolygon:
		if len(g) == 0 {
			return fmt.Errorf("multipolygon is empty")
		}
		for i, p := range g {
			if err = polygon(p, fmt.Sprintf(" of polygon %d", i), &n); err != nil {
				break
			}
		}
	case orb.Collection:
		if len(g) == 0 {
			return fmt.Errorf("geometry collection is empty")
		}
		for i, m := range g {
			if _, nested := m.(orb.Collection); nested {
				return fmt.Errorf("member %d: nested geometry collections are not supported", i)
			}
			if e := Validate(m); e != nil {
				return fmt.Errorf("member %d: %w", i, e)
			}
		}
	case orb.Ring, orb.Bound:
		return fmt.Errorf("%s is not a storable geometry type", g.GeoJSONType())
	default:
		return fmt.Errorf("unsupported geometry type %T", g)
	}
	return err
}

func points(ps []orb.Point, where string, n *int) error {
	*n += len(ps)
	if *n > MaxVertices {
		return fmt.Errorf("more than %d positions", MaxVertices)
	}
	for i, p := range ps {
		if err := ValidatePoint(p); err != nil {
			return fmt.Errorf("position %d%s: %w", i, where, err)
		}
	}
	return nil
}

func line(l orb.LineString, where string, n *int) error {
	if len(l) < 2 {
		return fmt.Errorf("line%s has %d positions, needs at least 2", where, len(l))
	}
	return points(l, where, n)
}

func polygon(p orb.Polygon, where string, n *int) error {
	if len(p) == 0 {
		return fmt.Errorf("polygon%s is empty", where)
	}
	for i, r := range p {
		w := fmt.Sprintf(" of ring %d%s", i, where)
		if len(r) < 4 {
			return fmt.Errorf("ring %d%s has %d positions, needs at least 4", i, where, len(r))
		}
		if !r.Closed() {
			return fmt.Errorf("ring %d%s is not closed (first and last positions differ)", i, where)
		}
		if err := points(r, w, n); err != nil {
			return err
		}
	}
	return nil
}
