package tiles_test

import (
	"context"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/tiles"
	"github.com/coopmap/coopmap/tiles/tilestest"
)

// TestClusterIndexMatchesRenderer: once a source's cluster index is built,
// low-zoom tiles come from it, and they equal what the renderer computes
// from the store.
func TestClusterIndexMatchesRenderer(t *testing.T) {
	s := openFixture(t)
	r := tiles.NewRenderer(s, tiles.Options{}, false)
	layers := []coopmap.TileLayer{{Name: "coops", SourceID: "coops", Version: 1}, {Name: "paths", SourceID: "paths", Version: 1}}
	ctx := context.Background()
	// The first request starts the build; wait until tiles come from it.
	for deadline := time.Now().Add(time.Minute); !tiles.Indexed(r, layers[0]); time.Sleep(20 * time.Millisecond) {
		if _, err := r.Render(ctx, londonTile(5), layers[:1]); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no index after a minute")
		}
	}
	if tiles.Indexed(r, layers[1]) { // lines and polygons: never indexed
		t.Error("a source of shapes was indexed")
	}
	compared := 0
	for z := range 14 {
		nw, se := tileAt(z, -0.6, 51.85), tileAt(z, 0.4, 51.15)
		for x := nw.X; x <= se.X; x++ {
			for y := nw.Y; y <= se.Y; y++ {
				tile := tiles.Tile{Z: z, X: x, Y: y}
				for _, ls := range [][]coopmap.TileLayer{layers[:1], layers} {
					got, err := r.Render(ctx, tile, ls)
					if err != nil {
						t.Fatal(err)
					}
					want, err := r.Encode(ctx, r.Options().Spec(tile, ls))
					if err != nil {
						t.Fatal(err)
					}
					if len(got) == 0 && len(want) == 0 {
						continue
					}
					diff, err := tilestest.Diff(got, want, 1)
					if err != nil || diff != "" {
						t.Errorf("tile %v: index vs renderer: %v\n%s", tile, err, diff)
					}
					compared++
				}
			}
		}
	}
	if compared < 50 {
		t.Errorf("only %d tiles compared", compared)
	}
}
