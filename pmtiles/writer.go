package pmtiles

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
)

// MaxTileLen is the largest tile a directory entry can describe.
const MaxTileLen = math.MaxUint32

// Writer builds an archive. Tiles are added in ascending TileID order; their
// bytes go to the spool as they come, and Finish writes the archive. A
// Writer is not safe for concurrent use.
type Writer struct {
	spool   io.ReadWriteSeeker
	entries []Entry
	blobs   map[[sha256.Size]byte]blob
	last    [sha256.Size]byte // content of the last entry
	size    uint64            // bytes spooled
	tiles   uint64            // tiles addressed
	done    bool
}

// blob is one distinct tile content in the spool.
type blob struct {
	offset uint64
	length uint32
}

// NewWriter returns a writer that spools tile bytes to spool, which must
// be empty (a temporary file: the tile data is written there once and
// copied into the archive by Finish).
func NewWriter(spool io.ReadWriteSeeker) *Writer {
	return &Writer{spool: spool, blobs: map[[sha256.Size]byte]blob{}}
}

// ErrOrder is returned by Add for a tile whose id is not greater than the
// previous tile's.
var ErrOrder = errors.New("pmtiles: tiles must be added in ascending TileID order")

// Add adds tile z/x/y with its bytes, already compressed as the header's
// TileCompression will say. Tiles come in ascending TileID order
// (ErrOrder otherwise); an empty tile is left out of an archive, so data
// must not be empty. A tile equal to an earlier one is stored once. Other
// errors are a bad address or size, or the spool's.
func (w *Writer) Add(z uint8, x, y uint32, data []byte) error {
	if w.done {
		return errors.New("pmtiles: Add after Finish")
	}
	if z > MaxZoom || uint64(x) >= 1<<z || uint64(y) >= 1<<z {
		return fmt.Errorf("pmtiles: tile %d/%d/%d is outside the zoom's grid (zoom at most %d)", z, x, y, MaxZoom)
	}
	if len(data) == 0 || uint64(len(data)) > MaxTileLen {
		return fmt.Errorf("pmtiles: tile %d/%d/%d is %d bytes: a tile has 1 to %d", z, x, y, len(data), uint64(MaxTileLen))
	}
	id := TileID(z, x, y)
	n := len(w.entries)
	if n > 0 {
		prev := w.entries[n-1]
		if id < prev.TileID+uint64(prev.RunLength) {
			return fmt.Errorf("%w: %d/%d/%d after tile id %d", ErrOrder, z, x, y, prev.TileID+uint64(prev.RunLength)-1)
		}
	}
	sum := sha256.Sum256(data)
	w.tiles++
	if n > 0 && sum == w.last {
		prev := &w.entries[n-1]
		if id == prev.TileID+uint64(prev.RunLength) && prev.RunLength < math.MaxUint32 {
			prev.RunLength++
			return nil
		}
	}
	b, ok := w.blobs[sum]
	if !ok {
		if _, err := w.spool.Write(data); err != nil {
			w.tiles--
			return fmt.Errorf("pmtiles: spooling tile %d/%d/%d: %w", z, x, y, err)
		}
		b = blob{offset: w.size, length: uint32(len(data))}
		w.blobs[sum] = b
		w.size += uint64(len(data))
	}
	w.entries = append(w.entries, Entry{TileID: id, Offset: b.offset, Length: b.length, RunLength: 1})
	w.last = sum
	return nil
}

// Tiles returns how many tiles were added, and how many distinct ones.
func (w *Writer) Tiles() (added, distinct int) { return int(w.tiles), len(w.blobs) }

// ErrEmpty is returned by Finish when no tile was added: a directory may
// not be empty.
var ErrEmpty = errors.New("pmtiles: no tiles to write")

// Finish writes the archive to out and returns its header. h gives the
// tile type and compression, zooms, bounds and center; Finish sets the
// rest (the sections' offsets and lengths, the counts, clustered, gzip as
// the internal compression). metadata is the JSON object of the metadata
// section (a TileJSON-like object with vector_layers for MVT tiles), and
// is stored gzip-compressed. The error is ErrEmpty without tiles, else
// out's or the spool's.
func (w *Writer) Finish(out io.Writer, h Header, metadata []byte) (Header, error) {
	if len(w.entries) == 0 {
		return Header{}, ErrEmpty
	}
	w.done = true
	root, leaves, err := directories(w.entries, MaxRootLen)
	if err != nil {
		return Header{}, err
	}
	meta := compress(metadata)
	h.RootOffset, h.RootLength = HeaderLen, uint64(len(root))
	h.MetadataOffset, h.MetadataLength = h.RootOffset+h.RootLength, uint64(len(meta))
	h.LeafOffset, h.LeafLength = h.MetadataOffset+h.MetadataLength, uint64(len(leaves))
	h.DataOffset, h.DataLength = h.LeafOffset+h.LeafLength, w.size
	h.AddressedTiles, h.TileEntries, h.TileContents = w.tiles, uint64(len(w.entries)), uint64(len(w.blobs))
	h.Clustered = true
	h.InternalCompression = CompressionGzip
	hb, _ := h.MarshalBinary() // never fails
	if _, err := w.spool.Seek(0, io.SeekStart); err != nil {
		return Header{}, fmt.Errorf("pmtiles: rewinding the spool: %w", err)
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	for _, part := range [][]byte{hb, root, meta, leaves} {
		if _, err := bw.Write(part); err != nil {
			return Header{}, err
		}
	}
	n, err := io.CopyN(bw, w.spool, int64(w.size))
	if err != nil {
		return Header{}, fmt.Errorf("pmtiles: copying tile data (%d of %d bytes): %w", n, w.size, err)
	}
	if err := bw.Flush(); err != nil {
		return Header{}, err
	}
	return h, nil
}
