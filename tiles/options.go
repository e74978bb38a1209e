package tiles

import (
	"time"

	"github.com/coopmap/coopmap"
)

// Options are a tile set's rendering settings. The zero value of a field
// takes its default (DefaultOptions).
type Options struct {
	// MaxZoom is the highest zoom served (default 16, at most ZoomLimit).
	MaxZoom int
	// Extent is the tile's coordinate range (default 4096); Buffer the
	// margin kept around it for rendering across borders (default 64).
	Extent, Buffer int
	// ClusterCells is the clustering grid's cells per tile edge (default
	// 16, that is one cell per 16 px of a 256 px tile).
	ClusterCells int
	// ClusterBelow: below this zoom points are always clustered (default
	// 14). At and above it they are clustered only in a tile with more
	// than MaxRawPoints points in one layer (default 2,000), which keeps a
	// dense tile under MaxBytes.
	ClusterBelow, MaxRawPoints int
	// SimplifyPx is the Douglas–Peucker tolerance in 256-px pixels
	// (default 0.5).
	SimplifyPx float64
	// DropTinyBelow: below this zoom, lines and polygons smaller than one
	// pixel in both directions are left out (default 14).
	DropTinyBelow int
	// MaxBytes caps an encoded tile (default 200 KB): a larger tile keeps
	// its largest lines and polygons and drops the rest, halving until it
	// fits.
	MaxBytes int
	// MaxShapes bounds the lines and polygons read for one layer of one
	// tile (default 20,000): the rest are left out, so a tile request
	// cannot make the server hold unbounded memory.
	MaxShapes int
	// MaxIndexPoints bounds the cluster index kept per source of points
	// (default 1,000,000 points, about 150 bytes each; negative: no
	// index). See clusterIndex. IndexTimeout bounds building one
	// (default 2 minutes).
	MaxIndexPoints int
	IndexTimeout   time.Duration
}

// DefaultOptions returns the default settings.
func DefaultOptions() Options {
	return Options{
		MaxZoom: 16, Extent: 4096, Buffer: 64, ClusterCells: 16, ClusterBelow: 14, MaxRawPoints: 2000,
		SimplifyPx: 0.5, DropTinyBelow: 14, MaxBytes: 200_000, MaxShapes: 20_000,
		MaxIndexPoints: 1_000_000, IndexTimeout: 2 * time.Minute,
	}
}

// withDefaults fills zero fields.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&o.MaxZoom, d.MaxZoom)
	o.MaxZoom = min(o.MaxZoom, ZoomLimit)
	set(&o.Extent, d.Extent)
	set(&o.Buffer, d.Buffer)
	set(&o.ClusterCells, d.ClusterCells)
	set(&o.ClusterBelow, d.ClusterBelow)
	set(&o.MaxRawPoints, d.MaxRawPoints)
	set(&o.DropTinyBelow, d.DropTinyBelow)
	set(&o.MaxBytes, d.MaxBytes)
	set(&o.MaxShapes, d.MaxShapes)
	if o.MaxIndexPoints == 0 {
		o.MaxIndexPoints = d.MaxIndexPoints
	}
	if o.IndexTimeout <= 0 {
		o.IndexTimeout = d.IndexTimeout
	}
	if o.SimplifyPx <= 0 {
		o.SimplifyPx = d.SimplifyPx
	}
	return o
}

// Spec returns how to render tile t with these layers.
func (o Options) Spec(t Tile, layers []coopmap.TileLayer) coopmap.TileSpec {
	o = o.withDefaults()
	unitsPerPx := float64(o.Extent) / 256
	s := coopmap.TileSpec{
		Z: t.Z, X: t.X, Y: t.Y, Layers: layers,
		Extent: o.Extent, Buffer: o.Buffer,
		QueryBox:      t.LonLatBox(float64(o.Buffer) / float64(o.Extent)),
		Bounds:        t.Bounds(),
		Simplify:      o.SimplifyPx * unitsPerPx,
		ClusterCells:  o.ClusterCells,
		ClusterAlways: t.Z < o.ClusterBelow,
		MaxRawPoints:  o.MaxRawPoints,
	}
	if t.Z < o.DropTinyBelow {
		s.MinSize = unitsPerPx
	}
	return s
}
