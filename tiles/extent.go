package tiles

import (
	"context"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

// Extent returns the bounds of a source's geometries in longitude and
// latitude, and false when it has none: from the store's
// coopmap.ExtentReader, or else by streaming every feature. Errors are the
// store's (CodeNotFound for a missing source) or ctx's.
func Extent(ctx context.Context, r coopmap.Reader, sourceID string) (orb.Bound, bool, error) {
	if er, ok := r.(coopmap.ExtentReader); ok {
		e, err := er.SourceExtent(ctx, sourceID)
		if err != nil || e.BBox == nil {
			return orb.Bound{}, false, err
		}
		b := e.BBox
		if b.CrossesAntimeridian() {
			return orb.Bound{Min: orb.Point{-180, b.MinLat}, Max: orb.Point{180, b.MaxLat}}, true, nil
		}
		return orb.Bound{Min: orb.Point{b.MinLon, b.MinLat}, Max: orb.Point{b.MaxLon, b.MaxLat}}, true, nil
	}
	var (
		b  orb.Bound
		ok bool
	)
	for f, err := range r.SourceFeatures(ctx, sourceID) {
		if err != nil {
			return orb.Bound{}, false, err
		}
		if f.Geometry == nil {
			continue
		}
		if !ok {
			b, ok = f.Geometry.Bound(), true
		} else {
			b = b.Union(f.Geometry.Bound())
		}
	}
	return b, ok, nil
}
