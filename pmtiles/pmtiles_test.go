package pmtiles_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/coopmap/coopmap/pmtiles"
	"github.com/coopmap/coopmap/pmtiles/pmtilestest"
)

func TestTileIDSpecValues(t *testing.T) {
	// The table of section 4.1 of the specification.
	for _, c := range []struct {
		z    uint8
		x, y uint32
		id   uint64
	}{
		{0, 0, 0, 0},
		{1, 0, 0, 1},
		{1, 0, 1, 2},
		{1, 1, 1, 3},
		{1, 1, 0, 4},
		{2, 0, 0, 5},
		{12, 3423, 1763, 19078479},
	} {
		if got := pmtiles.TileID(c.z, c.x, c.y); got != c.id {
			t.Errorf("TileID(%d, %d, %d) = %d, want %d", c.z, c.x, c.y, got, c.id)
		}
		if z, x, y := pmtiles.TileZXY(c.id); z != c.z || x != c.x || y != c.y {
			t.Errorf("TileZXY(%d) = %d/%d/%d, want %d/%d/%d", c.id, z, x, y, c.z, c.x, c.y)
		}
	}
}

func TestTileIDCoversEachZoomOnce(t *testing.T) {
	var base uint64
	for z := uint8(0); z <= 7; z++ {
		n := uint32(1) << z
		seen := make([]bool, int(n)*int(n))
		for x := range n {
			for y := range n {
				id := pmtiles.TileID(z, x, y)
				if id < base || id-base >= uint64(len(seen)) {
					t.Fatalf("TileID(%d, %d, %d) = %d, outside zoom %d's ids [%d, %d)", z, x, y, id, z, base, base+uint64(len(seen)))
				}
				if seen[id-base] {
					t.Fatalf("TileID(%d, %d, %d) = %d twice", z, x, y, id)
				}
				seen[id-base] = true
				if gz, gx, gy := pmtiles.TileZXY(id); gz != z || gx != x || gy != y {
					t.Fatalf("TileZXY(TileID(%d, %d, %d)) = %d/%d/%d", z, x, y, gz, gx, gy)
				}
			}
		}
		base += uint64(len(seen))
	}
}

