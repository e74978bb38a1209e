package search

import (
	"math"
	"strings"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

// Field names the part of a record a query matched.
type Field string

// The fields the text index covers, in the order ties between them are
// broken (the first wins).
const (
	FieldName     Field = "name"
	FieldPostcode Field = "postcode"
	FieldAddress  Field = "address"
	FieldSector   Field = "sector"
	FieldOrgType  Field = "org_type"
)

// field is a Field as a small index, for postings.
type field uint8

const (
	fName field = iota
	fPostcode
	fAddress
	fSector
	fOrgType
	numFields
)

// Field returns the public name of f.
func (f field) Field() Field {
	switch f {
	case fName:
		return FieldName
	case fPostcode:
		return FieldPostcode
	case fAddress:
		return FieldAddress
	case fSector:
		return FieldSector
	default:
		return FieldOrgType
	}
}

// weight says how much a match in f counts: a name or a postcode says
// most about what the searcher wants, an organisation type least.
func (f field) weight() float32 {
	switch f {
	case fName, fPostcode:
		return 1
	case fAddress:
		return 0.7
	case fSector:
		return 0.6
	default:
		return 0.5
	}
}

// Record is what the index keeps of a feature: enough to list it and fly
// to it, not its whole geometry or properties.
type Record struct {
	ID       string
	SourceID string
	Name     string
	Address  string
	Postcode string
	Sector   string
	OrgType  string
	// Point is the feature's location: the point itself, or for other
	// geometries the centre of their extent (see Representative).
	Point orb.Point
}

// record is a Record with what ranking needs.
type record struct {
	Record
	nameFold string
}

func newRecord(f coopmap.Feature) record {
	return record{
		Record: Record{
			ID: f.ID, SourceID: f.SourceID, Name: f.Name, Address: f.Address, Postcode: f.Postcode,
			Sector: f.Sector, OrgType: f.OrgType, Point: Representative(f.Geometry),
		},
		nameFold: coopmap.Fold(f.Name),
	}
}

// value returns the text of field f.
func (r *record) value(f field) string {
	switch f {
	case fName:
		return r.Name
	case fPostcode:
		return r.Postcode
	case fAddress:
		return r.Address
	case fSector:
		return r.Sector
	default:
		return r.OrgType
	}
}

// tokens returns the distinct folded words of v, plus the joined form of
// each word of up to three letters with the next ("co op" → "coop",
// "co operative" → "cooperative"), so "cooperative" finds "Co-operative".
// For postcodes the whole postcode without its space is added too
// ("n226bh").
func tokens(v string, f field) []string {
	words := strings.Fields(coopmap.Fold(v))
	out := make([]string, 0, len(words)+2)
	seen := func(t string) bool {
		for _, o := range out {
			if o == t {
				return true
			}
		}
		return false
	}
	add := func(t string) {
		if !seen(t) {
			out = append(out, t)
		}
	}
	for i, w := range words {
		add(w)
		if f != fPostcode && i+1 < len(words) && len(w) <= 3 {
			add(w + words[i+1])
		}
	}
	if f == fPostcode && len(words) > 1 {
		add(strings.Join(words, ""))
	}
	return out
}

// Representative returns the point that stands for g in search results and
// nearest-neighbour answers: a point itself, otherwise the centre of the
// extent of g's positions. Longitudes are unwrapped relative to the first
// position, so a geometry crossing the antimeridian is centred near ±180°
// rather than near 0°. A nil or empty geometry gives (0, 0).
func Representative(g orb.Geometry) orb.Point {
	if p, ok := g.(orb.Point); ok {
		return p
	}
	first := true
	var ref, minX, maxX, minY, maxY float64
	visit := func(p orb.Point) {
		x := p[0]
		if first {
			ref, minX, maxX, minY, maxY = x, x, x, p[1], p[1]
			first = false
			return
		}
		for x-ref > 180 {
			x -= 360
		}
		for x-ref < -180 {
			x += 360
		}
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		minY, maxY = math.Min(minY, p[1]), math.Max(maxY, p[1])
	}
	eachPoint(g, visit)
	if first {
		return orb.Point{}
	}
	x := (minX + maxX) / 2
	for x > 180 {
		x -= 360
	}
	for x < -180 {
		x += 360
	}
	return orb.Point{x, (minY + maxY) / 2}
}

// eachPoint calls visit for every position of g.
func eachPoint(g orb.Geometry, visit func(orb.Point)) {
	switch g := g.(type) {
	case orb.Point:
		visit(g)
	case orb.MultiPoint:
		for _, p := range g {
			visit(p)
		}
	case orb.LineString:
		eachPoint(orb.MultiPoint(g), visit)
	case orb.Ring:
		eachPoint(orb.MultiPoint(g), visit)
	case orb.MultiLineString:
		for _, l := range g {
			eachPoint(orb.MultiPoint(l), visit)
		}
	case orb.Polygon:
		for _, r := range g {
			eachPoint(orb.MultiPoint(r), visit)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			eachPoint(p, visit)
		}
	case orb.Collection:
		for _, m := range g {
			eachPoint(m, visit)
		}
	case orb.Bound:
		visit(g.Min)
		visit(g.Max)
	}
}
