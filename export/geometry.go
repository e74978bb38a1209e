package export

import (
	"strconv"

	"github.com/paulmach/orb"
)

// appendNum appends v in plain decimal notation (no exponent), with the
// fewest digits that read back as exactly v.
func appendNum(b []byte, v float64) []byte {
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// appendWKT appends g as 2-D WKT with numbers from appendNum, so the CSV
// importer (which takes only plain decimals) reads back exactly g. An
// empty member of a collection is written as EMPTY.
func appendWKT(b []byte, g orb.Geometry) []byte {
	switch g := g.(type) {
	case orb.Point:
		b = append(b, "POINT("...)
		b = appendPoint(b, g)
		return append(b, ')')
	case orb.MultiPoint:
		if len(g) == 0 {
			return append(b, "MULTIPOINT EMPTY"...)
		}
		b = append(b, "MULTIPOINT("...)
		for i, p := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '(')
			b = appendPoint(b, p)
			b = append(b, ')')
		}
		return append(b, ')')
	case orb.LineString:
		if len(g) == 0 {
			return append(b, "LINESTRING EMPTY"...)
		}
		return appendPath(append(b, "LINESTRING"...), g)
	case orb.Ring:
		return appendWKT(b, orb.Polygon{g})
	case orb.Polygon:
		if len(g) == 0 {
			return append(b, "POLYGON EMPTY"...)
		}
		return appendRings(append(b, "POLYGON"...), g)
	case orb.MultiLineString:
		if len(g) == 0 {
			return append(b, "MULTILINESTRING EMPTY"...)
		}
		b = append(b, "MULTILINESTRING("...)
		for i, l := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPath(b, l)
		}
		return append(b, ')')
	case orb.MultiPolygon:
		if len(g) == 0 {
			return append(b, "MULTIPOLYGON EMPTY"...)
		}
		b = append(b, "MULTIPOLYGON("...)
		for i, p := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendRings(b, p)
		}
		return append(b, ')')
	case orb.Collection:
		if len(g) == 0 {
			return append(b, "GEOMETRYCOLLECTION EMPTY"...)
		}
		b = append(b, "GEOMETRYCOLLECTION("...)
		for i, m := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendWKT(b, m)
		}
		return append(b, ')')
	case orb.Bound:
		return appendWKT(b, g.ToPolygon())
	}
	// nil, or a type orb adds later: no geometry rather than a panic.
	return b
}

func appendPoint(b []byte, p orb.Point) []byte {
	b = appendNum(b, p[0])
	b = append(b, ' ')
	return appendNum(b, p[1])
}

func appendPath(b []byte, l []orb.Point) []byte {
	b = append(b, '(')
	for i, p := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPoint(b, p)
	}
	return append(b, ')')
}

func appendRings(b []byte, p orb.Polygon) []byte {
	b = append(b, '(')
	for i, r := range p {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPath(b, r)
	}
	return append(b, ')')
}

// flatten calls point for every point of g that stands alone (a Point or a
// MultiPoint's members) and path for every line and ring, in order,
// descending into collections. GPX, which knows only waypoints and
// tracks, is written from it.
func flatten(g orb.Geometry, point func(orb.Point), path func([]orb.Point)) {
	switch g := g.(type) {
	case orb.Point:
		point(g)
	case orb.MultiPoint:
		for _, p := range g {
			point(p)
		}
	case orb.LineString:
		path(g)
	case orb.Ring:
		path(g)
	case orb.Polygon:
		for _, r := range g {
			path(r)
		}
	case orb.MultiLineString:
		for _, l := range g {
			path(l)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			flatten(p, point, path)
		}
	case orb.Collection:
		for _, m := range g {
			flatten(m, point, path)
		}
	case orb.Bound:
		flatten(g.ToPolygon(), point, path)
	}
}

// appendGeoJSONGeometry appends g as an RFC 7946 geometry object, with
// numbers from appendNum. nil is JSON null.
func appendGeoJSONGeometry(b []byte, g orb.Geometry) []byte {
	typ, coords := "", g
	switch g := g.(type) {
	case nil:
		return append(b, "null"...)
	case orb.Ring:
		return appendGeoJSONGeometry(b, orb.Polygon{g})
	case orb.Bound:
		return appendGeoJSONGeometry(b, g.ToPolygon())
	case orb.Collection:
		b = append(b, `{"type":"GeometryCollection","geometries":[`...)
		for i, m := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendGeoJSONGeometry(b, m)
		}
		return append(b, "]}"...)
	case orb.Point:
		typ = "Point"
	case orb.MultiPoint:
		typ = "MultiPoint"
	case orb.LineString:
		typ = "LineString"
	case orb.Polygon:
		typ, coords = "Polygon", rightHand(g)
	case orb.MultiLineString:
		typ = "MultiLineString"
	case orb.MultiPolygon:
		typ = "MultiPolygon"
		if !isRightHand(g) {
			mp := make(orb.MultiPolygon, len(g))
			for i, p := range g {
				mp[i] = rightHand(p)
			}
			coords = mp
		}
	default:
		return append(b, "null"...)
	}
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","coordinates":`...)
	b = appendCoords(b, coords)
	return append(b, '}')
}

// rightHand returns p with its rings wound as RFC 7946 §3.1.6 requires:
// the exterior counterclockwise, holes clockwise. p itself is never
// changed; it is returned as it is when it is already right.
func rightHand(p orb.Polygon) orb.Polygon {
	if isRightHand(p) {
		return p
	}
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		want := orb.CW
		if i == 0 {
			want = orb.CCW
		}
		if r.Orientation() == want || r.Orientation() == 0 {
			out[i] = r
			continue
		}
		rev := r.Clone()
		rev.Reverse()
		out[i] = rev
	}
	return out
}

// isRightHand reports whether every ring of g (a Polygon or MultiPolygon)
// is wound as RFC 7946 requires (degenerate rings count as right).
func isRightHand(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.Polygon:
		for i, r := range g {
			o := r.Orientation()
			if o != 0 && (i == 0) != (o == orb.CCW) {
				return false
			}
		}
	case orb.MultiPolygon:
		for _, p := range g {
			if !isRightHand(p) {
				return false
			}
		}
	}
	return true
}

// appendCoords appends the coordinates array of a non-collection geometry.
func appendCoords(b []byte, g orb.Geometry) []byte {
	list := func(b []byte, n int, item func(b []byte, i int) []byte) []byte {
		b = append(b, '[')
		for i := range n {
			if i > 0 {
				b = append(b, ',')
			}
			b = item(b, i)
		}
		return append(b, ']')
	}
	switch g := g.(type) {
	case orb.Point:
		b = append(b, '[')
		b = appendNum(b, g[0])
		b = append(b, ',')
		b = appendNum(b, g[1])
		return append(b, ']')
	case orb.MultiPoint:
		return list(b, len(g), func(b []byte, i int) []byte { return appendCoords(b, g[i]) })
	case orb.LineString:
		return appendCoords(b, orb.MultiPoint(g))
	case orb.Ring:
		return appendCoords(b, orb.MultiPoint(g))
	case orb.Polygon:
		return list(b, len(g), func(b []byte, i int) []byte { return appendCoords(b, g[i]) })
	case orb.MultiLineString:
		return list(b, len(g), func(b []byte, i int) []byte { return appendCoords(b, g[i]) })
	case orb.MultiPolygon:
		return list(b, len(g), func(b []byte, i int) []byte { return appendCoords(b, g[i]) })
	}
	return append(b, "[]"...)
}
