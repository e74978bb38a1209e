package tiles_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/sqlite"
	"github.com/coopmap/coopmap/tiles"
	"github.com/coopmap/coopmap/tiles/tilestest"
)

// TestMain builds the fixture GeoPackage once; each test opens a copy.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tiles-test")
	if err != nil {
		panic(err)
	}
	fixturePath = filepath.Join(dir, "fixture.gpkg")
	code := func() int {
		s, err := sqlite.Open(context.Background(), fixturePath)
		if err != nil {
			panic(err)
		}
		tilestest.Load(loadTB{}, s)
		if err := s.Close(); err != nil {
			panic(err)
		}
		return m.Run()
	}()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fixturePath is the fixture GeoPackage TestMain made; tests only copy it.
var fixturePath string

// loadTB lets tilestest.Load run outside a test.
type loadTB struct{ testing.TB }

func (loadTB) Helper()                   {}
func (loadTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

// openFixture returns a GeoPackage store holding the tilestest fixture.
func openFixture(t *testing.T) *sqlite.Store {
	t.Helper()
	b, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "tiles.gpkg")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var bothLayers = []coopmap.TileLayer{{Name: "coops", SourceID: "coops"}, {Name: "paths", SourceID: "paths"}}

func render(t *testing.T, r *tiles.Renderer, tile tiles.Tile, layers []coopmap.TileLayer) mvt.Layers {
	t.Helper()
	b, err := r.Render(context.Background(), tile, layers)
	if err != nil {
		t.Fatalf("Render(%v): %v", tile, err)
	}
	if len(b) > r.Options().MaxBytes {
		t.Errorf("tile %v is %d bytes, over the cap", tile, len(b))
	}
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatalf("tile %v does not decode: %v", tile, err)
	}
	for _, l := range ls {
		if l.Version != 2 || l.Extent != 4096 {
			t.Errorf("layer %s: version %d extent %d", l.Name, l.Version, l.Extent)
		}
	}
	return ls
}

// londonTile is the tile holding central London (-0.1, 51.51) at zoom z.
func londonTile(z int) tiles.Tile { return tileAt(z, -0.1, 51.51) }

// tileAt is the tile holding a position.
func tileAt(z int, lon, lat float64) tiles.Tile {
	n := float64(int(1) << z)
	x := int((lon + 180) / 360 * n)
	l := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(l)+1/math.Cos(l))/math.Pi) / 2 * n)
	return tiles.Tile{Z: z, X: x, Y: y}
}

func TestRenderLayersAndProperties(t *testing.T) {
	r := tiles.NewRenderer(openFixture(t), tiles.Options{}, false)
	ls := render(t, r, londonTile(15), bothLayers)
	if len(ls) != 2 || ls[0].Name != "coops" || ls[1].Name != "paths" {
		t.Fatalf("layers %v, want coops then paths", layerNames(ls))
	}
	byID := map[string]coopmap.Feature{}
	for _, f := range tilestest.CoopFeatures() {
		byID[f.ID] = f
	}
	for _, f := range ls[0].Features {
		id, _ := f.Properties["id"].(string)
		want, ok := byID[id]
		if !ok {
			t.Fatalf("coop feature without a known id: %v", f.Properties)
		}
		if tileID(f.ID) != coopmap.TileFeatureID(id) {
			t.Errorf("%s: MVT id %v, want %d", id, f.ID, coopmap.TileFeatureID(id))
		}
		if f.Properties["name"] != want.Name || f.Properties["count"] != nil {
			t.Errorf("%s: properties %v", id, f.Properties)
		}
		for k := range f.Properties {
			if k != "id" && k != "name" && k != "sector" && k != "org_type" {
				t.Errorf("%s: unexpected property %q", id, k)
			}
		}
	}
	if len(ls[0].Features) == 0 {
		t.Error("no co-ops in central London at z15")
	}
}

// TestClustersAgreeAcrossBorders renders every tile of a zoom that has
// co-ops and checks that the clusters count each point exactly once.
func TestClustersAgreeAcrossBorders(t *testing.T) {
	r := tiles.NewRenderer(openFixture(t), tiles.Options{}, false)
	coops := bothLayers[:1]
	for _, z := range []int{5, 9, 11} {
		nw, se := tileAt(z, -0.6, 51.85), tileAt(z, 0.4, 51.15)
		total, clusters := 0, 0
		for x := nw.X; x <= se.X; x++ {
			for y := nw.Y; y <= se.Y; y++ {
				for _, l := range render(t, r, tiles.Tile{Z: z, X: x, Y: y}, coops) {
					for _, f := range l.Features {
						n, ok := f.Properties["count"].(float64)
						if !ok {
							t.Fatalf("z%d: clustered feature without a count: %v", z, f.Properties)
						}
						if n == 1 && f.Properties["id"] == nil || n > 1 && f.Properties["id"] != nil {
							t.Errorf("z%d: count %v with id %v", z, n, f.Properties["id"])
						}
						p := f.Geometry.(orb.Point)
						if p[0] < 0 || p[1] < 0 || p[0] > 4096 || p[1] > 4096 {
							t.Errorf("z%d: cluster at %v lies outside its tile", z, p)
						}
						total += int(n)
						clusters++
					}
				}
			}
		}
		if total != tilestest.NumCoops {
			t.Errorf("z%d: clusters count %d points, want %d", z, total, tilestest.NumCoops)
		}
		if n := (se.X - nw.X + 1) * (se.Y - nw.Y + 1); clusters > 256*n {
			t.Errorf("z%d: %d clusters", z, clusters)
		}
	}
}

