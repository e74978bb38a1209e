package tiles_test

import (
	"math"
	"testing"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/tiles"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		z, x, y string
		field   string // "" when valid
	}{
		{"0", "0", "0", ""},
		{"16", "32767", "21000", ""},
		{"14", "16383", "16383", ""},
		{"-1", "0", "0", "z"},
		{"17", "0", "0", "z"},
		{"1.5", "0", "0", "z"},
		{"abc", "0", "0", "z"},
		{"", "0", "0", "z"},
		{"+1", "0", "0", "z"},
		{" 1", "0", "0", "z"},
		{"0x1", "0", "0", "z"},
		{"1e3", "0", "0", "z"},
		{"99999999999999999999", "0", "0", "z"},
		{"2", "4", "0", "x"},
		{"2", "-1", "0", "x"},
		{"2", "0", "4", "y"},
		{"3", "0", "999999999", "y"},
		{"3", "0", "9999999999", "y"},
		{"3", "٣", "0", "x"}, // not an ASCII digit
	} {
		tile, err := tiles.Parse(c.z, c.x, c.y, 16)
		if c.field == "" {
			if err != nil {
				t.Errorf("Parse(%q, %q, %q): %v", c.z, c.x, c.y, err)
			}
			continue
		}
		if coopmap.ErrorCode(err) != coopmap.CodeInvalid || coopmap.ErrorField(err) != c.field {
			t.Errorf("Parse(%q, %q, %q) = %v, %v; want invalid %s", c.z, c.x, c.y, tile, err, c.field)
		}
	}
	if _, err := tiles.NewTile(25, 0, 0, 99); coopmap.ErrorField(err) != "z" {
		t.Errorf("NewTile beyond ZoomLimit: %v", err)
	}
}

func TestBounds(t *testing.T) {
	w := tiles.Tile{}.Bounds()
	if math.Abs(w.Min[0]+20037508.342789244) > 1e-6 || math.Abs(w.Max[1]-20037508.342789244) > 1e-6 {
		t.Errorf("world bounds %v", w)
	}
	b := tiles.Tile{Z: 1, X: 1, Y: 0}.LonLatBox(0)
	if b.MinLon != 0 || b.MaxLon != 180 || math.Abs(b.MaxLat-85.0511287798) > 1e-6 || math.Abs(b.MinLat) > 1e-9 {
		t.Errorf("z1 tile 1/1/0 lon/lat box %+v", b)
	}
	// The buffer grows the box but stays in the Mercator world.
	g := tiles.Tile{Z: 1, X: 1, Y: 0}.LonLatBox(0.1)
	if g.MinLon >= 0 || g.MaxLon != 180 || g.MinLat >= 0 {
		t.Errorf("buffered box %+v", g)
	}
}

func TestCache(t *testing.T) {
	tile := func(n int) *tiles.Encoded { return tiles.NewEncoded(make([]byte, n)) }
	c := tiles.NewCache(10_000)
	k := func(v int64, x int) string { return tiles.Key("coops", []int64{v}, tiles.Tile{Z: 5, X: x}) }
	c.Add(k(1, 0), tile(2000))
	c.Add(k(1, 1), tile(2000))
	if _, ok := c.Get(k(1, 0)); !ok { // now most recently used
		t.Fatal("miss right after Add")
	}
	c.Add(k(1, 2), tile(2000)) // over budget: evicts x=1, the least recently used
	if _, ok := c.Get(k(1, 1)); ok {
		t.Error("least recently used tile survived")
	}
	if _, ok := c.Get(k(1, 0)); !ok {
		t.Error("recently used tile evicted")
	}
	if _, ok := c.Get(k(2, 0)); ok {
		t.Error("a new source version hit an old tile")
	}
	if n, b := c.Stats(); n != 2 || b > 10_000 {
		t.Errorf("Stats = %d tiles, %d bytes", n, b)
	}
	c.Add(k(1, 3), tile(20_000)) // larger than the budget: not kept, nothing evicted
	if n, _ := c.Stats(); n != 2 {
		t.Errorf("after an oversized Add: %d tiles", n)
	}
	off := tiles.NewCache(0)
	off.Add(k(1, 0), tile(10))
	if _, ok := off.Get(k(1, 0)); ok {
		t.Error("disabled cache hit")
	}
	if tiles.Key("default", []int64{1, 2}, tiles.Tile{Z: 1}) == tiles.Key("default", []int64{12}, tiles.Tile{Z: 1}) {
		t.Error("keys of different versions collide")
	}
}

func TestEncodedGzip(t *testing.T) {
	e := tiles.NewEncoded([]byte("some tile bytes, some tile bytes"))
	if e.ETag == e.GzipETag() || e.ETag[0] != '"' {
		t.Errorf("ETags %s %s", e.ETag, e.GzipETag())
	}
	gz := e.Gzip()
	if len(gz) < 2 || gz[0] != 0x1f || gz[1] != 0x8b {
		t.Errorf("Gzip() is not gzip: % x", gz[:2])
	}
}
