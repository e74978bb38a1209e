package pmtiles

import (
	"encoding/binary"
	"math"
)

// HeaderLen is the size of the header at the start of every archive.
const HeaderLen = 127

// MaxRootLen is the largest root directory, compressed, that a writer may
// make: the header and the root together fit in the first 16 KiB, which a
// reader fetches first.
const MaxRootLen = 16384 - HeaderLen

// Compression says how tiles, or directories and metadata, are compressed.
type Compression uint8

// The compressions of the specification.
const (
	CompressionUnknown Compression = 0
	CompressionNone    Compression = 1
	CompressionGzip    Compression = 2
	CompressionBrotli  Compression = 3
	CompressionZstd    Compression = 4
)

// TileType says what the tiles are.
type TileType uint8

// The tile types of the specification.
const (
	TileTypeUnknown TileType = 0
	TileTypeMVT     TileType = 1
	TileTypePNG     TileType = 2
	TileTypeJPEG    TileType = 3
	TileTypeWebP    TileType = 4
	TileTypeAVIF    TileType = 5
)

// Header is the archive's fixed-size header. Offsets are from the start of
// the file; positions are in degrees (stored to 1e-7 degree).
type Header struct {
	RootOffset, RootLength         uint64
	MetadataOffset, MetadataLength uint64
	LeafOffset, LeafLength         uint64
	DataOffset, DataLength         uint64
	// AddressedTiles counts tiles (each tile of a run), TileEntries the
	// directory entries of tiles, TileContents the distinct tile blobs.
	AddressedTiles, TileEntries, TileContents uint64
	// Clustered: tile data is in TileID order.
	Clustered           bool
	InternalCompression Compression
	TileCompression     Compression
	TileType            TileType
	MinZoom, MaxZoom    uint8
	// The bounds of the tiles' content, and where a viewer starts.
	MinLon, MinLat, MaxLon, MaxLat float64
	CenterZoom                     uint8
	CenterLon, CenterLat           float64
}

// magic opens every archive: "PMTiles" and the version, 3.
var magic = [8]byte{'P', 'M', 'T', 'i', 'l', 'e', 's', 3}

// MarshalBinary encodes h as the 127-byte header. It never fails.
func (h Header) MarshalBinary() ([]byte, error) {
	b := make([]byte, HeaderLen)
	copy(b, magic[:])
	le := binary.LittleEndian
	for i, v := range []uint64{
		h.RootOffset, h.RootLength, h.MetadataOffset, h.MetadataLength,
		h.LeafOffset, h.LeafLength, h.DataOffset, h.DataLength,
		h.AddressedTiles, h.TileEntries, h.TileContents,
	} {
		le.PutUint64(b[8+8*i:], v)
	}
	if h.Clustered {
		b[96] = 1
	}
	b[97], b[98], b[99] = byte(h.InternalCompression), byte(h.TileCompression), byte(h.TileType)
	b[100], b[101] = h.MinZoom, h.MaxZoom
	le.PutUint32(b[102:], e7(h.MinLon))
	le.PutUint32(b[106:], e7(h.MinLat))
	le.PutUint32(b[110:], e7(h.MaxLon))
	le.PutUint32(b[114:], e7(h.MaxLat))
	b[118] = h.CenterZoom
	le.PutUint32(b[119:], e7(h.CenterLon))
	le.PutUint32(b[123:], e7(h.CenterLat))
	return b, nil
}

// e7 is a coordinate in the header's form: a signed 32-bit count of 1e-7
// degrees, held within ±180°.
func e7(deg float64) uint32 {
	if math.IsNaN(deg) {
		deg = 0
	}
	deg = max(-180, min(180, deg))
	return uint32(int32(math.Round(deg * 1e7)))
}
