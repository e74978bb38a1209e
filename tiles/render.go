package tiles

import (
	"cmp"
	"context"
	"iter"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/project"
	"github.com/paulmach/orb/simplify"

	"github.com/coopmap/coopmap"
)

// Renderer renders tiles from a store. It is safe for concurrent use.
type Renderer struct {
	r    coopmap.Reader
	db   coopmap.TileRenderer // nil: always the embedded renderer
	opts Options
	idx  indexes
}

// NewRenderer returns a renderer reading from r. When r implements
// coopmap.TileRenderer and embedded is false, tiles are rendered in the
// store, falling back to the embedded renderer for a tile over
// Options.MaxBytes.
func NewRenderer(r coopmap.Reader, o Options, embedded bool) *Renderer {
	rr := &Renderer{r: r, opts: o.withDefaults()}
	if tr, ok := r.(coopmap.TileRenderer); ok && !embedded {
		rr.db = tr
	}
	return rr
}

// Options returns the renderer's settings with defaults filled in.
func (r *Renderer) Options() Options { return r.opts }

// Render returns tile t with one layer per entry of layers (a layer with
// no features is left out), MVT-encoded without compression; an empty
// slice when no layer has a feature. Errors are the store's or ctx's.
func (r *Renderer) Render(ctx context.Context, t Tile, layers []coopmap.TileLayer) ([]byte, error) {
	spec := r.opts.Spec(t, layers)
	if r.db != nil && !r.allIndexed(spec) {
		b, err := r.db.RenderTile(ctx, spec)
		if err != nil {
			return nil, err
		}
		if len(b) <= r.opts.MaxBytes {
			return b, nil
		}
	}
	return r.Encode(ctx, spec)
}

// Encode renders spec with the embedded renderer (orb's encoding/mvt)
// whatever the store, and keeps the tile under Options.MaxBytes. Errors
// are the store's or ctx's.
func (r *Renderer) Encode(ctx context.Context, spec coopmap.TileSpec) ([]byte, error) {
	var layers mvt.Layers
	for _, l := range spec.Layers {
		var (
			fs  []*geojson.Feature
			err error
		)
		if ix := r.indexFor(spec, l); ix != nil {
			fs = sortByID(fromIndex(ix, spec))
		} else if fs, err = r.layer(ctx, spec, l); err != nil {
			return nil, err
		}
		if len(fs) > 0 {
			layers = append(layers, &mvt.Layer{Name: l.Name, Version: 2, Extent: uint32(spec.Extent), Features: fs})
		}
	}
	return r.marshal(layers)
}

// indexFor returns the ready cluster index that renders layer l of a
// clustered tile, or nil.
func (r *Renderer) indexFor(spec coopmap.TileSpec, l coopmap.TileLayer) *clusterIndex {
	if !spec.ClusterAlways || spec.Z >= r.opts.ClusterBelow || spec.ClusterCells != r.opts.ClusterCells {
		return nil
	}
	return r.lookup(l)
}

// allIndexed reports whether every layer of spec comes from an index, so
// the store need not be asked at all.
func (r *Renderer) allIndexed(spec coopmap.TileSpec) bool {
	for _, l := range spec.Layers {
		if r.indexFor(spec, l) == nil {
			return false
		}
	}
	return len(spec.Layers) > 0
}

// marshal encodes the layers, dropping features to keep under MaxBytes.
func (r *Renderer) marshal(layers mvt.Layers) ([]byte, error) {
	if len(layers) == 0 {
		return []byte{}, nil
	}
	for {
		b, err := mvt.Marshal(layers)
		if err != nil {
			return nil, err
		}
		if len(b) <= r.opts.MaxBytes || !trim(layers) {
			return b, nil
		}
	}
}

// trim halves the largest layer, keeping its largest shapes first, then
// its points. It reports false when there is nothing left to drop.
func trim(layers mvt.Layers) bool {
	big := slices.MaxFunc(layers, func(a, b *mvt.Layer) int { return cmp.Compare(len(a.Features), len(b.Features)) })
	if len(big.Features) <= 1 {
		return false
	}
	slices.SortStableFunc(big.Features, func(a, b *geojson.Feature) int {
		return cmp.Compare(extentOf(b.Geometry), extentOf(a.Geometry))
	})
	big.Features = big.Features[:len(big.Features)/2]
	slices.SortStableFunc(big.Features, func(a, b *geojson.Feature) int { return cmp.Compare(a.ID.(uint64), b.ID.(uint64)) })
	return true
}

// extentOf is the larger side of g's bounds (0 for a point).
func extentOf(g orb.Geometry) float64 {
	b := g.Bound()
	return max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1])
}

// cluster accumulates the points of one grid cell.
type cluster struct {
	n      int
	sx, sy float64 // sums of Mercator coordinates
	rep    coopmap.Feature
}

// rawPoint is a point kept as itself, in tile units.
type rawPoint struct {
	f    coopmap.Feature
	x, y float64
}

