package osm

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// The PBF format's own bounds (https://wiki.openstreetmap.org/wiki/PBF_Format).
const (
	maxBlobHeader = 64 << 10
	maxBlob       = 32 << 20
)

// pbfError is a malformed-PBF error.
func pbfError(format string, args ...any) error {
	return coopmap.Errorf(coopmap.CodeInvalid, "malformed OSM PBF: "+format, args...)
}

// pbf reads an OSM PBF stream block by block; only one block is in
// memory at a time.
func (p *reader) pbf(r io.Reader) error {
	var (
		size    [4]byte
		header  []byte
		blob    []byte
		data    []byte
		blocks  int
		offset  int64
		seenHdr bool
	)
	for ; ; blocks++ {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		if _, err := io.ReadFull(r, size[:]); err == io.EOF {
			if !seenHdr {
				return pbfError("no OSMHeader block")
			}
			return nil
		} else if err != nil {
			return p.pbfReadErr(err, offset)
		}
		n := binary.BigEndian.Uint32(size[:])
		if n == 0 || n >= maxBlobHeader {
			return pbfError("block %d at byte %d has a header of %d bytes; the format allows less than %d", blocks, offset, n, maxBlobHeader)
		}
		header = grow(header, int(n))
		if _, err := io.ReadFull(r, header); err != nil {
			return p.pbfReadErr(err, offset)
		}
		typ, datasize, err := blobHeader(header)
		if err != nil {
			return err
		}
		if datasize < 0 || datasize >= maxBlob {
			return pbfError("block %d at byte %d claims %d bytes; the format allows less than %d", blocks, offset, datasize, maxBlob)
		}
		blob = grow(blob, int(datasize))
		if _, err := io.ReadFull(r, blob); err != nil {
			return p.pbfReadErr(err, offset)
		}
		offset += 4 + int64(n) + int64(datasize)
		switch typ {
		case "OSMHeader":
			if data, err = unpack(blob, data); err != nil {
				return err
			}
			if err := headerBlock(data); err != nil {
				return err
			}
			seenHdr = true
		case "OSMData":
			if !seenHdr {
				return pbfError("the first block is OSMData, not OSMHeader")
			}
			if data, err = unpack(blob, data); err != nil {
				return err
			}
			if err := p.primitiveBlock(data); err != nil {
				return err
			}
		default:
			// Unknown block types are to be skipped, says the format.
		}
	}
}

func (p *reader) pbfReadErr(err error, offset int64) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return coopmap.Errorf(coopmap.CodeInvalid, "truncated: the OSM PBF ends inside the block at byte %d", offset)
	}
	if coopmap.ErrorCode(err) != "" {
		return err
	}
	return fmt.Errorf("reading OSM PBF: %w", err)
}

// grow returns b resized to n, reusing its storage when it is big enough.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// blobHeader decodes a BlobHeader: type (1), datasize (3).
func blobHeader(b []byte) (string, int64, error) {
	var typ string
	datasize := int64(-1)
	m := msg{b: b}
	for !m.done() {
		f, w := m.key()
		switch {
		case f == 1 && w == 2:
			typ = string(m.bytes())
		case f == 3 && w == 0:
			datasize = int64(m.varint())
		default:
			m.skip(w)
		}
	}
	if m.err != nil {
		return "", 0, m.err
	}
	if typ == "" || datasize < 0 {
		return "", 0, pbfError("a block header lacks its type or size")
	}
	return typ, datasize, nil
}

