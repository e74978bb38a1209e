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
	cells := float64(r.opts.ClusterCells)
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
			t := Tile{Z: z}
			size := t.size()
			tx, ty := math.Floor((mx+worldHalf)/size), math.Floor((worldHalf-my)/size)
			t.X, t.Y = int(tx), int(ty)
			b := t.Bounds()
			// The tile-relative cell, computed exactly as a renderer does.
			cx, cy := math.Floor((mx-b.Min[0])/(size/cells)), math.Floor((b.Max[1]-my)/(size/cells))
			if cx < 0 || cy < 0 || cx >= cells || cy >= cells {
				continue // on the world's edge
			}
			k := [2]int32{int32(tx*cells + cx), int32(ty*cells + cy)}
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
	r.idx.mu.Lock()
	defer r.idx.mu.Unlock()
	if usable {
		ix.feats, ix.zooms = built.feats, built.zooms
	}
	ix.ready, ix.usable = true, usable
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
