package search

import (
	"container/heap"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// kdtree finds the records nearest a point. Points live on the unit
// sphere in 3-D (x, y, z), where straight-line (chord) distance grows with
// great-circle distance everywhere: no seam at the antimeridian and no
// squeeze at the poles, unlike a tree over longitude and latitude.
//
// The tree is implicit: pts is ordered so that the median of every range
// [lo, hi) sits at its middle, split on axis depth mod 3.
type kdtree struct {
	pts []kdPoint
}

type kdPoint struct {
	v   [3]float64
	doc int32
}

// unitVector returns p (longitude, latitude in degrees) on the unit
// sphere.
func unitVector(p orb.Point) [3]float64 {
	lon, lat := p[0]*math.Pi/180, p[1]*math.Pi/180
	c := math.Cos(lat)
	return [3]float64{c * math.Cos(lon), c * math.Sin(lon), math.Sin(lat)}
}

func newKDTree(recs []record) kdtree {
	pts := make([]kdPoint, len(recs))
	for i := range recs {
		pts[i] = kdPoint{unitVector(recs[i].Point), int32(i)}
	}
	buildKD(pts, 0)
	return kdtree{pts}
}

func buildKD(pts []kdPoint, depth int) {
	if len(pts) <= 1 {
		return
	}
	axis := depth % 3
	slices.SortFunc(pts, func(a, b kdPoint) int {
		if c := cmpFloat(a.v[axis], b.v[axis]); c != 0 {
			return c
		}
		return int(a.doc - b.doc)
	})
	mid := len(pts) / 2
	buildKD(pts[:mid], depth+1)
	buildKD(pts[mid+1:], depth+1)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// nearest returns up to k records nearest q, as record indexes, in no
// particular order.
func (t *kdtree) nearest(q orb.Point, k int) []int32 {
	if k <= 0 || len(t.pts) == 0 {
		return nil
	}
	h := &maxHeap{}
	t.search(t.pts, 0, unitVector(q), k, h)
	out := make([]int32, len(*h))
	for i, c := range *h {
		out[i] = c.doc
	}
	return out
}

func (t *kdtree) search(pts []kdPoint, depth int, q [3]float64, k int, h *maxHeap) {
	if len(pts) == 0 {
		return
	}
	mid := len(pts) / 2
	p := pts[mid]
	dx, dy, dz := p.v[0]-q[0], p.v[1]-q[1], p.v[2]-q[2]
	d2 := dx*dx + dy*dy + dz*dz
	if len(*h) < k {
		heap.Push(h, candidate{d2, p.doc})
	} else if d2 < (*h)[0].d2 || (d2 == (*h)[0].d2 && p.doc < (*h)[0].doc) {
		(*h)[0] = candidate{d2, p.doc}
		heap.Fix(h, 0)
	}
	axis := depth % 3
	diff := q[axis] - p.v[axis]
	near, far := pts[:mid], pts[mid+1:]
	if diff > 0 {
		near, far = far, near
	}
	t.search(near, depth+1, q, k, h)
	// The far side can only hold a closer point if the splitting plane
	// is closer than the current k-th best.
	if len(*h) < k || diff*diff <= (*h)[0].d2 {
		t.search(far, depth+1, q, k, h)
	}
}

type candidate struct {
	d2  float64
	doc int32
}

// maxHeap keeps the k best candidates with the worst on top; among equal
// distances the higher record index counts as worse, so results are
// deterministic.
type maxHeap []candidate

func (h maxHeap) Len() int { return len(h) }
func (h maxHeap) Less(i, j int) bool {
	if h[i].d2 != h[j].d2 {
		return h[i].d2 > h[j].d2
	}
	return h[i].doc > h[j].doc
}
func (h maxHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *maxHeap) Push(x any)   { *h = append(*h, x.(candidate)) }
func (h *maxHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
