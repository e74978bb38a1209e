package coopmap

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"iter"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap/geo"
)

// Optional store capabilities for vector tiles. Package tiles renders every
// tile from Reader.Features alone; a store that implements these interfaces
// makes it cheaper, and the web layer checks for them by type assertion.

// TileQuery selects the features one tile layer is made from.
type TileQuery struct {
	// SourceID is the one source (collection) to read.
	SourceID string
	// BBox keeps features whose bounding box touches it. A store may
	// return a few more (its index may round outwards): the renderer
	// filters exactly.
	BBox geo.BBox
}

// TileReader is an optional Reader capability: a bulk read of only what a
// map tile needs, without the page count and the columns a tile never
// shows. The fallback is Reader.Features, page by page.
type TileReader interface {
	// TileFeatures streams the features of q.SourceID touching q.BBox in
	// any order, each with only ID, SourceID, Name, Sector, OrgType and
	// Geometry set, holding one row at a time. A failure yields the
	// store's or ctx's error, after which the sequence ends. A missing
	// source yields nothing.
	TileFeatures(ctx context.Context, q TileQuery) iter.Seq2[Feature, error]
}

// TileLayer is one layer of a tile: the features of one source.
type TileLayer struct {
	// Name is the MVT layer name (the collection's id).
	Name     string
	SourceID string
	// Version is the source's Version, so a renderer may keep an index of
	// the source between tiles; 0 when unknown (no index is kept).
	Version int64
}

// TileSpec says exactly how to render one tile, so that every renderer
// makes the same tile; package tiles fills it. Coordinates in the tile run
// from 0 to Extent, y downwards, in Web Mercator (EPSG:3857).
//
// Each layer holds:
//   - lines and polygons touching the tile, simplified by Douglas–Peucker
//     with tolerance Simplify, clipped to the tile plus Buffer, and dropped
//     when their bounds are under MinSize wide and high (0: keep all);
//   - points, either each as itself (when within the tile plus Buffer) or,
//     when clustered, one point per occupied cell of a global grid of
//     ClusterCells × ClusterCells cells per tile: the mean of its members'
//     Mercator positions, with the member count. A cell belongs to exactly
//     one tile (points on an edge go right and down), so clusters agree
//     across tile borders. Points are clustered when ClusterAlways is set
//     or when more than MaxRawPoints points touch QueryBox.
//
// Every feature has the MVT id TileFeatureID of its own id (of the
// smallest member id, compared bytewise, for a cluster). Properties: id,
// name, sector and org_type when not empty; clusters of two or more
// carry only count (a single point in clustered mode carries count = 1
// and its own properties).
type TileSpec struct {
	Z, X, Y int
	Layers  []TileLayer
	// Extent is the tile's size in its own units (4096); Buffer is the
	// margin kept around it, in the same units.
	Extent, Buffer int
	// QueryBox is the tile plus its buffer in longitude and latitude.
	QueryBox geo.BBox
	// Bounds is the tile (without buffer) in Web Mercator metres.
	Bounds orb.Bound
	// Simplify and MinSize are in tile units.
	Simplify, MinSize float64
	// ClusterCells is the clustering grid's cells per tile edge (0: never
	// cluster).
	ClusterCells  int
	ClusterAlways bool
	MaxRawPoints  int
}

// TileRenderer is an optional Store capability: rendering a whole tile in
// the database (PostGIS ST_AsMVT). RenderTile returns the encoded MVT
// (uncompressed, possibly empty) for spec, as described on TileSpec. The
// fallback, and the path for a tile a renderer makes over the size cap, is
// package tiles' own renderer over TileReader or Reader. Errors are the
// store's or ctx's.
type TileRenderer interface {
	RenderTile(ctx context.Context, spec TileSpec) ([]byte, error)
}

// TileFeatureID returns the MVT feature id of a feature: the first 8 bytes
// of the MD5 of its id, big-endian, cut to the low 53 bits so that
// JavaScript (MapLibre's feature state) holds it exactly and PostGIS, which
// leaves negative ids out, keeps it. SQL computes the same:
// ('x' || substr(md5(id), 1, 16))::bit(64)::bigint & 9007199254740991.
func TileFeatureID(id string) uint64 {
	h := md5.Sum([]byte(id))
	return binary.BigEndian.Uint64(h[:8]) & (1<<53 - 1)
}
