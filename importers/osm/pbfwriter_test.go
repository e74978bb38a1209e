package osm_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"math"
)

// A minimal OSM PBF writer for tests: enough to turn small fixtures into
// PBF, dense or not, raw or zlib, and to build broken files by hand.

type tag struct{ k, v string }

type node struct {
	id       int64
	lat, lon float64
	tags     []tag
	deleted  bool
}

type way struct {
	id   int64
	refs []int64
	tags []tag
}

func pbVarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func pbKey(b []byte, field, wire int) []byte { return pbVarint(b, uint64(field)<<3|uint64(wire)) }

func pbBytes(b []byte, field int, data []byte) []byte {
	b = pbKey(b, field, 2)
	b = pbVarint(b, uint64(len(data)))
	return append(b, data...)
}

func pbUint(b []byte, field int, v uint64) []byte { return pbVarint(pbKey(b, field, 0), v) }

func zz(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func packed(vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = pbVarint(b, v)
	}
	return b
}

// fileBlock frames one block: length, BlobHeader, Blob.
func fileBlock(typ string, blob []byte) []byte {
	hdr := pbBytes(nil, 1, []byte(typ))
	hdr = pbUint(hdr, 3, uint64(len(blob)))
	out := binary.BigEndian.AppendUint32(nil, uint32(len(hdr)))
	out = append(out, hdr...)
	return append(out, blob...)
}

func rawBlob(data []byte) []byte {
	b := pbBytes(nil, 1, data)
	return pbUint(b, 2, uint64(len(data)))
}

func zlibBlob(data []byte, claim int) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(data)
	w.Close()
	b := pbUint(nil, 2, uint64(claim))
	return pbBytes(b, 3, z.Bytes())
}

func headerBlock(features ...string) []byte {
	var b []byte
	for _, f := range features {
		b = pbBytes(b, 4, []byte(f))
	}
	return b
}

// stringTable collects strings, index 0 being "" as the format wants.
type stringTable struct {
	index map[string]uint64
	list  []string
}

func (s *stringTable) id(v string) uint64 {
	if s.index == nil {
		s.index = map[string]uint64{"": 0}
		s.list = []string{""}
	}
	if i, ok := s.index[v]; ok {
		return i
	}
	s.index[v] = uint64(len(s.list))
	s.list = append(s.list, v)
	return s.index[v]
}

func (s *stringTable) encode() []byte {
	var b []byte
	for _, v := range s.list {
		b = pbBytes(b, 1, []byte(v))
	}
	return b
}

func coord(v float64) int64 { return int64(math.Round(v * 1e7)) } // granularity 100 nanodegrees

// writePBF encodes nodes and ways as an OSM PBF file: a header block and
// one data block of nodes (dense or plain) and ways, zlib-compressed or raw.
func writePBF(nodes []node, ways []way, dense, compress bool) []byte {
	var st stringTable
	st.id("")
	var group []byte
	if dense {
		var ids, lats, lons, kv, vis []uint64
		var pid, plat, plon int64
		for _, n := range nodes {
			ids = append(ids, zz(n.id-pid))
			lats = append(lats, zz(coord(n.lat)-plat))
			lons = append(lons, zz(coord(n.lon)-plon))
			pid, plat, plon = n.id, coord(n.lat), coord(n.lon)
			for _, t := range n.tags {
				kv = append(kv, st.id(t.k), st.id(t.v))
			}
			kv = append(kv, 0)
			if n.deleted {
				vis = append(vis, 0)
			} else {
				vis = append(vis, 1)
			}
		}
		d := pbBytes(nil, 1, packed(ids...))
		d = pbBytes(d, 5, pbBytes(nil, 6, packed(vis...)))
		d = pbBytes(d, 8, packed(lats...))
		d = pbBytes(d, 9, packed(lons...))
		d = pbBytes(d, 10, packed(kv...))
		group = pbBytes(group, 2, d)
	} else {
		for _, n := range nodes {
			var keys, vals []uint64
			for _, t := range n.tags {
				keys, vals = append(keys, st.id(t.k)), append(vals, st.id(t.v))
			}
			b := pbUint(nil, 1, zz(n.id))
			b = pbBytes(b, 2, packed(keys...))
			b = pbBytes(b, 3, packed(vals...))
			if n.deleted {
				b = pbBytes(b, 4, pbUint(nil, 6, 0))
			}
			b = pbUint(b, 8, zz(coord(n.lat)))
			b = pbUint(b, 9, zz(coord(n.lon)))
			group = pbBytes(group, 1, b)
		}
	}
	for _, w := range ways {
		var keys, vals, refs []uint64
		for _, t := range w.tags {
			keys, vals = append(keys, st.id(t.k)), append(vals, st.id(t.v))
		}
		var prev int64
		for _, r := range w.refs {
			refs = append(refs, zz(r-prev))
			prev = r
		}
		b := pbUint(nil, 1, uint64(w.id))
		b = pbBytes(b, 2, packed(keys...))
		b = pbBytes(b, 3, packed(vals...))
		b = pbBytes(b, 8, packed(refs...))
		group = pbBytes(group, 3, b)
	}
	block := pbBytes(nil, 1, st.encode())
	block = pbBytes(block, 2, group)
	blob := rawBlob(block)
	if compress {
		blob = zlibBlob(block, len(block))
	}
	out := fileBlock("OSMHeader", rawBlob(headerBlock("OsmSchema-V0.6", "DenseNodes")))
	return append(out, fileBlock("OSMData", blob)...)
}
