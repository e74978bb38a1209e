package route

import (
	"context"
	"math"
)

// noArc marks a seed arc's missing parent.
const noArc = math.MaxUint32

// How a path reaches its target on the target's edge.
const (
	endNone   = iota // not reached
	endFwd           // the last arc arrives at the edge's from; ridden forwards to the target
	endBwd           // arrives at the edge's to; ridden backwards
	endDirect        // source and target on one edge: ridden straight along it
)

// pathEnd is the best way a search found to one target.
type pathEnd struct {
	cost float64
	last uint32 // the last full arc; for endDirect the arc giving the direction
	how  int
}

// search is one search's workspace, reused through Graph.pool. Arc
// labels are valid only where stamp equals gen, so nothing is cleared
// between searches.
type search struct {
	dist   []float64
	parent []uint32
	stamp  []uint32
	gen    uint32
	heap   arcHeap
}

func newSearch(g *Graph) any {
	n := 2 * len(g.from)
	return &search{dist: make([]float64, n), parent: make([]uint32, n), stamp: make([]uint32, n)}
}

type arcItem struct {
	key, dist float64
	arc       uint32
}

// arcHeap is a binary min-heap on key, written out rather than through
// container/heap so that pushes do not allocate.
type arcHeap []arcItem

func (h *arcHeap) push(it arcItem) {
	*h = append(*h, it)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p].key <= a[i].key {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *arcHeap) pop() arcItem {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && a[l].key < a[m].key {
			m = l
		}
		if r := l + 1; r < n && a[r].key < a[m].key {
			m = r
		}
		if m == i {
			break
		}
		a[m], a[i] = a[i], a[m]
		i = m
	}
	*h = a
	return top
}

func (s *search) label(a uint32) (float64, bool) {
	if s.stamp[a] != s.gen {
		return math.Inf(1), false
	}
	return s.dist[a], true
}

func (s *search) set(a uint32, d float64, parent uint32) {
	s.stamp[a] = s.gen
	s.dist[a] = d
	s.parent[a] = parent
}

// shortest finds the cheapest paths from src to each of dsts, edge-based
// so that turn restrictions hold. With one target it is A* with the
// straight-line heuristic; with several, Dijkstra until every target is
// settled. The caller must put the returned workspace back in g.pool once
// it has read the paths.
func (g *Graph) shortest(ctx context.Context, src Snap, dsts []Snap) ([]pathEnd, *search, error) {
	s := g.pool.Get().(*search)
	s.gen++
	if s.gen == 0 { // wrapped: old stamps could look current
		clear(s.stamp)
		s.gen = 1
	}
	s.heap = s.heap[:0]
	ends := make([]pathEnd, len(dsts))
	for i := range ends {
		ends[i].cost = math.Inf(1)
	}
	var hf func(v uint32) float64
	if len(dsts) == 1 {
		tx, ty, tz := unit(dsts[0].Point)
		hf = func(v uint32) float64 {
			dx, dy, dz := float64(g.xyz[3*v])-tx, float64(g.xyz[3*v+1])-ty, float64(g.xyz[3*v+2])-tz
			// The chord through the Earth is never longer than the
			// great circle; chordSlack covers float32 rounding.
			return max(0, earthRadius*math.Sqrt(dx*dx+dy*dy+dz*dz)-chordSlack) * g.minCost
		}
	} else {
		hf = func(uint32) float64 { return 0 }
	}
	e := src.edge
	for i, t := range dsts {
		if t.edge != e {
			continue
		}
		if t.frac >= src.frac && !math.IsInf(float64(g.costF[e]), 1) {
			ends[i] = pathEnd{cost: (t.frac - src.frac) * float64(g.costF[e]), last: e << 1, how: endDirect}
		}
		if c := (src.frac - t.frac) * float64(g.costB[e]); t.frac <= src.frac && !math.IsInf(float64(g.costB[e]), 1) && c < ends[i].cost {
			ends[i] = pathEnd{cost: c, last: e<<1 | 1, how: endDirect}
		}
	}
	for _, a := range []uint32{e << 1, e<<1 | 1} {
		c := g.arcCost(a)
		if math.IsInf(c, 1) {
			continue
		}
		if a&1 == 0 {
			c *= 1 - src.frac
		} else {
			c *= src.frac
		}
		s.set(a, c, noArc)
		s.heap.push(arcItem{key: c + hf(g.head(a)), dist: c, arc: a})
	}
	bound := func() float64 {
		b := 0.0
		for _, en := range ends {
			b = max(b, en.cost)
		}
		return b
	}
	limit := bound()
	for pops := 0; len(s.heap) > 0; pops++ {
		if pops%4096 == 4095 {
			if err := ctx.Err(); err != nil {
				g.pool.Put(s)
				return nil, nil, err
			}
		}
		it := s.heap.pop()
		if it.key >= limit {
			break
		}
		if d, _ := s.label(it.arc); it.dist > d {
			continue
		}
		a, d := it.arc, it.dist
		v, ea := g.head(a), a>>1
		for i, t := range dsts {
			f := t.edge
			if v == g.from[f] && !math.IsInf(float64(g.costF[f]), 1) && g.turnAllowed(v, ea, f) {
				c := d + t.frac*float64(g.costF[f])
				if ea == f {
					c += UTurnCost
				}
				if c < ends[i].cost {
					ends[i] = pathEnd{cost: c, last: a, how: endFwd}
					limit = bound()
				}
			}
			if v == g.to[f] && !math.IsInf(float64(g.costB[f]), 1) && g.turnAllowed(v, ea, f) {
				c := d + (1-t.frac)*float64(g.costB[f])
				if ea == f {
					c += UTurnCost
				}
				if c < ends[i].cost {
					ends[i] = pathEnd{cost: c, last: a, how: endBwd}
					limit = bound()
				}
			}
		}
		for _, b := range g.adj[g.first[v]:g.first[v+1]] {
			eb := b >> 1
			if !g.turnAllowed(v, ea, eb) {
				continue
			}
			nd := d + g.arcCost(b)
			if eb == ea {
				nd += UTurnCost
			}
			if old, _ := s.label(b); nd < old {
				s.set(b, nd, a)
				s.heap.push(arcItem{key: nd + hf(g.head(b)), dist: nd, arc: b})
			}
		}
	}
	return ends, s, nil
}

// arcsTo returns the arcs of the path ending with arc last, first to last.
func (s *search) arcsTo(last uint32) []uint32 {
	var arcs []uint32
	for a := last; a != noArc; a = s.parent[a] {
		arcs = append(arcs, a)
	}
	for i, j := 0, len(arcs)-1; i < j; i, j = i+1, j-1 {
		arcs[i], arcs[j] = arcs[j], arcs[i]
	}
	return arcs
}

// earthRadius is the radius geo.Distance uses, in metres; chordSlack
// bounds the error of a chord between float32 unit vectors, in metres.
const (
	earthRadius = 6371008.8
	chordSlack  = 5.0
)

// unit returns p as a unit vector from the Earth's centre.
func unit(p [2]float64) (x, y, z float64) {
	lon, lat := p[0]*math.Pi/180, p[1]*math.Pi/180
	return math.Cos(lat) * math.Cos(lon), math.Cos(lat) * math.Sin(lon), math.Sin(lat)
}
