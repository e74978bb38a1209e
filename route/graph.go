package route

import (
	"fmt"
	"math"
	"sync"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// Licence and Attribution are those of every graph and every route: the
// graph is derived from OpenStreetMap.
const (
	Licence     = "ODbL-1.0"
	Attribution = "© OpenStreetMap contributors"
)

// Graph is a routable bike graph: junctions (vertices) joined by edges,
// each edge a stretch of one OSM way between two junctions, with its
// geometry, street name and the cost of riding it in each direction.
// Outgoing arcs are stored compressed (CSR): the arcs leaving vertex v
// are adj[first[v]:first[v+1]], and arc a is edge a>>1, ridden forwards
// (a&1 == 0, from → to) or backwards.
//
// A Graph is read-only once built or loaded, and safe for concurrent use.
type Graph struct {
	// Source names the extract the graph was built from.
	Source string

	lon, lat []int32  // vertex positions, 1e-7 degrees
	first    []uint32 // len V+1
	adj      []uint32 // arc ids

	from, to     []uint32
	length       []float32 // metres
	costF, costB []float32 // seconds × factor; +Inf where not allowed
	timeF, timeB []float32 // seconds
	name         []uint32  // index into names
	kinds        []kind
	geomOff      []uint32 // len E+1, into glon/glat: the points between from and to
	glon, glat   []int32

	names []string
	// forbidden holds the turns restrictions forbid, as in<<32 | out
	// edge ids, sorted.
	forbidden []uint64
	// minCost is the least cost per metre of any edge, which keeps the
	// A* heuristic admissible.
	minCost float64

	// Derived on load, not stored.
	xyz        []float32 // vertex unit vectors, for the A* heuristic
	restricted []uint64  // bitset of vertices where some turn is forbidden
	comp       []uint32  // connected component of each vertex
	compSize   []uint32
	bigComp    uint32 // components at least this large are preferred by Snap
	grid       *grid
	pool       sync.Pool // *search workspaces
}

// NumVertices is the number of junctions.
func (g *Graph) NumVertices() int { return len(g.lon) }

// NumEdges is the number of edges (each rideable in one or both
// directions).
func (g *Graph) NumEdges() int { return len(g.from) }

// Bounds is the bounding box of the graph's vertices.
func (g *Graph) Bounds() orb.Bound {
	if len(g.lon) == 0 {
		return orb.Bound{}
	}
	b := orb.Bound{Min: g.point(0), Max: g.point(0)}
	for v := range g.lon {
		b = b.Extend(g.point(uint32(v)))
	}
	return b
}

func (g *Graph) point(v uint32) orb.Point {
	return orb.Point{float64(g.lon[v]) / 1e7, float64(g.lat[v]) / 1e7}
}

// edgePoints appends the geometry of edge e, from → to, to pts.
func (g *Graph) edgePoints(e uint32, pts []orb.Point) []orb.Point {
	pts = append(pts, g.point(g.from[e]))
	for i := g.geomOff[e]; i < g.geomOff[e+1]; i++ {
		pts = append(pts, orb.Point{float64(g.glon[i]) / 1e7, float64(g.glat[i]) / 1e7})
	}
	return append(pts, g.point(g.to[e]))
}

// arcCost returns the cost of riding arc a in full, +Inf when not allowed.
func (g *Graph) arcCost(a uint32) float64 {
	if a&1 == 0 {
		return float64(g.costF[a>>1])
	}
	return float64(g.costB[a>>1])
}

func (g *Graph) arcTime(a uint32) float64 {
	if a&1 == 0 {
		return float64(g.timeF[a>>1])
	}
	return float64(g.timeB[a>>1])
}

// head is the vertex arc a arrives at; tail the one it leaves.
func (g *Graph) head(a uint32) uint32 {
	if a&1 == 0 {
		return g.to[a>>1]
	}
	return g.from[a>>1]
}

func (g *Graph) tail(a uint32) uint32 {
	if a&1 == 0 {
		return g.from[a>>1]
	}
	return g.to[a>>1]
}

// turnAllowed reports whether a turn from edge in to edge out at vertex v
// is not forbidden by a turn restriction.
func (g *Graph) turnAllowed(v, in, out uint32) bool {
	if g.restricted[v>>6]&(1<<(v&63)) == 0 {
		return true
	}
	key := uint64(in)<<32 | uint64(out)
	lo, hi := 0, len(g.forbidden)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case g.forbidden[m] == key:
			return false
		case g.forbidden[m] < key:
			lo = m + 1
		default:
			hi = m
		}
	}
	return true
}

