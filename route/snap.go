package route

import (
	"math"
	"slices"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// DefaultMaxSnap is how far, in metres, a point may be from the nearest
// routable way; a point farther away cannot be routed from or to.
const DefaultMaxSnap = 300.0

// cellDeg is the side of a spatial index cell in degrees (about 220 m of
// latitude).
const cellDeg = 0.002

// metresPerDegree is the length of a degree of latitude on the sphere
// geo.Distance uses.
const metresPerDegree = 6371008.8 * math.Pi / 180

// grid is the spatial index of edge segments: the segments (edge<<32 |
// index of the segment's first point) whose bounding box touches a cell,
// in a CSR sorted by cell key.
type grid struct {
	keys []uint64 // sorted cell keys
	off  []uint32 // len(keys)+1
	segs []uint64
}

func cellOf(lon, lat float64) (int32, int32) {
	return int32(math.Floor(lon / cellDeg)), int32(math.Floor(lat / cellDeg))
}

func cellKey(x, y int32) uint64 { return uint64(uint32(x))<<32 | uint64(uint32(y)) }

func newGrid(g *Graph) *grid {
	type entry struct{ key, seg uint64 }
	var es []entry
	var pts []orb.Point
	for e := range g.from {
		pts = g.edgePoints(uint32(e), pts[:0])
		for k := 0; k+1 < len(pts); k++ {
			a, b := pts[k], pts[k+1]
			x0, y0 := cellOf(min(a[0], b[0]), min(a[1], b[1]))
			x1, y1 := cellOf(max(a[0], b[0]), max(a[1], b[1]))
			for x := x0; x <= x1; x++ {
				for y := y0; y <= y1; y++ {
					es = append(es, entry{cellKey(x, y), uint64(e)<<32 | uint64(k)})
				}
			}
		}
	}
	slices.SortFunc(es, func(a, b entry) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return 0
	})
	gr := &grid{segs: make([]uint64, len(es))}
	for i, en := range es {
		if i == 0 || en.key != es[i-1].key {
			gr.keys = append(gr.keys, en.key)
			gr.off = append(gr.off, uint32(i))
		}
		gr.segs[i] = en.seg
	}
	gr.off = append(gr.off, uint32(len(es)))
	return gr
}

func (gr *grid) cell(x, y int32) []uint64 {
	i, ok := slices.BinarySearch(gr.keys, cellKey(x, y))
	if !ok {
		return nil
	}
	return gr.segs[gr.off[i]:gr.off[i+1]]
}

// Snap is a point placed on the nearest routable way.
type Snap struct {
	// Input is the point asked for; Point where it lands on the way, at
	// Distance metres from it.
	Input, Point orb.Point
	Distance     float64
	edge         uint32
	// seg is the index of the edge segment it lands on.
	seg int
	// frac is how far along the edge, from → to, as a share of its length.
	frac float64
}

// Snap places p on the nearest routable way within maxDist metres
// (DefaultMaxSnap when maxDist ≤ 0). Ways in the larger connected parts
// of the graph are preferred to the nearest way when that one lies on a
// small island (under 100 junctions, as a cycleway in a park that joins
// no street): a small island is used only when nothing else is within
// maxDist. The error is a coopmap error with CodeUnroutable when no way
// is within maxDist, and CodeInvalid when p is not a longitude and
// latitude.
func (g *Graph) Snap(p orb.Point, maxDist float64) (Snap, error) {
	if err := geo.ValidatePoint(p); err != nil {
		return Snap{}, coopmap.Errorf(coopmap.CodeInvalid, "%v", err)
	}
	if maxDist <= 0 {
		maxDist = DefaultMaxSnap
	}
	ky := metresPerDegree
	kx := metresPerDegree * math.Cos(p[1]*math.Pi/180)
	dLat := maxDist / ky
	dLon := maxDist / math.Max(kx, 1)
	if dLon > 1 {
		dLon = 1
	}
	x0, y0 := cellOf(p[0]-dLon, p[1]-dLat)
	x1, y1 := cellOf(p[0]+dLon, p[1]+dLat)
	type cand struct {
		d2       float64
		edge     uint32
		k        int
		t        float64
		found    bool
		onIsland bool
	}
	var best, bestBig cand
	var pts []orb.Point
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			for _, s := range g.grid.cell(x, y) {
				e, k := uint32(s>>32), int(uint32(s))
				pts = g.edgePoints(e, pts[:0])
				a, b := pts[k], pts[k+1]
				ax, ay := (a[0]-p[0])*kx, (a[1]-p[1])*ky
				bx, by := (b[0]-p[0])*kx, (b[1]-p[1])*ky
				dx, dy := bx-ax, by-ay
				t := 0.0
				if l2 := dx*dx + dy*dy; l2 > 0 {
					t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
				}
				qx, qy := ax+t*dx, ay+t*dy
				c := cand{d2: qx*qx + qy*qy, edge: e, k: k, t: t, found: true}
				better := func(o cand) bool {
					return !o.found || c.d2 < o.d2 || c.d2 == o.d2 && (c.edge < o.edge || c.edge == o.edge && c.k < o.k)
				}
				if better(best) {
					best = c
				}
				if g.compSize[g.comp[g.from[e]]] >= g.bigComp && better(bestBig) {
					bestBig = c
				}
			}
		}
	}
	max2 := maxDist * maxDist
	c := best
	if bestBig.found && bestBig.d2 <= max2 {
		c = bestBig
	}
	if !c.found || c.d2 > max2 {
		return Snap{}, coopmap.Errorf(coopmap.CodeUnroutable, "%.6f,%.6f is more than %.0f m from any way a bike may use in the graph", p[0], p[1], maxDist)
	}
	pts = g.edgePoints(c.edge, pts[:0])
	along, total := 0.0, 0.0
	for i := 0; i+1 < len(pts); i++ {
		d := geo.Distance(pts[i], pts[i+1])
		if i < c.k {
			along += d
		} else if i == c.k {
			along += c.t * d
		}
		total += d
	}
	frac := 0.0
	if total > 0 {
		frac = along / total
	}
	a, b := pts[c.k], pts[c.k+1]
	at := orb.Point{a[0] + c.t*(b[0]-a[0]), a[1] + c.t*(b[1]-a[1])}
	return Snap{Input: p, Point: at, Distance: math.Sqrt(c.d2), edge: c.edge, seg: c.k, frac: frac}, nil
}
