package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"iter"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/pmtiles"
	"github.com/coopmap/coopmap/pmtiles/pmtilestest"
	"github.com/coopmap/coopmap/store/postgis"
	"github.com/coopmap/coopmap/store/postgis/postgistest"
	"github.com/coopmap/coopmap/store/sqlite"
	"github.com/coopmap/coopmap/tiles"
	"github.com/coopmap/coopmap/tiles/tilestest"
)

// tilesFixture returns a GeoPackage holding the tiles fixture (points,
// lines and polygons around London) and an empty collection.
func tilesFixture(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "tiles.gpkg")
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tilestest.Load(t, st)
	empty := coopmap.Source{ID: "empty", Title: "Nothing yet", Kind: coopmap.KindFeatures, Licence: coopmap.Licence{ID: "CC0-1.0"}, Attribution: "nobody"}
	if _, err := st.ReplaceSource(context.Background(), empty, func(func(coopmap.Feature, error) bool) {}); err != nil {
		t.Fatal(err)
	}
	return db
}

func runTiles(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"tiles"}, args...), &out, &errb, noEnv)
	return code, out.String(), errb.String()
}

// checkTileArchive reads the archive at path with pmtilestest's reader and
// checks it against the renderer the server uses over st: the header,
// the metadata's layers and provenance, every tile of the archive equal
// (after gunzip) to the rendered tile, and, for every tile of zooms minZoom
// to maxZoom within a tile of the data, that the archive has it exactly
// when it is not empty.
func checkTileArchive(t *testing.T, st coopmap.Reader, path string, srcs []coopmap.Source, minZoom, maxZoom int) {
	t.Helper()
	ctx := context.Background()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := pmtilestest.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	h := a.H
	if !h.Clustered || h.TileType != pmtiles.TileTypeMVT || h.TileCompression != pmtiles.CompressionGzip ||
		h.InternalCompression != pmtiles.CompressionGzip || int(h.MinZoom) != minZoom || int(h.MaxZoom) != maxZoom {
		t.Errorf("header %+v", h)
	}
	// The fixture lies in Greater London.
	if h.MinLon < -0.7 || h.MaxLon > 0.5 || h.MinLat < 51.2 || h.MaxLat > 51.8 || h.CenterLon < h.MinLon || h.CenterLon > h.MaxLon {
		t.Errorf("bounds %v,%v %v,%v center %v,%v", h.MinLon, h.MinLat, h.MaxLon, h.MaxLat, h.CenterLon, h.CenterLat)
	}
	mb, err := a.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	var meta archiveMeta
	if err := json.Unmarshal(mb, &meta); err != nil {
		t.Fatal(err)
	}
	if len(meta.VectorLayers) != len(srcs) || len(meta.Sources) != len(srcs) {
		t.Fatalf("metadata has %d layers and %d sources for %d collections", len(meta.VectorLayers), len(meta.Sources), len(srcs))
	}
	for i, s := range srcs {
		l := meta.VectorLayers[i]
		if l.ID != s.ID || l.Fields["id"] == "" || l.Fields["count"] == "" || l.MinZoom != minZoom || l.MaxZoom != maxZoom {
			t.Errorf("vector layer %d: %+v", i, l)
		}
		ms := meta.Sources[i]
		if ms.ID != s.ID || ms.Licence.ID != s.Licence.ID || ms.Licence.URL == "" || ms.Attribution != s.Attribution {
			t.Errorf("source %d: %+v, want the licence and attribution of %+v", i, ms, s)
		}
		if !strings.Contains(meta.Attribution, s.Licence.ID) {
			t.Errorf("attribution %q lacks %s's licence", meta.Attribution, s.ID)
		}
	}
	layers := make([]coopmap.TileLayer, len(srcs))
	for i, s := range srcs {
		layers[i] = coopmap.TileLayer{Name: s.ID, SourceID: s.ID, Version: s.Version}
	}
	r := tiles.NewRenderer(st, tiles.DefaultOptions(), false)
	render := func(z int, x, y uint32) []byte {
		raw, err := r.Render(ctx, tiles.Tile{Z: z, X: int(x), Y: int(y)}, layers)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	es, err := a.Entries()
	if err != nil {
		t.Fatal(err)
	}
	in := map[uint64]bool{}
	for _, e := range es {
		gz, _ := a.Section(h.DataOffset+e.Offset, uint64(e.Length))
		raw, err := pmtilestest.Gunzip(gz)
		if err != nil {
			t.Fatal(err)
		}
		for id := e.TileID; id < e.TileID+uint64(e.RunLength); id++ {
			in[id] = true
			z, x, y := pmtiles.TileZXY(id)
			if want := render(int(z), x, y); !bytes.Equal(raw, want) {
				t.Errorf("tile %d/%d/%d: %d bytes in the archive, %d rendered", z, x, y, len(raw), len(want))
			}
		}
	}
	// No tile left out: every tile over the data (and a tile around it).
	lo := tilestest.CoopFeatures()[0].Geometry.Bound()
	for _, f := range append(tilestest.CoopFeatures(), tilestest.PathFeatures()...) {
		lo = lo.Union(f.Geometry.Bound())
	}
	checked := 0
	for z := minZoom; z <= maxZoom; z++ {
		nw := tileOf(z, lo.Min[0], lo.Max[1])
		se := tileOf(z, lo.Max[0], lo.Min[1])
		for x := max(nw.X-1, 0); x <= min(se.X+1, 1<<z-1); x++ {
			for y := max(nw.Y-1, 0); y <= min(se.Y+1, 1<<z-1); y++ {
				id := pmtiles.TileID(uint8(z), uint32(x), uint32(y))
				if empty := len(render(z, uint32(x), uint32(y))) == 0; empty == in[id] {
					t.Errorf("tile %d/%d/%d: rendered empty %v, in the archive %v", z, x, y, empty, in[id])
				}
				checked++
			}
		}
	}
	if len(in) < 10 || checked < 50 {
		t.Errorf("only %d tiles in the archive, %d checked", len(in), checked)
	}
}

// tileOf is the tile of zoom z holding lon, lat.
func tileOf(z int, lon, lat float64) tiles.Tile {
	n := float64(int(1) << z)
	l := lat * math.Pi / 180
	return tiles.Tile{Z: z, X: int((lon + 180) / 360 * n), Y: int((1 - math.Log(math.Tan(l)+1/math.Cos(l))/math.Pi) / 2 * n)}
}

func sourcesByID(t *testing.T, st coopmap.Reader, ids ...string) []coopmap.Source {
	t.Helper()
	var out []coopmap.Source
	for _, id := range ids {
		s, err := st.Source(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestTilesExport runs the export on one GeoPackage fixture, shared by
// its subtests (they only read it).
func TestTilesExport(t *testing.T) {
	db := tilesFixture(t)
	t.Run("archive", func(t *testing.T) { testTilesExportArchive(t, db) })
	t.Run("refuses", func(t *testing.T) { testTilesExportRefuses(t, db) })
	t.Run("interrupted", func(t *testing.T) { testTilesExportInterrupted(t, db) })
	t.Run("progress", func(t *testing.T) { testTilesExportProgress(t, db) })
}

func testTilesExportArchive(t *testing.T, db string) {
	out := filepath.Join(t.TempDir(), "london.pmtiles")
	code, stdout, stderr := runTiles("export", "--db", db, "--collection", "coops", "--collection", "paths", "--minzoom", "2", "--maxzoom", "12", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Not a terminal: no progress bar, one summary line.
	if stderr != "" || strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, "london.pmtiles: ") || !strings.Contains(stdout, " of coops, paths, zooms 2–12, ") {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("archive: %v %v", fi, err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkTileArchive(t, st, out, sourcesByID(t, st, "coops", "paths"), 2, 12)

	// "default" is every collection of co-ops or features, in the store's
	// order; the empty one has no tiles but is still a layer.
	def := filepath.Join(t.TempDir(), "default.pmtiles")
	if code, _, stderr := runTiles("export", "--db", db, "--collection", "default", "--maxzoom", "8", def); code != 0 {
		t.Fatalf("default: exit %d: %s", code, stderr)
	}
	all, err := st.Sources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkTileArchive(t, st, def, all, 0, 8)
}

func TestTilesExportPostGIS(t *testing.T) {
	dsn := postgistest.Schema(t)
	ctx := context.Background()
	st, err := postgis.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tilestest.Load(t, st)
	out := filepath.Join(t.TempDir(), "london.pmtiles")
	code, stdout, stderr := runTiles("export", "--db", dsn, "--collection", "coops", "--collection", "paths", "--maxzoom", "12", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Log(strings.TrimSpace(stdout))
	// Rendered with ST_AsMVT, as serve does on PostGIS.
	checkTileArchive(t, st, out, sourcesByID(t, st, "coops", "paths"), 0, 12)
}

func testTilesExportRefuses(t *testing.T, db string) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.pmtiles")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Usage: coopmap tiles export"},
		{[]string{"frobnicate"}, 2, "Usage: coopmap tiles export"},
		{[]string{"export", "--db", db, out}, 1, "--collection: name at least one"},
		{[]string{"export", "--db", db, "--collection", "nope", out}, 1, `--collection "nope": there is no such collection`},
		{[]string{"export", "--db", db, "--collection", "coops", "--collection", "coops", out}, 1, `--collection "coops": named twice`},
		{[]string{"export", "--db", db, "--collection", "coops", "--maxzoom", "17", out}, 1, "--maxzoom 17: want 0 to 16"},
		{[]string{"export", "--db", db, "--collection", "coops", "--maxzoom", "-1", out}, 1, "--maxzoom -1"},
		{[]string{"export", "--db", db, "--collection", "coops", "--minzoom", "9", "--maxzoom", "8", out}, 1, "--minzoom 9: want 0 to --maxzoom (8)"},
		{[]string{"export", "--db", db, "--collection", "coops", "--max-tiles", "0", out}, 1, "--max-tiles 0"},
		{[]string{"export", "--db", db, "--collection", "coops", "--max-tiles", "10000001", out}, 1, "--max-tiles 10000001"},
		{[]string{"export", "--db", db, "--collection", "coops", "--maxzoom", "x", out}, 2, "invalid value"},
		{[]string{"export", "--db", db, "--collection", "coops", filepath.Join(dir, "x.mbtiles")}, 1, "must end in .pmtiles"},
		{[]string{"export", "--db", db, "--collection", "coops", out, "extra.pmtiles"}, 2, "give the flags, then one OUT.pmtiles"},
		{[]string{"export", "--db", db, "--collection", "coops", "--max-tiles", "50", out}, 1, "more than 50 tiles to render by zoom"},
		{[]string{"export", "--db", db, "--collection", "empty", out}, 1, "nothing to export: empty has no features"},
		{[]string{"export", "--db", db, "--collection", "coops", filepath.Join(dir, "no-such-dir", "x.pmtiles")}, 1, "no-such-dir"},
	} {
		code, _, stderr := runTiles(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.want)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Fatalf("%q left %v", c.args, ents)
		}
	}
}

// cancelling is a store that cancels the export's context once the
// renderer has read n tiles' features.
type cancelling struct {
	*sqlite.Store
	n      atomic.Int32
	cancel context.CancelFunc
}

func (c *cancelling) TileFeatures(ctx context.Context, q coopmap.TileQuery) iter.Seq2[coopmap.Feature, error] {
	if c.n.Add(-1) == 0 {
		c.cancel()
	}
	return c.Store.TileFeatures(ctx, q)
}

func testTilesExportInterrupted(t *testing.T, db string) {
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "london.pmtiles")
	if err := os.WriteFile(out, []byte("the archive from before"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Two reads for the candidates (one per collection), then tiles.
	c := &cancelling{Store: st, cancel: cancel}
	c.n.Store(40)
	ec := exportConfig{Collections: []string{"coops", "paths"}, MaxZoom: 12, MaxTiles: defaultExportMaxTiles, Out: out}
	var stdout, stderr bytes.Buffer
	err = exportTiles(ctx, c, ec, &stdout, &stderr, false)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("export went on after the cancel: %v (%s)", err, stdout.String())
	}
	if b, _ := os.ReadFile(out); string(b) != "the archive from before" {
		t.Errorf("the archive was replaced: %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}

func testTilesExportProgress(t *testing.T, db string) {
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := filepath.Join(t.TempDir(), "coops.pmtiles")
	var stdout, stderr bytes.Buffer
	ec := exportConfig{Collections: []string{"coops"}, MaxZoom: 6, MaxTiles: defaultExportMaxTiles, Out: out}
	if err := exportTiles(context.Background(), st, ec, &stdout, &stderr, true); err != nil {
		t.Fatal(err)
	}
	bar := stderr.String()
	if !strings.HasPrefix(bar, "\r[") || !strings.Contains(bar, " tiles  z") || !strings.HasSuffix(bar, "\r\x1b[K") {
		t.Errorf("progress bar %q", bar)
	}
	if got := tileProgressLine(5, 10, 12, 10e9); got != "[===============>              ]  50%  5/10 tiles  z12  ETA 10s" {
		t.Errorf("tileProgressLine = %q", got)
	}
}
