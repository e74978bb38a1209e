package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/coopmap/coopmap/store/sqlite"
)

// TestMapConfigTiles checks that the map's page tells the app the tile
// zooms the server serves, the default and a lowered --tile-max-zoom, so
// the map never asks for a tile above them (tiles.js).
func TestMapConfigTiles(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "map.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, c := range []struct{ set, want int }{{0, 16}, {12, 12}, {15, 15}} {
		s := New(st, slog.New(slog.DiscardHandler), Config{TileMaxZoom: c.set})
		// A stand-in build, so that the test does not need npm to have run.
		s.pages.frontend = &frontend{assets: fstest.MapFS{}, indexHead: []byte("<!doctype html><head>"), indexTail: []byte("</head>")}
		ts := httptest.NewServer(s.Handler())
		resp, body := fetch(t, ts.URL+"/", browserAccept)
		ts.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("TileMaxZoom %d: %d %s", c.set, resp.StatusCode, body)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe") {
			t.Errorf("CSP %q", csp)
		}
		_, js, ok := strings.Cut(body, `<script type="application/json" id="coopmap-config">`)
		js, _, ok2 := strings.Cut(js, "</script>")
		if !ok || !ok2 {
			t.Fatalf("no settings in the page: %s", body)
		}
		var cfg struct {
			Tiles *mapTiles `json:"tiles"`
		}
		if err := json.Unmarshal([]byte(js), &cfg); err != nil {
			t.Fatal(err)
		}
		if cfg.Tiles == nil || cfg.Tiles.MaxZoom != c.want || cfg.Tiles.ClusterBelow != 14 {
			t.Errorf("TileMaxZoom %d: tiles %+v, want maxZoom %d, clusterBelow 14", c.set, cfg.Tiles, c.want)
		}
	}
}