func TestTileIDIsAHilbertCurve(t *testing.T) {
	// Consecutive ids of one zoom are neighbouring tiles.
	for _, z := range []uint8{3, 10, 16, 24, pmtiles.MaxZoom} {
		first := pmtiles.TileID(z, 0, 0)
		r := rand.New(rand.NewPCG(uint64(z), 1))
		n := uint64(1) << (2 * uint64(z))
		for range 1000 {
			id := first + r.Uint64N(n-1)
			_, x1, y1 := pmtiles.TileZXY(id)
			_, x2, y2 := pmtiles.TileZXY(id + 1)
			if d := absDiff(x1, x2) + absDiff(y1, y2); d != 1 {
				t.Fatalf("z%d: ids %d and %d are %d/%d and %d/%d, not neighbours", z, id, id+1, x1, y1, x2, y2)
			}
			if got := pmtiles.TileID(z, x1, y1); got != id {
				t.Fatalf("TileID(TileZXY(%d)) = %d", id, got)
			}
		}
	}
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestDirectoryRoundTrip(t *testing.T) {
	for name, es := range map[string][]pmtiles.Entry{
		"one":        {{TileID: 0, Offset: 0, Length: 1, RunLength: 1}},
		"contiguous": {{0, 0, 10, 1}, {1, 10, 20, 1}, {2, 30, 5, 3}, {9, 35, 7, 1}},
		"dedup back": {{5, 0, 10, 1}, {6, 10, 20, 1}, {7, 0, 10, 2}, {40, 30, 1, 1}},
		"big values": {{1 << 40, 1 << 50, 1<<32 - 1, 1<<32 - 1}, {1<<62 + 7, 0, 300, 1}},
		"leaves":     {{0, 0, 4000, 0}, {70000, 4000, 3999, 0}},
	} {
		raw := pmtiles.EncodeDirectory(es)
		got, err := pmtilestest.DecodeDirectory(raw)
		if err != nil {
			t.Fatalf("%s: decoding: %v", name, err)
		}
		if !slices.Equal(got, es) {
			t.Errorf("%s: round trip gave %v, want %v", name, got, es)
		}
		un, err := pmtilestest.Gunzip(pmtiles.Compress(raw))
		if err != nil || !bytes.Equal(un, raw) {
			t.Errorf("%s: gzip round trip: %v", name, err)
		}
	}
	// The encoding itself, from the specification: count, ids as deltas,
	// run lengths, lengths, offsets as 0 (contiguous) or offset+1.
	got := pmtiles.EncodeDirectory([]pmtiles.Entry{{5, 0, 42, 1}, {42, 42, 3, 2}, {69, 0, 42, 1}})
	want := []byte{3, 5, 37, 27, 1, 2, 1, 42, 3, 42, 1, 0, 1}
	if !bytes.Equal(got, want) {
		t.Errorf("encodeDirectory = %v, want %v", got, want)
	}
}

// tileBytes is a tile of z/x/y with some random-length body from r.
func tileBytes(r *rand.Rand, z uint8, x, y uint32) []byte {
	b := fmt.Appendf(nil, "tile %d/%d/%d ", z, x, y)
	for range r.IntN(64) {
		b = append(b, byte(r.Uint32()))
	}
	return b
}

// build writes an archive of the given tiles (already in TileID order) and
// returns it with the header Finish returned.
func build(t *testing.T, tiles []pmtiles.Entry, data func(i int) []byte, meta string) ([]byte, pmtiles.Header) {
	t.Helper()
	spool, err := os.CreateTemp(t.TempDir(), "spool")
	if err != nil {
		t.Fatal(err)
	}
	defer spool.Close()
	w := pmtiles.NewWriter(spool)
	for i, e := range tiles {
		z, x, y := pmtiles.TileZXY(e.TileID)
		if err := w.Add(z, x, y, data(i)); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	h, err := w.Finish(&out, pmtiles.Header{
		TileType: pmtiles.TileTypeMVT, TileCompression: pmtiles.CompressionGzip, MinZoom: 0, MaxZoom: 14,
		MinLon: -8.65, MinLat: 49.86, MaxLon: 1.77, MaxLat: 60.86, CenterZoom: 5, CenterLon: -2.5, CenterLat: 54.3,
	}, []byte(meta))
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), h
}

// checkArchive reads b back and checks its header, layout and clustering,
// and that every tile in want has its bytes.
func checkArchive(t *testing.T, b []byte, want map[uint64][]byte, wantHeader pmtiles.Header) *pmtilestest.Archive {
	t.Helper()
	a, err := pmtilestest.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	if a.H != wantHeader {
		t.Errorf("header read back %+v\nFinish returned %+v", a.H, wantHeader)
	}
	h := a.H
	if !h.Clustered || h.InternalCompression != pmtiles.CompressionGzip || h.TileCompression != pmtiles.CompressionGzip || h.TileType != pmtiles.TileTypeMVT {
		t.Errorf("header flags: %+v", h)
	}
	if h.RootOffset != pmtiles.HeaderLen || h.RootOffset+h.RootLength > 16384 {
		t.Errorf("root directory at %d+%d, not within the first 16 KiB", h.RootOffset, h.RootLength)
	}
	if h.MetadataOffset != h.RootOffset+h.RootLength || h.LeafOffset != h.MetadataOffset+h.MetadataLength ||
		h.DataOffset != h.LeafOffset+h.LeafLength || h.DataOffset+h.DataLength != uint64(len(b)) {
		t.Errorf("sections are not header, root, metadata, leaves, data back to back: %+v (file %d bytes)", h, len(b))
	}
	es, err := a.Entries()
	if err != nil {
		t.Fatal(err)
	}
	var addressed uint64
	offsets := map[uint64]bool{}
	var next uint64
	for i, e := range es {
		if i > 0 && e.TileID < es[i-1].TileID+uint64(es[i-1].RunLength) {
			t.Fatalf("entry %d (tile %d) overlaps the one before", i, e.TileID)
		}
		if e.Length == 0 || e.RunLength == 0 {
			t.Fatalf("entry %d: %+v", i, e)
		}
		// Clustered: each blob follows the last new one, or repeats an earlier one.
		switch {
		case e.Offset == next:
			next += uint64(e.Length)
		case e.Offset > next || !offsets[e.Offset]:
			t.Fatalf("entry %d at offset %d: not clustered (next new blob at %d)", i, e.Offset, next)
		}
		offsets[e.Offset] = true
		addressed += uint64(e.RunLength)
	}
	if next != h.DataLength {
		t.Errorf("blobs end at %d, data section is %d bytes", next, h.DataLength)
	}
	if h.AddressedTiles != addressed || h.TileEntries != uint64(len(es)) || h.TileContents != uint64(len(offsets)) {
		t.Errorf("counts in header %d/%d/%d, directories have %d/%d/%d", h.AddressedTiles, h.TileEntries, h.TileContents, addressed, len(es), len(offsets))
	}
	if addressed != uint64(len(want)) {
		t.Errorf("%d tiles addressed, want %d", addressed, len(want))
	}
	// Every tile through the expanded directories, and some of them
	// (every one of a small archive) as a map client finds them.
	for _, e := range es {
		data, err := a.Section(h.DataOffset+e.Offset, uint64(e.Length))
		if err != nil {
			t.Fatal(err)
		}
		for id := e.TileID; id < e.TileID+uint64(e.RunLength); id++ {
			if !bytes.Equal(data, want[id]) {
				z, x, y := pmtiles.TileZXY(id)
				t.Fatalf("tile %d/%d/%d: read %q, want %q", z, x, y, data, want[id])
			}
		}
	}
	step := max(1, len(es)/300)
	for i := 0; i < len(es); i += step {
		z, x, y := pmtiles.TileZXY(es[i].TileID)
		got, err := a.Tile(z, x, y)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want[es[i].TileID]) {
			t.Fatalf("tile %d/%d/%d found through the directories: %q, want %q", z, x, y, got, want[es[i].TileID])
		}
	}
	return a
}

