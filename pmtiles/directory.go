package pmtiles

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
)

// Entry is one directory entry: a tile (RunLength ≥ 1: the same bytes for
// RunLength consecutive ids from TileID) at Offset in the tile data, or a
// leaf directory (RunLength 0) at Offset in the leaf section whose first
// entry is TileID.
type Entry struct {
	TileID    uint64
	Offset    uint64
	Length    uint32
	RunLength uint32
}

// encodeDirectory serializes entries as the specification asks: their
// count, then column by column the TileID deltas, run lengths, lengths
// and offsets (0 for an entry right after the previous one, else
// offset+1), each a varint.
func encodeDirectory(entries []Entry) []byte {
	b := make([]byte, 0, 1+len(entries)*6)
	b = binary.AppendUvarint(b, uint64(len(entries)))
	var last uint64
	for _, e := range entries {
		b = binary.AppendUvarint(b, e.TileID-last)
		last = e.TileID
	}
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.RunLength))
	}
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.Length))
	}
	for i, e := range entries {
		if i > 0 && e.Offset == entries[i-1].Offset+uint64(entries[i-1].Length) {
			b = binary.AppendUvarint(b, 0)
		} else {
			b = binary.AppendUvarint(b, e.Offset+1)
		}
	}
	return b
}

// compress gzips b, as the header's internal compression says.
func compress(b []byte) []byte {
	var out bytes.Buffer
	w, _ := gzip.NewWriterLevel(&out, gzip.BestCompression) // a valid level never fails
	_, _ = w.Write(b)                                       // writes to a bytes.Buffer do not fail
	_ = w.Close()
	return out.Bytes()
}

// errTooManyEntries: even the largest leaves leave a root over MaxRootLen.
var errTooManyEntries = errors.New("pmtiles: too many tiles for a root directory with one level of leaves")

// firstLeafSize is the entries per leaf directory tried first when the
// root cannot hold every entry: a few KiB compressed, one range request.
const firstLeafSize = 4096

// directories returns the compressed root directory and the leaf
// directories (nil when the root holds every entry), the root no larger
// than maxRoot bytes. Leaves grow until the root, one entry per leaf,
// fits.
func directories(entries []Entry, maxRoot int) (root, leaves []byte, err error) {
	root = compress(encodeDirectory(entries))
	if len(root) <= maxRoot {
		return root, nil, nil
	}
	for size := firstLeafSize; ; size *= 2 {
		var (
			buf  bytes.Buffer
			refs []Entry
		)
		for i := 0; i < len(entries); i += size {
			leaf := compress(encodeDirectory(entries[i:min(i+size, len(entries))]))
			refs = append(refs, Entry{TileID: entries[i].TileID, Offset: uint64(buf.Len()), Length: uint32(len(leaf))})
			buf.Write(leaf)
		}
		root = compress(encodeDirectory(refs))
		if len(root) <= maxRoot {
			return root, buf.Bytes(), nil
		}
		if len(refs) == 1 {
			return nil, nil, errTooManyEntries
		}
	}
}