// layer reads and renders one layer's features, ordered by MVT id.
func (r *Renderer) layer(ctx context.Context, spec coopmap.TileSpec, l coopmap.TileLayer) ([]*geojson.Feature, error) {
	var (
		size   = spec.Bounds.Max[0] - spec.Bounds.Min[0]
		scale  = float64(spec.Extent) / size
		minX   = spec.Bounds.Min[0]
		maxY   = spec.Bounds.Max[1]
		cellM  = size / float64(max(spec.ClusterCells, 1))
		buf    = float64(spec.Buffer)
		lo, hi = -buf, float64(spec.Extent) + buf
		box    = orb.Bound{Min: orb.Point{lo, lo}, Max: orb.Point{hi, hi}}
		toTile = func(p orb.Point) orb.Point {
			mx, my := toMercator(p[0], p[1])
			return orb.Point{(mx - minX) * scale, (maxY - my) * scale}
		}
		cells   = map[[2]int]*cluster{}
		raw     []rawPoint
		npoints int
		out     []*geojson.Feature
		shapes  int
	)
	for f, err := range r.features(ctx, coopmap.TileQuery{SourceID: l.SourceID, BBox: spec.QueryBox}) {
		if err != nil {
			return nil, err
		}
		switch g := f.Geometry.(type) {
		case nil:
		case orb.Point:
			if !spec.QueryBox.Contains(g) {
				continue
			}
			npoints++
			mx, my := toMercator(g[0], g[1])
			if !spec.ClusterAlways && npoints <= spec.MaxRawPoints {
				x, y := (mx-minX)*scale, (maxY-my)*scale
				if x >= lo && x <= hi && y >= lo && y <= hi {
					raw = append(raw, rawPoint{f, x, y})
				}
			} else {
				raw = nil
			}
			if spec.ClusterCells <= 0 {
				continue
			}
			cx, cy := math.Floor((mx-minX)/cellM), math.Floor((maxY-my)/cellM)
			if cx < 0 || cy < 0 || cx >= float64(spec.ClusterCells) || cy >= float64(spec.ClusterCells) {
				continue
			}
			k := [2]int{int(cx), int(cy)}
			c := cells[k]
			if c == nil {
				c = &cluster{rep: f}
				cells[k] = c
			} else if f.ID < c.rep.ID {
				c.rep = f
			}
			c.n++
			c.sx += mx
			c.sy += my
		default:
			if shapes >= r.opts.MaxShapes {
				continue
			}
			if tg := shape(g, toTile, spec, box); tg != nil {
				shapes++
				out = append(out, tileFeature(f, tg, 0))
			}
		}
	}
	if spec.ClusterAlways || npoints > spec.MaxRawPoints {
		for _, c := range cells {
			x, y := (c.sx/float64(c.n)-minX)*scale, (maxY-c.sy/float64(c.n))*scale
			out = append(out, tileFeature(c.rep, orb.Point{math.Round(x), math.Round(y)}, c.n))
		}
	} else {
		for _, p := range raw {
			out = append(out, tileFeature(p.f, orb.Point{math.Round(p.x), math.Round(p.y)}, 0))
		}
	}
	return sortByID(out), nil
}

// sortByID orders features by MVT id, as both renderers do.
func sortByID(fs []*geojson.Feature) []*geojson.Feature {
	slices.SortFunc(fs, func(a, b *geojson.Feature) int { return cmp.Compare(a.ID.(uint64), b.ID.(uint64)) })
	return fs
}

// tileFeature returns f as an MVT feature with geometry g (in tile units)
// and the properties a map needs. count > 0 marks a clustered point: a
// cluster of two or more carries only its count.
func tileFeature(f coopmap.Feature, g orb.Geometry, count int) *geojson.Feature {
	tf := geojson.NewFeature(g)
	tf.ID = coopmap.TileFeatureID(f.ID)
	if count > 0 {
		tf.Properties["count"] = count
		if count > 1 {
			return tf
		}
	}
	tf.Properties["id"] = f.ID
	for k, v := range map[string]string{"name": f.Name, "sector": f.Sector, "org_type": f.OrgType} {
		if v != "" {
			tf.Properties[k] = v
		}
	}
	return tf
}

// shape projects a line or polygon (never g itself: orb projects in place)
// into tile units, drops it when it is tiny, simplifies it, clips it to
// box and snaps it to whole units. It returns nil when nothing is left.
func shape(g orb.Geometry, toTile orb.Projection, spec coopmap.TileSpec, box orb.Bound) orb.Geometry {
	t := project.Geometry(orb.Clone(g), toTile)
	if spec.MinSize > 0 {
		b := t.Bound()
		if b.Max[0]-b.Min[0] < spec.MinSize && b.Max[1]-b.Min[1] < spec.MinSize {
			return nil
		}
	}
	if spec.Simplify > 0 {
		t = simplify.DouglasPeucker(spec.Simplify).Simplify(t)
	}
	if t == nil {
		return nil
	}
	return snap(clip.Geometry(box, t))
}

// features streams a layer's features: through the store's TileReader, or
// page by page through Reader.Features.
func (r *Renderer) features(ctx context.Context, q coopmap.TileQuery) iter.Seq2[coopmap.Feature, error] {
	if tr, ok := r.r.(coopmap.TileReader); ok {
		return tr.TileFeatures(ctx, q)
	}
	return func(yield func(coopmap.Feature, error) bool) {
		after := ""
		for {
			p, err := r.r.Features(ctx, coopmap.Query{BBox: &q.BBox, Sources: []string{q.SourceID}, Limit: coopmap.MaxLimit, After: after})
			if err != nil {
				yield(coopmap.Feature{}, err)
				return
			}
			for _, f := range p.Features {
				if !yield(f, nil) {
					return
				}
			}
			if p.Next == "" {
				return
			}
			after = p.Next
		}
	}
}