// randomTiles makes an entry per id (sorted) with random content
// (tileBytes), returning the entries, the contents in their order and the
// contents by id.
func randomTiles(r *rand.Rand, ids []uint64) ([]pmtiles.Entry, [][]byte, map[uint64][]byte) {
	tiles := make([]pmtiles.Entry, len(ids))
	datas := make([][]byte, len(ids))
	want := make(map[uint64][]byte, len(ids))
	for i, id := range ids {
		tiles[i].TileID = id
		z, x, y := pmtiles.TileZXY(id)
		datas[i] = tileBytes(r, z, x, y)
		want[id] = datas[i]
	}
	return tiles, datas, want
}

func TestWriterRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var ids []uint64
	for z := uint8(0); z <= 6; z++ {
		n := uint32(1) << z
		for range 20 {
			ids = append(ids, pmtiles.TileID(z, r.Uint32N(n), r.Uint32N(n)))
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	tiles, datas, want := randomTiles(r, ids)
	meta := `{"name":"test","attribution":"© someone","vector_layers":[{"id":"coops","fields":{"name":"String"}}]}`
	b, h := build(t, tiles, func(i int) []byte { return datas[i] }, meta)
	a := checkArchive(t, b, want, h)
	if h.LeafLength != 0 {
		t.Errorf("%d tiles made leaf directories", len(ids))
	}
	if h.MinZoom != 0 || h.MaxZoom != 14 || h.CenterZoom != 5 || h.MinLon != -8.65 || h.MaxLat != 60.86 || h.CenterLat != 54.3 {
		t.Errorf("header zooms, bounds or center lost: %+v", h)
	}
	mb, _ := a.Section(h.MetadataOffset, h.MetadataLength)
	m, err := pmtilestest.Gunzip(mb)
	if err != nil || string(m) != meta {
		t.Errorf("metadata read back %q (%v), want %q", m, err, meta)
	}
	var v map[string]any
	if err := json.Unmarshal(m, &v); err != nil {
		t.Error(err)
	}
	// A tile that is not there.
	if got, err := a.Tile(14, 1, 1); got != nil || err != nil {
		t.Errorf("absent tile: %q, %v", got, err)
	}
}

func TestWriterDeduplicates(t *testing.T) {
	sea := []byte("the same sea tile")
	land := []byte("a land tile")
	// 5, 6, 7 the same (one run), 8 different, 9 the first content again
	// (a reference back), 11 the same again after a gap (a new entry).
	ids := []uint64{5, 6, 7, 8, 9, 11}
	datas := [][]byte{sea, sea, sea, land, sea, sea}
	tiles := make([]pmtiles.Entry, len(ids))
	want := map[uint64][]byte{}
	for i, id := range ids {
		tiles[i].TileID = id
		want[id] = datas[i]
	}
	b, h := build(t, tiles, func(i int) []byte { return datas[i] }, `{}`)
	a := checkArchive(t, b, want, h)
	if h.AddressedTiles != 6 || h.TileEntries != 4 || h.TileContents != 2 || h.DataLength != uint64(len(sea)+len(land)) {
		t.Errorf("addressed %d, entries %d, contents %d, data %d bytes; want 6, 4, 2, %d", h.AddressedTiles, h.TileEntries, h.TileContents, h.DataLength, len(sea)+len(land))
	}
	es, _ := a.Entries()
	want4 := []pmtiles.Entry{{5, 0, uint32(len(sea)), 3}, {8, uint64(len(sea)), uint32(len(land)), 1}, {9, 0, uint32(len(sea)), 1}, {11, 0, uint32(len(sea)), 1}}
	if !slices.Equal(es, want4) {
		t.Errorf("entries %v, want %v", es, want4)
	}
}

func TestWriterLeafDirectories(t *testing.T) {
	// 20,000 z12 tiles in a sparse random pattern with random sizes: far
	// more than a 16 KiB root holds, so the root points to leaves.
	r := rand.New(rand.NewPCG(3, 4))
	seen := map[uint64]bool{}
	for len(seen) < 20000 {
		seen[pmtiles.TileID(12, r.Uint32N(4096), r.Uint32N(4096))] = true
	}
	ids := slices.Sorted(func(yield func(uint64) bool) {
		for id := range seen {
			if !yield(id) {
				return
			}
		}
	})
	tiles, datas, want := randomTiles(r, ids)
	b, h := build(t, tiles, func(i int) []byte { return datas[i] }, `{"name":"many"}`)
	if h.LeafLength == 0 {
		t.Fatalf("no leaf directories for %d tiles (root %d bytes)", len(ids), h.RootLength)
	}
	if h.RootLength > pmtiles.MaxRootLen {
		t.Fatalf("root directory %d bytes, over %d", h.RootLength, pmtiles.MaxRootLen)
	}
	a := checkArchive(t, b, want, h)
	root, err := a.Directory(h.RootOffset, h.RootLength)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range root {
		if e.RunLength != 0 {
			t.Fatalf("root mixes tiles and leaves: %+v", e)
		}
	}
	t.Logf("%d tiles: root %d bytes with %d leaves, %d bytes of leaves", len(ids), h.RootLength, len(root), h.LeafLength)
}

func TestDirectoriesGrowLeavesUntilTheRootFits(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	es := make([]pmtiles.Entry, 20000)
	var id, off uint64
	for i := range es {
		id += 1 + r.Uint64N(1000)
		l := 1 + r.Uint32N(5000)
		es[i] = pmtiles.Entry{TileID: id, Offset: off, Length: l, RunLength: 1}
		off += uint64(l)
	}
	for _, maxRoot := range []int{pmtiles.MaxRootLen, 100} {
		root, leaves, err := pmtiles.Directories(es, maxRoot)
		if err != nil {
			t.Fatalf("max root %d: %v", maxRoot, err)
		}
		if len(root) > maxRoot || len(leaves) == 0 {
			t.Fatalf("max root %d: root %d bytes, leaves %d bytes", maxRoot, len(root), len(leaves))
		}
		raw, _ := pmtilestest.Gunzip(root)
		refs, err := pmtilestest.DecodeDirectory(raw)
		if err != nil {
			t.Fatal(err)
		}
		var all []pmtiles.Entry
		for _, ref := range refs {
			lraw, err := pmtilestest.Gunzip(leaves[ref.Offset : ref.Offset+uint64(ref.Length)])
			if err != nil {
				t.Fatal(err)
			}
			leaf, err := pmtilestest.DecodeDirectory(lraw)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, leaf...)
		}
		if !slices.Equal(all, es) {
			t.Fatalf("max root %d: leaves do not hold the entries", maxRoot)
		}
	}
	if _, _, err := pmtiles.Directories(es, 10); !errors.Is(err, pmtiles.ErrTooManyEntries) {
		t.Errorf("a 10-byte root: %v", err)
	}
}

