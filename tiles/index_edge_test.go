package tiles_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/sqlite"
	"github.com/coopmap/coopmap/tiles"
)

// TestClusterIndexOnTileEdges: points exactly on tile edges (the prime
// meridian and the equator are edges at every zoom from 1) are clustered
// by the index as the renderer clusters them from the store, byte for
// byte, so a tile does not depend on whether the index was ready.
func TestClusterIndexOnTileEdges(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "edges.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	src := coopmap.Source{ID: "edges", Title: "Points on tile edges", Kind: coopmap.KindCoops, Licence: coopmap.Licence{ID: "CC0-1.0"}, Attribution: "coopmap test data"}
	pts := []orb.Point{{0, 51.4769}, {0, 0}, {-0.5, 0}, {0.5, 0}, {0, 51.5}, {-0.01, 51.48}, {0.01, 51.47}, {90, 0}, {-90, 0}}
	var fs []coopmap.Feature
	for i, p := range pts {
		fs = append(fs, coopmap.Feature{ID: fmt.Sprintf("edges.p%d", i), SourceID: src.ID, Name: fmt.Sprintf("Point %d", i), Geometry: p, Precision: coopmap.PrecisionExact})
	}
	if _, err := s.ReplaceSource(ctx, src, func(yield func(coopmap.Feature, error) bool) {
		for _, f := range fs {
			if !yield(f, nil) {
				return
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if src, err = s.Source(ctx, src.ID); err != nil {
		t.Fatal(err)
	}
	indexed := []coopmap.TileLayer{{Name: src.ID, SourceID: src.ID, Version: src.Version}}
	direct := []coopmap.TileLayer{{Name: src.ID, SourceID: src.ID}} // version 0: never indexed
	r := tiles.NewRenderer(s, tiles.Options{}, false)
	for deadline := time.Now().Add(time.Minute); !tiles.Indexed(r, indexed[0]); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no index after a minute")
		}
	}
	compared := 0
	for z := range 14 {
		seen := map[tiles.Tile]bool{}
		for _, p := range pts {
			c := tileAt(z, p[0], p[1])
			for dx := -1; dx <= 1; dx++ {
				for dy := -1; dy <= 1; dy++ {
					tile, err := tiles.NewTile(z, c.X+dx, c.Y+dy, 16)
					if err != nil || seen[tile] {
						continue
					}
					seen[tile] = true
					got, err := r.Render(ctx, tile, indexed)
					if err != nil {
						t.Fatal(err)
					}
					want, err := r.Render(ctx, tile, direct)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, want) {
						t.Errorf("tile %v: the index gives %d bytes, the store %d", tile, len(got), len(want))
					}
					if len(want) > 0 {
						compared++
					}
				}
			}
		}
	}
	if compared < 30 {
		t.Errorf("only %d tiles with points compared", compared)
	}
}