// unpack returns the contents of a Blob: raw (1) with raw_size (2), or
// zlib_data (3). Other compressions are refused. The result reuses buf.
func unpack(b, buf []byte) ([]byte, error) {
	var raw, z []byte
	rawSize := int64(-1)
	other := 0
	m := msg{b: b}
	for !m.done() {
		f, w := m.key()
		switch {
		case f == 1 && w == 2:
			raw = m.bytes()
		case f == 2 && w == 0:
			rawSize = int64(m.varint())
		case f == 3 && w == 2:
			z = m.bytes()
		case f >= 4 && f <= 7:
			other = f
			m.skip(w)
		default:
			m.skip(w)
		}
	}
	switch {
	case m.err != nil:
		return nil, m.err
	case raw != nil:
		return raw, nil
	case z == nil && other != 0:
		name := map[int]string{4: "LZMA", 5: "bzip2", 6: "LZ4", 7: "Zstandard"}[other]
		return nil, coopmap.Errorf(coopmap.CodeInvalid, "the OSM PBF uses %s compression; only zlib is read (convert with: osmium cat in.osm.pbf -o out.osm.pbf)", name)
	case z == nil:
		return nil, pbfError("a block has no data")
	case rawSize < 0 || rawSize >= maxBlob:
		return nil, pbfError("a block claims %d bytes uncompressed; the format allows less than %d", rawSize, maxBlob)
	}
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, pbfError("a block's zlib data is broken: %v", err)
	}
	out := bytes.NewBuffer(grow(buf, int(rawSize))[:0])
	// One byte more than claimed tells a lying raw_size from an honest one.
	if _, err := io.Copy(out, io.LimitReader(zr, rawSize+1)); err != nil {
		return nil, pbfError("a block's zlib data is broken: %v", err)
	}
	if int64(out.Len()) != rawSize {
		return nil, pbfError("a block holds %d bytes uncompressed but claims %d", out.Len(), rawSize)
	}
	return out.Bytes(), nil
}

// headerBlock checks a HeaderBlock's required_features (4).
func headerBlock(b []byte) error {
	m := msg{b: b}
	for !m.done() {
		f, w := m.key()
		if f == 4 && w == 2 {
			switch feat := string(m.bytes()); feat {
			case "OsmSchema-V0.6", "DenseNodes":
			default:
				return coopmap.Errorf(coopmap.CodeInvalid, "the OSM PBF requires %q, which is not supported (history files are not)", clip(feat))
			}
		} else {
			m.skip(w)
		}
	}
	return m.err
}

// block is what a PrimitiveBlock says about its coordinates and strings.
type block struct {
	strings  [][]byte
	gran     int64
	lat, lon int64
}

// primitiveBlock reads a PrimitiveBlock: stringtable (1), primitivegroup
// (2), granularity (17), lat_offset (19), lon_offset (20). The groups are
// read after the whole block, as the scalars may come after them.
func (p *reader) primitiveBlock(b []byte) error {
	blk := block{gran: 100}
	var groups [][]byte
	m := msg{b: b}
	for !m.done() {
		f, w := m.key()
		switch {
		case f == 1 && w == 2:
			st := msg{b: m.bytes()}
			for !st.done() {
				if f, w := st.key(); f == 1 && w == 2 {
					blk.strings = append(blk.strings, st.bytes())
				} else {
					st.skip(w)
				}
			}
			if st.err != nil {
				return st.err
			}
		case f == 2 && w == 2:
			groups = append(groups, m.bytes())
		case f == 17 && w == 0:
			blk.gran = int64(m.varint())
		case f == 19 && w == 0:
			blk.lat = int64(m.varint())
		case f == 20 && w == 0:
			blk.lon = int64(m.varint())
		default:
			m.skip(w)
		}
	}
	if m.err != nil {
		return m.err
	}
	if blk.gran <= 0 || blk.gran > 1e9 {
		return pbfError("granularity %d is out of range", blk.gran)
	}
	for _, g := range groups {
		if err := p.primitiveGroup(&blk, g); err != nil {
			return err
		}
	}
	return nil
}

