package postgis_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/postgis/postgistest"
	"github.com/coopmap/coopmap/store/sqlite"
	"github.com/coopmap/coopmap/tiles"
	"github.com/coopmap/coopmap/tiles/tilestest"
)

// TestTileParity renders the same fixture's tiles with ST_AsMVT (PostGIS)
// and with the embedded renderer (on a GeoPackage store and on PostGIS
// through TileFeatures), decodes them, and requires the same layers and
// feature ids, with geometries within one pixel (16 of 4096 units).
func TestTileParity(t *testing.T) {
	ctx := context.Background()
	pg := postgistest.Open(t)
	tilestest.Load(t, pg)
	gp, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parity.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer gp.Close()
	tilestest.Load(t, gp)

	opts := tiles.DefaultOptions()
	layers := []coopmap.TileLayer{{Name: "coops", SourceID: "coops"}, {Name: "paths", SourceID: "paths"}}
	embeddedGP := tiles.NewRenderer(gp, opts, false)
	embeddedPG := tiles.NewRenderer(pg, opts, true)
	dense := opts
	dense.MaxRawPoints = 3 // the dense-tile switch to clusters at high zoom
	features := 0
	for _, o := range []tiles.Options{opts, dense} {
		for _, z := range []int{3, 6, 9, 11, 12, 13, 14, 15, 16} {
			c := centre(z)
			for dx := -1; dx <= 1; dx++ {
				for dy := -1; dy <= 1; dy++ {
					tile := tiles.Tile{Z: z, X: c.X + dx, Y: c.Y + dy}
					spec := o.Spec(tile, layers)
					db, err := pg.RenderTile(ctx, spec)
					if err != nil {
						t.Fatalf("RenderTile(%v): %v", tile, err)
					}
					for name, r := range map[string]*tiles.Renderer{"GeoPackage": embeddedGP, "PostGIS": embeddedPG} {
						if o.MaxRawPoints != opts.MaxRawPoints {
							r = tiles.NewRenderer(gp, o, true)
						}
						mine, err := r.Encode(ctx, spec)
						if err != nil {
							t.Fatalf("Encode(%v): %v", tile, err)
						}
						if len(mine) == 0 && len(db) == 0 {
							continue
						}
						diff, err := tilestest.Diff(db, mine, 16)
						if err != nil {
							t.Fatalf("%v: %v", tile, err)
						}
						if diff != "" {
							t.Errorf("tile %v (raw points ≤ %d): ST_AsMVT vs embedded on %s:\n%s", tile, o.MaxRawPoints, name, diff)
						}
					}
					ls, _, _ := tilestest.Decode(db)
					for _, l := range ls {
						features += len(l)
					}
				}
			}
		}
	}
	if features < 1000 {
		t.Errorf("only %d features compared", features)
	}
}

// centre is the tile holding central London at zoom z.
func centre(z int) tiles.Tile {
	n := 1 << z
	x := int((-0.1 + 180) / 360 * float64(n))
	lo, hi := 0, n-1
	for lo < hi { // the first y whose box reaches down to 51.51°
		mid := (lo + hi) / 2
		if (tiles.Tile{Z: z, X: x, Y: mid}).LonLatBox(0).MinLat <= 51.51 {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return tiles.Tile{Z: z, X: x, Y: lo}
}