func TestShapes(t *testing.T) {
	r := tiles.NewRenderer(openFixture(t), tiles.Options{}, false)
	paths := bothLayers[1:]
	ids := func(z int) map[uint64]bool { // the London tile and its eastern neighbour
		m := map[uint64]bool{}
		for _, tile := range []tiles.Tile{londonTile(z), {Z: z, X: londonTile(z).X + 1, Y: londonTile(z).Y}} {
			for _, l := range render(t, r, tile, paths) {
				for _, f := range l.Features {
					m[tileID(f.ID)] = true
				}
			}
		}
		return m
	}
	tiny := coopmap.TileFeatureID("paths.s00") // 5 m square
	big := coopmap.TileFeatureID("paths.s19")  // 2 km square
	low := ids(8)
	if low[tiny] || !low[big] {
		t.Errorf("z8: tiny square present %v, big square present %v", low[tiny], low[big])
	}
	// At z8 every wandering line (60 vertices) is simplified.
	for _, l := range render(t, r, londonTile(8), paths) {
		for _, f := range l.Features {
			if ls, ok := f.Geometry.(orb.LineString); ok && len(ls) > 45 {
				t.Errorf("z8 line has %d vertices", len(ls))
			}
		}
	}
	// The park keeps its pond as a hole, wound as MVT requires.
	park := false
	for _, l := range render(t, r, tileAt(16, -0.16, 51.506), paths) {
		for _, f := range l.Features {
			if tileID(f.ID) == coopmap.TileFeatureID("paths.park") {
				park = true
				p, ok := f.Geometry.(orb.Polygon)
				if !ok || len(p) != 2 || p[0].Orientation() != orb.CCW || p[1].Orientation() != orb.CW {
					t.Errorf("park: %T %v", f.Geometry, f.Geometry)
				}
			}
		}
	}
	if !park {
		t.Error("the park is missing at z16")
	}
}

func TestSizeCap(t *testing.T) {
	s := openFixture(t)
	r := tiles.NewRenderer(s, tiles.Options{MaxBytes: 3000, MaxRawPoints: 100000}, false)
	for _, z := range []int{6, 12, 14} {
		b, err := r.Render(context.Background(), londonTile(z), bothLayers)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 3000 || len(b) == 0 {
			t.Errorf("z%d: %d bytes with a 3000-byte cap", z, len(b))
		}
	}
	// A dense tile at high zoom clusters rather than exceed MaxRawPoints.
	dense := tiles.NewRenderer(s, tiles.Options{MaxRawPoints: 1}, false)
	for _, l := range render(t, dense, londonTile(14), bothLayers[:1]) {
		for _, f := range l.Features {
			if f.Properties["count"] == nil {
				t.Fatalf("dense z14 tile has an unclustered point: %v", f.Properties)
			}
		}
	}
}

func TestEmptyTile(t *testing.T) {
	r := tiles.NewRenderer(openFixture(t), tiles.Options{}, false)
	b, err := r.Render(context.Background(), tiles.Tile{Z: 10, X: 0, Y: 0}, bothLayers)
	if err != nil || len(b) != 0 {
		t.Errorf("empty tile: %d bytes, %v", len(b), err)
	}
}

// readerOnly hides the store's TileReader, so the renderer takes the
// fallback through Reader.Features.
type readerOnly struct{ coopmap.Reader }

func TestFallbackMatchesTileReader(t *testing.T) {
	s := openFixture(t)
	fast := tiles.NewRenderer(s, tiles.Options{}, false)
	slow := tiles.NewRenderer(readerOnly{s}, tiles.Options{}, false)
	for _, z := range []int{4, 10, 13, 16} {
		tile := londonTile(z)
		a, err := fast.Render(context.Background(), tile, bothLayers)
		if err != nil {
			t.Fatal(err)
		}
		b, err := slow.Render(context.Background(), tile, bothLayers)
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			t.Errorf("z%d: TileReader and Features fallback differ (%d vs %d bytes)", z, len(a), len(b))
		}
	}
}

func TestExtent(t *testing.T) {
	s := openFixture(t)
	for _, r := range []coopmap.Reader{s, readerOnly{s}} {
		b, ok, err := tiles.Extent(context.Background(), r, "paths")
		if err != nil || !ok || b.Min[0] > -0.4 || b.Max[1] < 51.6 || b.Min[1] < 51.2 {
			t.Errorf("%T: Extent = %v, %v, %v", r, b, ok, err)
		}
	}
}

func layerNames(ls mvt.Layers) []string {
	var n []string
	for _, l := range ls {
		n = append(n, l.Name)
	}
	return n
}

// tileID reads a decoded MVT id (orb decodes ids as float64).
func tileID(id any) uint64 {
	f, _ := id.(float64)
	return uint64(f)
}