func TestWriterErrors(t *testing.T) {
	spool, err := os.Create(filepath.Join(t.TempDir(), "spool"))
	if err != nil {
		t.Fatal(err)
	}
	defer spool.Close()
	w := pmtiles.NewWriter(spool)
	if _, err := w.Finish(&bytes.Buffer{}, pmtiles.Header{}, []byte(`{}`)); !errors.Is(err, pmtiles.ErrEmpty) {
		t.Errorf("Finish without tiles: %v", err)
	}
	if err := w.Add(3, 2, 2, []byte("x")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		z    uint8
		x, y uint32
		data []byte
	}{
		{3, 2, 2, []byte("again")},      // the same id
		{2, 0, 0, []byte("lower zoom")}, // a lower id
		{3, 8, 0, []byte("x")},          // x outside zoom 3
		{3, 0, 8, []byte("x")},
		{32, 0, 0, []byte("x")},
		{4, 0, 0, nil}, // empty
	} {
		if err := w.Add(c.z, c.x, c.y, c.data); err == nil {
			t.Errorf("Add(%d, %d, %d, %q) accepted", c.z, c.x, c.y, c.data)
		}
	}
	if err := w.Add(2, 0, 0, []byte("x")); !errors.Is(err, pmtiles.ErrOrder) {
		t.Errorf("out of order: %v", err)
	}
	if added, distinct := w.Tiles(); added != 1 || distinct != 1 {
		t.Errorf("Tiles() = %d, %d after one good tile", added, distinct)
	}
}

func TestHeaderLayout(t *testing.T) {
	h := pmtiles.Header{
		RootOffset: 127, RootLength: 2, MetadataOffset: 3, MetadataLength: 4, LeafOffset: 5, LeafLength: 6,
		DataOffset: 7, DataLength: 8, AddressedTiles: 9, TileEntries: 10, TileContents: 11, Clustered: true,
		InternalCompression: pmtiles.CompressionGzip, TileCompression: pmtiles.CompressionGzip, TileType: pmtiles.TileTypeMVT,
		MinZoom: 0, MaxZoom: 14, MinLon: -180, MinLat: -85.0511287, MaxLon: 180, MaxLat: 85.0511287,
		CenterZoom: 3, CenterLon: -0.1234567, CenterLat: 51.5,
	}
	b, _ := h.MarshalBinary()
	if len(b) != pmtiles.HeaderLen || string(b[:8]) != "PMTiles\x03" || b[96] != 1 || b[97] != 2 || b[98] != 2 || b[99] != 1 || b[101] != 14 || b[118] != 3 {
		t.Fatalf("header bytes % x", b)
	}
	a, err := pmtilestest.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	if a.H != h {
		t.Errorf("read back %+v, want %+v", a.H, h)
	}
}
