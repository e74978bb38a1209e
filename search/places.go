package search

import (
	"strings"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap/geo"
	"github.com/coopmap/coopmap/postcodes"
)

// PlaceKind says what a Place is.
type PlaceKind string

// The kinds of place a query can name.
const (
	// PlacePostcode is a full postcode unit ("N22 6BH"): its centroid.
	PlacePostcode PlaceKind = "postcode"
	// PlaceDistrict is an outward code ("N22", "EC1V"): the mean of its
	// units' centroids, and their extent.
	PlaceDistrict PlaceKind = "district"
	// PlaceSector is an outward code and the inward code's digit ("N22
	// 6"): the mean of its units' centroids, and their extent.
	PlaceSector PlaceKind = "sector"
)

// Place is a location a query names, to fly the map to. It comes from the
// shipped postcode table (package postcodes), which holds only the
// postcodes of co-ops in 2016: a postcode missing from it is not found.
// Whatever shows a Place must show postcodes.Attribution.
type Place struct {
	Kind PlaceKind
	// Postcode is the canonical form: "N22 6BH", "N22" or "N22 6".
	Postcode string
	// Point is where to fly to.
	Point orb.Point
	// BBox is the extent of the table's units in a district or sector, to
	// fit the view to; nil for a unit. It is a single point when the table
	// has one unit there.
	BBox *geo.BBox
}

// area is a district or sector worked out from the table.
type area struct {
	point orb.Point
	bbox  geo.BBox
	ok    bool
}

// inwardLetters are the letters that may end a postcode. Royal Mail never
// uses C, I, K, M, O or V there, but the table is checked for every letter
// so that no unit it has is missed.
const inwardLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// Place returns the place text names: a full postcode the table has, a
// district with at least one unit in it, or a sector ("N22 6") with at
// least one unit. Case and spacing do not matter. It reports false for
// anything else, and always when the index has no postcode table.
func (x *Index) Place(text string) (Place, bool) {
	if x.places == nil {
		return Place{}, false
	}
	norm := postcodes.Normalize(text)
	switch {
	case norm != "" && strings.Contains(norm, " "):
		p, ok := x.places.Lookup(norm)
		return Place{Kind: PlacePostcode, Postcode: norm, Point: p}, ok
	case norm != "":
		if _, ok := x.places.District(norm); !ok {
			return Place{}, false
		}
		a := x.area(norm, "0123456789")
		return Place{Kind: PlaceDistrict, Postcode: norm, Point: a.point, BBox: &a.bbox}, a.ok
	}
	// A sector: an outward code, space, one digit.
	out, in, ok := strings.Cut(strings.TrimSpace(strings.ToUpper(text)), " ")
	in = strings.TrimSpace(in)
	if !ok || len(in) != 1 || in[0] < '0' || in[0] > '9' {
		return Place{}, false
	}
	d := postcodes.Normalize(out)
	if d == "" || strings.Contains(d, " ") {
		return Place{}, false
	}
	if _, ok := x.places.District(d); !ok {
		return Place{}, false
	}
	a := x.area(d, in)
	if !a.ok {
		return Place{}, false
	}
	return Place{Kind: PlaceSector, Postcode: d + " " + in, Point: a.point, BBox: &a.bbox}, true
}

// area returns the mean and extent of the table's units in outward code
// district whose inward code starts with one of digits. The table can
// only be asked unit by unit, so this tries every possible inward code
// (up to 6,760 look-ups, about a millisecond) and remembers the answer.
// Only districts the table has get here, so the cache is bounded by the
// table.
func (x *Index) area(district, digits string) area {
	key := district + " " + digits
	x.areaMu.Lock()
	a, ok := x.areas[key]
	x.areaMu.Unlock()
	if ok {
		return a
	}
	var sumX, sumY float64
	n := 0
	b := geo.BBox{MinLon: 180, MinLat: 90, MaxLon: -180, MaxLat: -90}
	buf := []byte(district + "0AA")
	for i := 0; i < len(digits); i++ {
		buf[len(district)] = digits[i]
		for _, l1 := range []byte(inwardLetters) {
			buf[len(district)+1] = l1
			for _, l2 := range []byte(inwardLetters) {
				buf[len(district)+2] = l2
				p, found := x.places.Lookup(string(buf))
				if !found {
					continue
				}
				n++
				sumX += p[0]
				sumY += p[1]
				b.MinLon, b.MaxLon = min(b.MinLon, p[0]), max(b.MaxLon, p[0])
				b.MinLat, b.MaxLat = min(b.MinLat, p[1]), max(b.MaxLat, p[1])
			}
		}
	}
	if n > 0 {
		// UK postcodes never straddle the antimeridian, so a plain
		// min/max extent is right.
		a = area{point: orb.Point{sumX / float64(n), sumY / float64(n)}, bbox: b, ok: true}
	}
	x.areaMu.Lock()
	x.areas[key] = a
	x.areaMu.Unlock()
	return a
}
