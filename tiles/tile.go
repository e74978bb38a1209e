package tiles

import (
	"fmt"
	"math"
	"strconv"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// ZoomLimit is the highest zoom any tile set may offer: beyond it a tile is
// under a metre wide and x and y no longer fit comfortably in the URL.
const ZoomLimit = 24

// Web Mercator constants: the sphere's radius and half the world's width.
const (
	earthRadius = 6378137.0
	worldHalf   = math.Pi * earthRadius // 20037508.342789244
	// maxLat is the latitude at which Web Mercator's square world ends.
	maxLat = 85.05112877980659
)

// Tile is the address of one XYZ tile.
type Tile struct {
	Z, X, Y int
}

// String returns "z/x/y".
func (t Tile) String() string { return fmt.Sprintf("%d/%d/%d", t.Z, t.X, t.Y) }

// NewTile returns the tile after checking that 0 <= z <= maxZoom (itself
// at most ZoomLimit) and 0 <= x, y < 2^z. The error is CodeInvalid naming
// "z", "x" or "y".
func NewTile(z, x, y, maxZoom int) (Tile, error) {
	maxZoom = min(maxZoom, ZoomLimit)
	if z < 0 || z > maxZoom {
		return Tile{}, coopmap.Invalidf("z", "zoom %d is outside 0–%d", z, maxZoom)
	}
	n := 1 << z
	if x < 0 || x >= n {
		return Tile{}, coopmap.Invalidf("x", "x %d is outside 0–%d for zoom %d", x, n-1, z)
	}
	if y < 0 || y >= n {
		return Tile{}, coopmap.Invalidf("y", "y %d is outside 0–%d for zoom %d", y, n-1, z)
	}
	return Tile{z, x, y}, nil
}

// Parse reads a tile address from its decimal parts, as in a URL, and
// checks it as NewTile does. Only plain decimal digits are accepted (no
// sign, spaces, hex or exponent), at most 9 of them, so a huge number is
// rejected before it is converted. The error is CodeInvalid naming "z",
// "x" or "y".
func Parse(z, x, y string, maxZoom int) (Tile, error) {
	var v [3]int
	for i, s := range []string{z, x, y} {
		name := [3]string{"z", "x", "y"}[i]
		if s == "" || len(s) > 9 {
			return Tile{}, coopmap.Invalidf(name, "%q is not a tile coordinate (a whole number, at most 9 digits)", shorten(s))
		}
		for _, c := range s {
			if c < '0' || c > '9' {
				return Tile{}, coopmap.Invalidf(name, "%q is not a tile coordinate (a whole number, at most 9 digits)", shorten(s))
			}
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return Tile{}, coopmap.Invalidf(name, "%q is not a tile coordinate", shorten(s))
		}
		v[i] = n
	}
	return NewTile(v[0], v[1], v[2], maxZoom)
}

// shorten shortens s for an error message.
func shorten(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// size returns the tile's width in Mercator metres.
func (t Tile) size() float64 { return 2 * worldHalf / float64(uint64(1)<<t.Z) }

// Bounds returns the tile in Web Mercator metres.
func (t Tile) Bounds() orb.Bound {
	s := t.size()
	minX := -worldHalf + float64(t.X)*s
	maxY := worldHalf - float64(t.Y)*s
	return orb.Bound{Min: orb.Point{minX, maxY - s}, Max: orb.Point{minX + s, maxY}}
}

// LonLatBox returns the tile grown by margin (a fraction of its width on
// each side) in longitude and latitude, cut to the Mercator world.
func (t Tile) LonLatBox(margin float64) geo.BBox {
	b := t.Bounds()
	m := margin * t.size()
	minLon, minLat := toLonLat(max(b.Min[0]-m, -worldHalf), max(b.Min[1]-m, -worldHalf))
	maxLon, maxLat := toLonLat(min(b.Max[0]+m, worldHalf), min(b.Max[1]+m, worldHalf))
	return geo.BBox{MinLon: minLon, MinLat: minLat, MaxLon: maxLon, MaxLat: maxLat}
}

// toMercator projects longitude and latitude to Web Mercator metres, as
// PostGIS's ST_Transform(geom, 3857) does; latitudes beyond the Mercator
// world are held at its edge.
func toMercator(lon, lat float64) (float64, float64) {
	lat = max(-maxLat, min(maxLat, lat))
	return earthRadius * lon * math.Pi / 180, earthRadius * math.Log(math.Tan(math.Pi/4+lat*math.Pi/360))
}

// toLonLat is the inverse of toMercator.
func toLonLat(x, y float64) (float64, float64) {
	lon := max(-180, min(180, x/earthRadius*180/math.Pi)) // rounding may step over ±180
	return lon, math.Atan(math.Sinh(y/earthRadius)) * 180 / math.Pi
}
