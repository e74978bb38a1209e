package web

import (
	"math"
	"strings"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

// TileSetJSON returns the TileJSON of a tile set made of srcs (one layer
// each, in order) with zooms minZoom to maxZoom, as /tiles/{name}.json
// describes a served tile set but without the tiles URL (Tiles is nil), for
// a tile archive that goes elsewhere (coopmap tiles export): name, the
// description of a single source, every source's attribution and licence,
// vector_layers with their fields, bounds (the union of the sources'
// extents; have false gives the whole Web Mercator world) and a center
// that shows them.
func TileSetJSON(name string, srcs []coopmap.Source, bounds orb.Bound, have bool, minZoom, maxZoom int) TileJSON {
	tj := TileJSON{TileJSON: "3.0.0", Name: name, Scheme: "xyz", MinZoom: minZoom, MaxZoom: maxZoom, VectorLayers: []VectorLayer{}}
	attrs := make([]string, 0, len(srcs))
	for _, src := range srcs {
		attrs = append(attrs, attributionHTML(src))
		tj.VectorLayers = append(tj.VectorLayers, VectorLayer{ID: src.ID, Description: src.Title, MinZoom: minZoom, MaxZoom: maxZoom, Fields: tileFields})
	}
	tj.Attribution = strings.Join(attrs, " | ")
	if len(srcs) == 1 {
		tj.Description = srcs[0].Description
		if srcs[0].Title != "" {
			tj.Name = srcs[0].Title
		}
	}
	if !have {
		bounds = orb.Bound{Min: orb.Point{-180, -85.0511}, Max: orb.Point{180, 85.0511}}
	}
	tj.Bounds = [4]float64{bounds.Min[0], bounds.Min[1], bounds.Max[0], bounds.Max[1]}
	c := bounds.Center()
	w := max(bounds.Max[0]-bounds.Min[0], bounds.Max[1]-bounds.Min[1], 1e-6)
	zoom := math.Max(float64(minZoom), math.Min(float64(maxZoom), math.Floor(math.Log2(360/w))))
	tj.Center = [3]float64{c[0], c[1], zoom}
	return tj
}