// primitiveGroup reads nodes (1), dense (2), ways (3) and relations (4);
// changesets (5) are skipped, and so is any kind the handler does not
// want.
func (p *reader) primitiveGroup(blk *block, b []byte) error {
	m := msg{b: b}
	for !m.done() {
		f, w := m.key()
		var err error
		switch {
		case f == 1 && w == 2 && p.h.Node != nil:
			err = p.pbfNode(blk, m.bytes())
		case f == 2 && w == 2 && p.h.Node != nil:
			err = p.denseNodes(blk, m.bytes())
		case f == 3 && w == 2 && p.h.Way != nil:
			err = p.pbfWay(blk, m.bytes())
		case f == 4 && w == 2 && p.h.Relation != nil:
			err = p.pbfRelation(blk, m.bytes())
		default:
			m.skip(w)
		}
		if err != nil {
			return err
		}
	}
	return m.err
}

// degrees converts a coordinate in granularity units to degrees.
func (blk *block) degrees(offset, v int64) float64 {
	return 1e-9 * float64(offset+blk.gran*v)
}

// tags builds a tag map from string-table indices.
func (blk *block) tags(keys, vals []uint32) (map[string]string, error) {
	if len(keys) != len(vals) {
		return nil, pbfError("%d tag keys but %d values", len(keys), len(vals))
	}
	if len(keys) == 0 {
		return nil, nil
	}
	t := make(map[string]string, len(keys))
	for i, k := range keys {
		v := vals[i]
		if int(k) >= len(blk.strings) || int(v) >= len(blk.strings) {
			return nil, pbfError("a tag refers to string %d of %d", max(k, v), len(blk.strings))
		}
		t[string(blk.strings[k])] = string(blk.strings[v])
	}
	return t, nil
}

// visible reads Info.visible (6); a missing Info or field means visible.
func visible(info []byte) bool {
	m := msg{b: info}
	for !m.done() {
		if f, w := m.key(); f == 6 && w == 0 {
			return m.varint() != 0
		} else {
			m.skip(w)
		}
	}
	return true
}

// pbfNode reads a Node: id (1, sint64), keys (2), vals (3), info (4),
// lat (8, sint64), lon (9, sint64).
func (p *reader) pbfNode(blk *block, b []byte) error {
	if err := p.tick(); err != nil {
		return err
	}
	var id, lat, lon int64
	var keys, vals []uint32
	vis := true
	m := msg{b: b}
	for !m.done() {
		f, w := m.key()
		switch {
		case f == 1 && w == 0:
			id = zigzag(m.varint())
		case f == 2:
			keys = m.uint32s(w, keys)
		case f == 3:
			vals = m.uint32s(w, vals)
		case f == 4 && w == 2:
			vis = visible(m.bytes())
		case f == 8 && w == 0:
			lat = zigzag(m.varint())
		case f == 9 && w == 0:
			lon = zigzag(m.varint())
		default:
			m.skip(w)
		}
	}
	if m.err != nil {
		return m.err
	}
	tags, err := blk.tags(keys, vals)
	if err != nil || !vis {
		return err
	}
	return p.node(Node{ID: id, Lon: blk.degrees(blk.lon, lon), Lat: blk.degrees(blk.lat, lat), Tags: tags})
}