// check verifies the graph's arrays are consistent, so that a corrupt
// file cannot make routing index out of range. Its error is a coopmap
// error with CodeInvalid.
func (g *Graph) check() error {
	bad := func(format string, args ...any) error {
		return coopmap.Errorf(coopmap.CodeInvalid, "malformed graph: "+format, args...)
	}
	nv, ne := len(g.lon), len(g.from)
	if len(g.lat) != nv || len(g.first) != nv+1 {
		return bad("%d vertices but %d latitudes and %d offsets", nv, len(g.lat), len(g.first))
	}
	if nv > math.MaxUint32/2 || ne > math.MaxUint32/2-1 {
		return bad("too many vertices or edges")
	}
	for _, n := range []int{len(g.to), len(g.length), len(g.costF), len(g.costB), len(g.timeF), len(g.timeB), len(g.name), len(g.kinds), len(g.geomOff) - 1} {
		if n != ne {
			return bad("edge arrays of different lengths")
		}
	}
	if len(g.glon) != len(g.glat) {
		return bad("geometry arrays of different lengths")
	}
	for v := range g.lon {
		if g.first[v] > g.first[v+1] {
			return bad("arc offsets decrease at vertex %d", v)
		}
		if err := geo.ValidatePoint(g.point(uint32(v))); err != nil {
			return bad("vertex %d: %v", v, err)
		}
	}
	if g.first[0] != 0 || int(g.first[nv]) != len(g.adj) {
		return bad("arc offsets do not cover the arcs")
	}
	for v := range nv {
		for _, a := range g.adj[g.first[v]:g.first[v+1]] {
			if int(a>>1) >= ne || g.tail(a) != uint32(v) || math.IsInf(g.arcCost(a), 1) {
				return bad("arc %d of vertex %d does not leave it", a, v)
			}
		}
	}
	if g.geomOff[0] != 0 || int(g.geomOff[ne]) != len(g.glon) {
		return bad("geometry offsets do not cover the geometry")
	}
	for e := range ne {
		if int(g.from[e]) >= nv || int(g.to[e]) >= nv || int(g.name[e]) >= len(g.names) || g.geomOff[e] > g.geomOff[e+1] {
			return bad("edge %d refers outside the graph", e)
		}
		for _, c := range []float32{g.costF[e], g.costB[e], g.timeF[e], g.timeB[e], g.length[e]} {
			if c < 0 || c != c {
				return bad("edge %d has a negative or NaN cost", e)
			}
		}
		if g.costF[e] > 0 && !math.IsInf(float64(g.costF[e]), 1) && float64(g.costF[e]) < g.minCost*float64(g.length[e])*0.999 {
			return bad("edge %d costs less than the least cost per metre", e)
		}
	}
	for i := 1; i < len(g.forbidden); i++ {
		if g.forbidden[i-1] >= g.forbidden[i] {
			return bad("turn restrictions are not sorted")
		}
	}
	if !(g.minCost > 0) || math.IsInf(g.minCost, 1) {
		if ne > 0 {
			return bad("least cost per metre %g", g.minCost)
		}
	}
	return nil
}

// finish derives what is not stored: the restricted-vertex bitset, the
// connected components and the spatial index.
func (g *Graph) finish() {
	nv := len(g.lon)
	g.restricted = make([]uint64, nv/64+1)
	for _, k := range g.forbidden {
		in := uint32(k >> 32)
		out := uint32(k)
		for _, v := range []uint32{g.from[in], g.to[in]} {
			if v == g.from[out] || v == g.to[out] {
				g.restricted[v>>6] |= 1 << (v & 63)
			}
		}
	}
	g.components()
	g.xyz = make([]float32, 3*nv)
	for v := range nv {
		x, y, z := unit(g.point(uint32(v)))
		g.xyz[3*v], g.xyz[3*v+1], g.xyz[3*v+2] = float32(x), float32(y), float32(z)
	}
	g.grid = newGrid(g)
	g.pool.New = func() any { return newSearch(g) }
}

// components labels the connected components, ignoring direction.
func (g *Graph) components() {
	nv := len(g.lon)
	g.comp = make([]uint32, nv)
	for i := range g.comp {
		g.comp[i] = math.MaxUint32
	}
	// Undirected neighbours: arcs only go one way on oneways, so walk
	// edges from both ends through a CSR of incident edges.
	deg := make([]uint32, nv+1)
	for e := range g.from {
		deg[g.from[e]+1]++
		deg[g.to[e]+1]++
	}
	for v := range nv {
		deg[v+1] += deg[v]
	}
	inc := make([]uint32, deg[nv])
	fill := append([]uint32(nil), deg[:nv]...)
	for e := range g.from {
		inc[fill[g.from[e]]] = uint32(e)
		fill[g.from[e]]++
		inc[fill[g.to[e]]] = uint32(e)
		fill[g.to[e]]++
	}
	g.compSize = g.compSize[:0]
	var stack []uint32
	for s := range nv {
		if g.comp[s] != math.MaxUint32 {
			continue
		}
		c := uint32(len(g.compSize))
		size := uint32(0)
		g.comp[s] = c
		stack = append(stack[:0], uint32(s))
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			for _, e := range inc[deg[v]:deg[v+1]] {
				for _, w := range []uint32{g.from[e], g.to[e]} {
					if g.comp[w] == math.MaxUint32 {
						g.comp[w] = c
						stack = append(stack, w)
					}
				}
			}
		}
		g.compSize = append(g.compSize, size)
	}
	largest := uint32(0)
	for _, n := range g.compSize {
		largest = max(largest, n)
	}
	g.bigComp = min(largest, minBigComponent)
}

// minBigComponent is the size, in junctions, from which a component is
// preferred when snapping; see Snap.
const minBigComponent = 100

// String summarises the graph.
func (g *Graph) String() string {
	return fmt.Sprintf("%s: %d junctions, %d edges, %d street names, %d forbidden turns", g.Source, g.NumVertices(), g.NumEdges(), len(g.names), len(g.forbidden))
}
