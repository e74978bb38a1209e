package tiles

import (
	"context"
	"math"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/coopmap/coopmap"
)

// A clusterIndex holds, for one version of one source, the clusters of its
// points at every always-clustered zoom (below Options.ClusterBelow), so a
// low-zoom tile of a source of points is a few hundred map lookups instead
// of a read of every point under it. It is built once per source version,
// in the background after the first low-zoom tile asks for it; until then
// (and for sources over Options.MaxIndexPoints, or with lines or
// polygons) tiles are rendered as usual. The clusters are those the
// renderers compute, cell for cell.
type clusterIndex struct {
	version int64
	ready   bool // built (fields below are set and never change again)
	usable  bool // a source of points only, within the size limit
	feats   []pointProps
	zooms   []map[[2]int32]*cell // by zoom; keyed by global cell
}

// pointProps is what a tile shows of a point.
type pointProps struct{ id, name, sector, orgType string }

// cell is one cluster in the index: counts and sums as in cluster, with
// the representative as an index into feats.
type cell struct {
	n      int
	sx, sy float64
	rep    int
}

// indexes keeps the renderer's cluster indexes by source.
type indexes struct {
	mu  sync.Mutex
	all map[string]*clusterIndex
}

// lookup returns the ready index of a layer, or nil; it starts building one
// when there is none for the layer's version.
func (r *Renderer) lookup(l coopmap.TileLayer) *clusterIndex {
	if l.Version == 0 || r.opts.MaxIndexPoints < 0 {
		return nil
	}
	r.idx.mu.Lock()
	defer r.idx.mu.Unlock()
	ix := r.idx.all[l.SourceID]
	if ix != nil && ix.version == l.Version {
		if ix.ready && ix.usable {
			return ix
		}
		return nil
	}
	if r.idx.all == nil {
		r.idx.all = map[string]*clusterIndex{}
	}
	ix = &clusterIndex{version: l.Version}
	r.idx.all[l.SourceID] = ix
	go r.build(l, ix)
	return nil
}

// build reads every feature of the layer's source and fills ix. It runs on
// its own context: the request that started it may end first.
func (r *Renderer) build(l coopmap.TileLayer, ix *clusterIndex) {
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.IndexTimeout)
	defer cancel()
	world := Tile{}.LonLatBox(0)
	world.MinLat, world.MaxLat = -90, 90
	built := clusterIndex{version: ix.version, zooms: make([]map[[2]int32]*cell, r.opts.ClusterBelow)}
	for z := range built.zooms {
		built.zooms[z] = map[[2]int32]*cell{}
	}
	usable := true
	for f, err := range r.features(ctx, coopmap.TileQuery{SourceID: l.SourceID, BBox: world}) {
		if err != nil {
			usable = false
			break
		}
		p, ok := f.Geometry.(orb.Point)
		if !ok || len(built.feats) >= r.opts.MaxIndexPoints {
			usable = false // shapes need the usual path; too many points need too much memory
			break
		}
		i := len(built.feats)
		built.feats = append(built.feats, pointProps{f.ID, f.Name, f.Sector, f.OrgType})
		mx, my := toMercator(p[0], p[1])
		for z, m := range built.zooms {
			ks, nk := indexCells(z, mx, my, r.opts.ClusterCells)
			for _, k := range ks[:nk] {
				c := m[k]
				if c == nil {
					c = &cell{rep: i}
					m[k] = c
				} else if f.ID < built.feats[c.rep].id {
					c.rep = i
				}
				c.n++
				c.sx += mx
				c.sy += my
			}
		}
	}
	r.idx.mu.Lock()
	defer r.idx.mu.Unlock()
	if usable {
		ix.feats, ix.zooms = built.feats, built.zooms
	}
	ix.ready, ix.usable = true, usable
}

// indexCells returns the global cells of zoom z that the point mx, my (Web
// Mercator) counts in: the cell of the tile that holds it, computed
// relative to the tile exactly as a renderer of that tile does. A point on
// a tile's edge (the prime meridian and the equator are edges at every
// zoom) may by rounding fall outside that tile's cells and inside the edge
// cell of the tile beside it, or of both, as their renderers compute it,
// so the tiles beside it are tried too. It returns the cells in an array,
// without allocating, and how many there are (at most four).
func indexCells(z int, mx, my float64, cells int) (out [4][2]int32, n int) {
	const edge = 1e-6 // of a tile's width: far wider than rounding, far narrower than a cell
	tiles := 1 << z
	size := Tile{Z: z}.size()
	fx, fy := (mx+worldHalf)/size, (worldHalf-my)/size
	x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
	span := func(v float64, i int) (int, int) {
		lo, hi := i, i
		if v-float64(i) < edge {
			lo--
		}
		if float64(i+1)-v < edge {
			hi++
		}
		return max(lo, 0), min(hi, tiles-1)
	}
	xlo, xhi := span(fx, x0)
	ylo, yhi := span(fy, y0)
	fc := float64(cells)
	for x := xlo; x <= xhi; x++ {
		for y := ylo; y <= yhi; y++ {
			b := Tile{Z: z, X: x, Y: y}.Bounds()
			cellM := (b.Max[0] - b.Min[0]) / fc
			cx, cy := math.Floor((mx-b.Min[0])/cellM), math.Floor((b.Max[1]-my)/cellM)
			if cx < 0 || cy < 0 || cx >= fc || cy >= fc {
				continue // in the tile beside, or off the world's edge
			}
			out[n] = [2]int32{int32(x*cells) + int32(cx), int32(y*cells) + int32(cy)}
			n++
		}
	}
	return out, n
}

// fromIndex renders a clustered layer from its index, as layer would.
func fromIndex(ix *clusterIndex, spec coopmap.TileSpec) []*geojson.Feature {
	m := ix.zooms[spec.Z]
	var (
		out   []*geojson.Feature
		size  = spec.Bounds.Max[0] - spec.Bounds.Min[0]
		scale = float64(spec.Extent) / size
		c0    = int32(spec.X * spec.ClusterCells)
		r0    = int32(spec.Y * spec.ClusterCells)
	)
	for dy := range int32(spec.ClusterCells) {
		for dx := range int32(spec.ClusterCells) {
			c := m[[2]int32{c0 + dx, r0 + dy}]
			if c == nil {
				continue
			}
			x := (c.sx/float64(c.n) - spec.Bounds.Min[0]) * scale
			y := (spec.Bounds.Max[1] - c.sy/float64(c.n)) * scale
			p := ix.feats[c.rep]
			f := coopmap.Feature{ID: p.id, Name: p.name, Sector: p.sector, OrgType: p.orgType}
			out = append(out, tileFeature(f, orb.Point{math.Round(x), math.Round(y)}, c.n))
		}
	}
	return out
}