// denseNodes reads DenseNodes: id (1), denseinfo (5), lat (8), lon (9),
// all packed sint64 deltas, and keys_vals (10), packed int32 string
// indices, key-value pairs per node, each node's ended by 0.
func (p *reader) denseNodes(blk *block, b []byte) error {
	var ids, lats, lons, kv, info []byte
	m := msg{b: b}
	for !m.done() {
		f, w := m.key()
		switch {
		case f == 1 && w == 2:
			ids = m.bytes()
		case f == 5 && w == 2:
			info = m.bytes()
		case f == 8 && w == 2:
			lats = m.bytes()
		case f == 9 && w == 2:
			lons = m.bytes()
		case f == 10 && w == 2:
			kv = m.bytes()
		default:
			m.skip(w)
		}
	}
	if m.err != nil {
		return m.err
	}
	// DenseInfo.visible (6) is packed bools, one per node, when present.
	var vis msg
	for im := (msg{b: info}); !im.done(); {
		if f, w := im.key(); f == 6 && w == 2 {
			vis = msg{b: im.bytes()}
		} else {
			im.skip(w)
		}
	}
	idm, latm, lonm, kvm := msg{b: ids}, msg{b: lats}, msg{b: lons}, msg{b: kv}
	var id, lat, lon int64
	var keys, vals []uint32
	for !idm.done() {
		if err := p.tick(); err != nil {
			return err
		}
		if latm.done() || lonm.done() {
			return pbfError("dense nodes have fewer positions than ids")
		}
		id += zigzag(idm.varint())
		lat += zigzag(latm.varint())
		lon += zigzag(lonm.varint())
		keys, vals = keys[:0], vals[:0]
		if len(kv) > 0 {
			for {
				if kvm.done() {
					return pbfError("dense nodes' keys_vals end early")
				}
				k := kvm.varint()
				if k == 0 || kvm.err != nil {
					break
				}
				keys = append(keys, uint32(k))
				vals = append(vals, uint32(kvm.varint()))
			}
		}
		vis.err = nil
		visible := vis.done() || vis.varint() != 0
		for _, e := range []error{idm.err, latm.err, lonm.err, kvm.err} {
			if e != nil {
				return e
			}
		}
		tags, err := blk.tags(keys, vals)
		if err != nil {
			return err
		}
		if !visible {
			continue
		}
		if err := p.node(Node{ID: id, Lon: blk.degrees(blk.lon, lon), Lat: blk.degrees(blk.lat, lat), Tags: tags}); err != nil {
			return err
		}
	}
	return nil
}

// pbfWay reads a Way: id (1, int64), keys (2), vals (3), info (4), refs
// (8, packed sint64 deltas).
func (p *reader) pbfWay(blk *block, b []byte) error {
	if err := p.tick(); err != nil {
		return err
	}
	var id int64
	var keys, vals []uint32
	var refs []byte
	vis := true
	m := msg{b: b}
	for !m.done() {
		f, w := m.key()
		switch {
		case f == 1 && w == 0:
			id = int64(m.varint())
		case f == 2:
			keys = m.uint32s(w, keys)
		case f == 3:
			vals = m.uint32s(w, vals)
		case f == 4 && w == 2:
			vis = visible(m.bytes())
		case f == 8 && w == 2:
			refs = m.bytes()
		default:
			m.skip(w)
		}
	}
	if m.err != nil {
		return m.err
	}
	tags, err := blk.tags(keys, vals)
	if err != nil || !vis {
		return err
	}
	p.refs = p.refs[:0]
	var ref int64
	for rm := (msg{b: refs}); !rm.done(); {
		ref += zigzag(rm.varint())
		if rm.err != nil {
			return rm.err
		}
		if len(p.refs) >= geo.MaxVertices {
			return p.h.Way(Way{ID: id, Refs: p.refs, Tags: tags, Bad: fmt.Sprintf("the way has more than %d nodes", geo.MaxVertices)})
		}
		p.refs = append(p.refs, ref)
	}
	return p.h.Way(Way{ID: id, Refs: p.refs, Tags: tags})
}

// memberType names a Relation.MemberType enum value, or returns "".
func memberType(v uint64) string {
	switch v {
	case 0:
		return "node"
	case 1:
		return "way"
	case 2:
		return "relation"
	}
	return ""
}

