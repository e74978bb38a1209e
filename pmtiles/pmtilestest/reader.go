// Package pmtilestest reads PMTiles v3 archives for tests: a small reader
// written from the specification apart from package pmtiles' writer, so
// that tests check the writer against the format rather than against
// itself. It reads a whole archive from memory and checks every offset.
package pmtilestest

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/coopmap/coopmap/pmtiles"
)

// Archive is a whole archive in memory.
type Archive struct {
	b []byte
	// H is the archive's header.
	H pmtiles.Header
}

// Open parses the header of an archive held in b. The error says what is
// wrong with the header.
func Open(b []byte) (*Archive, error) {
	if len(b) < pmtiles.HeaderLen {
		return nil, errors.New("shorter than a header")
	}
	if string(b[:7]) != "PMTiles" || b[7] != 3 {
		return nil, fmt.Errorf("magic %q version %d", b[:7], b[7])
	}
	le := binary.LittleEndian
	u := func(off int) uint64 { return le.Uint64(b[off:]) }
	deg := func(off int) float64 { return float64(int32(le.Uint32(b[off:]))) / 1e7 }
	h := pmtiles.Header{
		RootOffset: u(8), RootLength: u(16), MetadataOffset: u(24), MetadataLength: u(32),
		LeafOffset: u(40), LeafLength: u(48), DataOffset: u(56), DataLength: u(64),
		AddressedTiles: u(72), TileEntries: u(80), TileContents: u(88),
		Clustered: b[96] == 1, InternalCompression: pmtiles.Compression(b[97]), TileCompression: pmtiles.Compression(b[98]),
		TileType: pmtiles.TileType(b[99]), MinZoom: b[100], MaxZoom: b[101],
		MinLon: deg(102), MinLat: deg(106), MaxLon: deg(110), MaxLat: deg(114),
		CenterZoom: b[118], CenterLon: deg(119), CenterLat: deg(123),
	}
	return &Archive{b: b, H: h}, nil
}

// Section returns length bytes at offset, checked against the file.
func (a *Archive) Section(offset, length uint64) ([]byte, error) {
	if offset > uint64(len(a.b)) || length > uint64(len(a.b))-offset {
		return nil, fmt.Errorf("section %d+%d is outside the %d-byte file", offset, length, len(a.b))
	}
	return a.b[offset : offset+length], nil
}

// Gunzip undoes the internal compression.
func Gunzip(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// DecodeDirectory parses an uncompressed directory.
func DecodeDirectory(b []byte) ([]pmtiles.Entry, error) {
	r := bytes.NewReader(b)
	next := func() (uint64, error) { return binary.ReadUvarint(r) }
	n, err := next()
	if err != nil {
		return nil, err
	}
	if n == 0 || n > uint64(len(b)) {
		return nil, fmt.Errorf("%d entries in %d bytes", n, len(b))
	}
	var cols [4][]uint64 // tile id deltas, run lengths, lengths, offsets
	for c := range cols {
		cols[c] = make([]uint64, n)
		for i := range cols[c] {
			if cols[c][i], err = next(); err != nil {
				return nil, err
			}
		}
	}
	es := make([]pmtiles.Entry, n)
	var id uint64
	for i := range es {
		if cols[1][i] > math.MaxUint32 || cols[2][i] > math.MaxUint32 {
			return nil, fmt.Errorf("entry %d: run length %d, length %d", i, cols[1][i], cols[2][i])
		}
		id += cols[0][i]
		es[i] = pmtiles.Entry{TileID: id, RunLength: uint32(cols[1][i]), Length: uint32(cols[2][i])}
		switch v := cols[3][i]; {
		case v == 0 && i == 0:
			return nil, errors.New("the first entry's offset is encoded as 0")
		case v == 0:
			es[i].Offset = es[i-1].Offset + uint64(es[i-1].Length)
		default:
			es[i].Offset = v - 1
		}
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%d bytes after the directory", r.Len())
	}
	return es, nil
}

// Directory reads and decodes a compressed directory.
func (a *Archive) Directory(offset, length uint64) ([]pmtiles.Entry, error) {
	b, err := a.Section(offset, length)
	if err != nil {
		return nil, err
	}
	raw, err := Gunzip(b)
	if err != nil {
		return nil, err
	}
	return DecodeDirectory(raw)
}

// Entries returns every tile entry, leaves expanded.
func (a *Archive) Entries() ([]pmtiles.Entry, error) {
	root, err := a.Directory(a.H.RootOffset, a.H.RootLength)
	if err != nil {
		return nil, err
	}
	var out []pmtiles.Entry
	for _, e := range root {
		if e.RunLength > 0 {
			out = append(out, e)
			continue
		}
		leaf, err := a.Directory(a.H.LeafOffset+e.Offset, uint64(e.Length))
		if err != nil {
			return nil, err
		}
		if leaf[0].TileID != e.TileID {
			return nil, fmt.Errorf("leaf at %d starts at tile %d, its root entry says %d", e.Offset, leaf[0].TileID, e.TileID)
		}
		for _, l := range leaf {
			if l.RunLength == 0 {
				return nil, errors.New("a second level of leaves")
			}
		}
		out = append(out, leaf...)
	}
	return out, nil
}

// Tile returns the bytes of tile z/x/y, or nil when the archive has none:
// a binary search over the root, then the leaf, as a map client does.
func (a *Archive) Tile(z uint8, x, y uint32) ([]byte, error) {
	id := pmtiles.TileID(z, x, y)
	dir, err := a.Directory(a.H.RootOffset, a.H.RootLength)
	if err != nil {
		return nil, err
	}
	for range 2 {
		e, ok := find(dir, id)
		if !ok {
			return nil, nil
		}
		if e.RunLength > 0 {
			return a.Section(a.H.DataOffset+e.Offset, uint64(e.Length))
		}
		if dir, err = a.Directory(a.H.LeafOffset+e.Offset, uint64(e.Length)); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("leaves nested deeper than one level")
}

// find returns the entry for id: the last entry at or before it, when it
// covers id (a leaf always covers what follows it).
func find(dir []pmtiles.Entry, id uint64) (pmtiles.Entry, bool) {
	lo, hi := 0, len(dir) // the first entry after id is at lo
	for lo < hi {
		m := (lo + hi) / 2
		if dir[m].TileID <= id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return pmtiles.Entry{}, false
	}
	e := dir[lo-1]
	if e.RunLength == 0 || id < e.TileID+uint64(e.RunLength) {
		return e, true
	}
	return pmtiles.Entry{}, false
}

// Metadata returns the archive's JSON metadata, uncompressed.
func (a *Archive) Metadata() ([]byte, error) {
	b, err := a.Section(a.H.MetadataOffset, a.H.MetadataLength)
	if err != nil {
		return nil, err
	}
	return Gunzip(b)
}
