package tiles

import (
	"math"

	"github.com/paulmach/orb"
)

// snap rounds a geometry in tile units to whole units, as MVT stores them,
// drops repeated points and the parts that collapse, and winds polygon
// rings as MVT 2.1 requires (exterior rings with positive area in tile
// coordinates, holes negative). It returns nil when nothing is left.
func snap(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case nil:
		return nil
	case orb.Point:
		return orb.Point{math.Round(g[0]), math.Round(g[1])}
	case orb.MultiPoint:
		var out orb.MultiPoint
		for _, p := range g {
			out = append(out, orb.Point{math.Round(p[0]), math.Round(p[1])})
		}
		return nonEmpty(out)
	case orb.LineString:
		if l := snapLine(g); visible(l) {
			return l
		}
		return nil
	case orb.MultiLineString:
		var out orb.MultiLineString
		for _, l := range g {
			if l := snapLine(l); visible(l) {
				out = append(out, l)
			}
		}
		return nonEmpty(out)
	case orb.Ring:
		return snap(orb.Polygon{g})
	case orb.Polygon:
		if p := snapPolygon(g); p != nil {
			return p
		}
		return nil
	case orb.MultiPolygon:
		var out orb.MultiPolygon
		for _, p := range g {
			if p := snapPolygon(p); p != nil {
				out = append(out, p)
			}
		}
		return nonEmpty(out)
	case orb.Collection:
		var out orb.Collection
		for _, m := range g {
			if m := snap(m); m != nil {
				out = append(out, m)
			}
		}
		return nonEmpty(out)
	}
	return nil
}

// nonEmpty returns g, or nil when it has no parts.
func nonEmpty[G interface {
	orb.Geometry
	~[]E
}, E any](g G) orb.Geometry {
	if len(g) == 0 {
		return nil
	}
	return g
}

// snapLine rounds a line and drops repeated points.
func snapLine(l orb.LineString) orb.LineString {
	out := make(orb.LineString, 0, len(l))
	for _, p := range l {
		q := orb.Point{math.Round(p[0]), math.Round(p[1])}
		if len(out) == 0 || out[len(out)-1] != q {
			out = append(out, q)
		}
	}
	return out
}

// snapPolygon snaps each ring, drops rings without area and winds them;
// it returns nil when the exterior ring collapses.
func snapPolygon(p orb.Polygon) orb.Polygon {
	var out orb.Polygon
	for i, r := range p {
		s := orb.Ring(snapLine(orb.LineString(r)))
		if len(s) > 0 && s[0] != s[len(s)-1] {
			s = append(s, s[0])
		}
		if len(s) < 4 || s.Orientation() == 0 {
			if i == 0 {
				return nil
			}
			continue
		}
		if want := orb.CCW; (i == 0) != (s.Orientation() == want) {
			s.Reverse()
		}
		out = append(out, s)
	}
	return out
}

// visible reports whether a snapped line is longer than one unit:
// clipping leaves slivers along the buffer's edge that PostGIS's
// ST_AsMVTGeom drops too.
func visible(l orb.LineString) bool {
	if len(l) < 2 {
		return false
	}
	length := 0.0
	for i := 1; i < len(l); i++ {
		length += math.Hypot(l[i][0]-l[i-1][0], l[i][1]-l[i-1][1])
	}
	return length > 1
}