// pbfRelation reads a Relation: id (1, int64), keys (2), vals (3), info
// (4), roles_sid (8, packed int32 string indices), memids (9, packed
// sint64 deltas), types (10, packed MemberType).
func (p *reader) pbfRelation(blk *block, b []byte) error {
	if err := p.tick(); err != nil {
		return err
	}
	var id int64
	var keys, vals []uint32
	var roles, ids, types []byte
	vis := true
	m := msg{b: b}
	for !m.done() {
		f, w := m.key()
		switch {
		case f == 1 && w == 0:
			id = int64(m.varint())
		case f == 2:
			keys = m.uint32s(w, keys)
		case f == 3:
			vals = m.uint32s(w, vals)
		case f == 4 && w == 2:
			vis = visible(m.bytes())
		case f == 8 && w == 2:
			roles = m.bytes()
		case f == 9 && w == 2:
			ids = m.bytes()
		case f == 10 && w == 2:
			types = m.bytes()
		default:
			m.skip(w)
		}
	}
	if m.err != nil {
		return m.err
	}
	tags, err := blk.tags(keys, vals)
	if err != nil || !vis {
		return err
	}
	p.members = p.members[:0]
	var ref int64
	rm, im, tm := msg{b: roles}, msg{b: ids}, msg{b: types}
	for !im.done() {
		ref += zigzag(im.varint())
		role, typ := rm.varint(), tm.varint()
		for _, e := range []error{rm.err, im.err, tm.err} {
			if e != nil {
				return pbfError("a relation's members are cut short or corrupt")
			}
		}
		if role >= uint64(len(blk.strings)) {
			return pbfError("a relation member's role refers to string %d of %d", role, len(blk.strings))
		}
		mt := memberType(typ)
		if mt == "" {
			return pbfError("a relation member has type %d; the format knows 0 to 2", typ)
		}
		if len(p.members) >= geo.MaxVertices {
			break // more than any real relation holds; the rest is left out
		}
		p.members = append(p.members, Member{Type: mt, Ref: ref, Role: string(blk.strings[role])})
	}
	return p.h.Relation(Relation{ID: id, Members: p.members, Tags: tags})
}

// msg reads protocol buffer wire format. Every read is bounds-checked; the
// first error sticks in err and ends the message (done reports true).
type msg struct {
	b   []byte
	i   int
	err error
}

func (m *msg) done() bool { return m.err != nil || m.i >= len(m.b) }

func (m *msg) fail() {
	if m.err == nil {
		m.err = pbfError("a protocol buffer message is cut short or corrupt")
	}
	m.i = len(m.b)
}

func (m *msg) varint() uint64 {
	var v uint64
	for s := uint(0); s < 64; s += 7 {
		if m.i >= len(m.b) {
			m.fail()
			return 0
		}
		c := m.b[m.i]
		m.i++
		v |= uint64(c&0x7f) << s
		if c < 0x80 {
			return v
		}
	}
	m.fail()
	return 0
}

// key reads a field key: the field number and wire type.
func (m *msg) key() (int, int) {
	k := m.varint()
	if k>>3 > math.MaxInt32 {
		m.fail()
	}
	return int(k >> 3), int(k & 7)
}

func (m *msg) bytes() []byte {
	n := m.varint()
	if m.err != nil || n > uint64(len(m.b)-m.i) {
		m.fail()
		return nil
	}
	b := m.b[m.i : m.i+int(n)]
	m.i += int(n)
	return b
}

// skip passes over a field's value of wire type w.
func (m *msg) skip(w int) {
	switch w {
	case 0:
		m.varint()
	case 1, 5:
		n := 8
		if w == 5 {
			n = 4
		}
		if len(m.b)-m.i < n {
			m.fail()
			return
		}
		m.i += n
	case 2:
		m.bytes()
	default: // groups (3, 4) are not used by the format
		m.fail()
	}
}

// uint32s appends a repeated uint32 field, packed (wire type 2) or not.
func (m *msg) uint32s(w int, to []uint32) []uint32 {
	switch w {
	case 0:
		return append(to, uint32(m.varint()))
	case 2:
		for pm := (msg{b: m.bytes()}); !pm.done(); {
			v := pm.varint()
			if pm.err != nil {
				m.err = pm.err
				break
			}
			to = append(to, uint32(v))
		}
		return to
	}
	m.skip(w)
	return to
}

func zigzag(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }
