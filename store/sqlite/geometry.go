package sqlite

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// This file converts between orb geometries and GeoPackage binary geometry
// (GeoPackage 1.3, clause 2.1.3): a header, then standard WKB.
//
//	magic     2 bytes  'G' 'P'
//	version   1 byte   0 (version 1)
//	flags     1 byte   bit 0 byte order of header numbers (1 = little endian)
//	                   bits 1-3 envelope contents indicator
//	                   bit 4 empty geometry, bit 5 extended type (0 = standard)
//	srs_id    4 bytes
//	envelope  0, 32, 48 or 64 bytes: minx, maxx, miny[, maxy][, minz, maxz][, minm, maxm]
//	geometry  WKB
//
// Points are written without an envelope (it would only repeat the
// position); other geometries with an XY envelope, which is what the R*Tree
// triggers read.

// srsWGS84 is the srs_id of EPSG:4326 in gpkg_spatial_ref_sys.
const srsWGS84 = 4326

const (
	gpHeaderLen   = 8
	flagLittle    = 1 << 0
	flagEmpty     = 1 << 4
	flagExtended  = 1 << 5
	envelopeShift = 1
	envelopeMask  = 0x7 << envelopeShift
	envelopeXY    = 1
	wkbPointLen   = 21
)

// envelopeLen returns the envelope size in bytes for an envelope contents
// indicator: none, XY, XYZ, XYM, XYZM.
func envelopeLen(indicator int) (int, bool) {
	switch indicator {
	case 0:
		return 0, true
	case 1:
		return 32, true
	case 2, 3:
		return 48, true
	case 4:
		return 64, true
	}
	return 0, false
}

var errNotGeoPackage = errors.New("not a GeoPackage binary geometry")

// encodeGeometry returns the GeoPackage binary form of g in SRS 4326, or nil
// for a nil geometry. It fails only for a type WKB cannot hold.
func encodeGeometry(g orb.Geometry) ([]byte, error) {
	if g == nil {
		return nil, nil
	}
	empty := isEmpty(g)
	if p, ok := g.(orb.Point); ok {
		// The common case, written without the WKB encoder's allocations.
		b := make([]byte, gpHeaderLen+wkbPointLen)
		putHeader(b, empty, false)
		w := b[gpHeaderLen:]
		w[0] = 1 // little endian
		binary.LittleEndian.PutUint32(w[1:], 1)
		binary.LittleEndian.PutUint64(w[5:], math.Float64bits(p[0]))
		binary.LittleEndian.PutUint64(w[13:], math.Float64bits(p[1]))
		return b, nil
	}
	var buf bytes.Buffer
	buf.Grow(gpHeaderLen + 32 + 64)
	head := make([]byte, gpHeaderLen)
	putHeader(head, empty, !empty)
	buf.Write(head)
	if !empty {
		bd := g.Bound()
		var env [32]byte
		for i, v := range []float64{bd.Min[0], bd.Max[0], bd.Min[1], bd.Max[1]} {
			binary.LittleEndian.PutUint64(env[i*8:], math.Float64bits(v))
		}
		buf.Write(env[:])
	}
	if err := wkb.NewEncoder(&buf).SetByteOrder(binary.LittleEndian).Encode(g); err != nil {
		return nil, fmt.Errorf("encoding %s as WKB: %w", g.GeoJSONType(), err)
	}
	return buf.Bytes(), nil
}

func putHeader(b []byte, empty, envelope bool) {
	b[0], b[1], b[2] = 'G', 'P', 0
	flags := byte(flagLittle)
	if envelope {
		flags |= envelopeXY << envelopeShift
	}
	if empty {
		flags |= flagEmpty
	}
	b[3] = flags
	binary.LittleEndian.PutUint32(b[4:], srsWGS84)
}

// isEmpty reports whether g has no positions. orb has no empty point; the
// GeoPackage convention for one is NaN coordinates.
func isEmpty(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.Point:
		return math.IsNaN(g[0]) && math.IsNaN(g[1])
	case orb.MultiPoint:
		return len(g) == 0
	case orb.LineString:
		return len(g) == 0
	case orb.Ring:
		return len(g) == 0
	case orb.MultiLineString:
		for _, l := range g {
			if len(l) > 0 {
				return false
			}
		}
		return true
	case orb.Polygon:
		for _, r := range g {
			if len(r) > 0 {
				return false
			}
		}
		return true
	case orb.MultiPolygon:
		for _, p := range g {
			if !isEmpty(p) {
				return false
			}
		}
		return true
	case orb.Collection:
		for _, m := range g {
			if !isEmpty(m) {
				return false
			}
		}
		return true
	}
	return false
}

// gpHeader is the parsed header of a GeoPackage binary geometry.
type gpHeader struct {
	srsID    int32
	empty    bool
	envelope *orb.Bound // nil when the blob has none
	wkb      []byte
}

// parseHeader splits a GeoPackage binary geometry into header and WKB.
func parseHeader(b []byte) (gpHeader, error) {
	if len(b) < gpHeaderLen || b[0] != 'G' || b[1] != 'P' {
		return gpHeader{}, errNotGeoPackage
	}
	if b[2] != 0 {
		return gpHeader{}, fmt.Errorf("GeoPackage binary version %d is not supported", b[2])
	}
	flags := b[3]
	if flags&flagExtended != 0 {
		return gpHeader{}, errors.New("extended GeoPackage geometry types are not supported")
	}
	var order binary.ByteOrder = binary.BigEndian
	if flags&flagLittle != 0 {
		order = binary.LittleEndian
	}
	ind := int(flags&envelopeMask) >> envelopeShift
	n, ok := envelopeLen(ind)
	if !ok {
		return gpHeader{}, fmt.Errorf("invalid envelope indicator %d", ind)
	}
	if len(b) < gpHeaderLen+n {
		return gpHeader{}, errors.New("GeoPackage geometry is shorter than its envelope")
	}
	h := gpHeader{
		srsID: int32(order.Uint32(b[4:])),
		empty: flags&flagEmpty != 0,
		wkb:   b[gpHeaderLen+n:],
	}
	if n > 0 {
		e := b[gpHeaderLen:]
		f := func(i int) float64 { return math.Float64frombits(order.Uint64(e[i*8:])) }
		h.envelope = &orb.Bound{Min: orb.Point{f(0), f(2)}, Max: orb.Point{f(1), f(3)}}
	}
	return h, nil
}

// decodeGeometry returns the geometry of a GeoPackage binary geometry, or
// nil for nil. An empty point decodes as a point with NaN coordinates.
func decodeGeometry(b []byte) (orb.Geometry, error) {
	if b == nil {
		return nil, nil
	}
	h, err := parseHeader(b)
	if err != nil {
		return nil, err
	}
	if p, ok := wkbPoint(h.wkb); ok {
		return p, nil
	}
	g, err := wkb.Unmarshal(h.wkb)
	if err != nil {
		return nil, fmt.Errorf("decoding WKB: %w", err)
	}
	return g, nil
}

// wkbPoint reads a 2D WKB point of either byte order without allocating.
func wkbPoint(w []byte) (orb.Point, bool) {
	if len(w) != wkbPointLen {
		return orb.Point{}, false
	}
	var order binary.ByteOrder
	switch w[0] {
	case 0:
		order = binary.BigEndian
	case 1:
		order = binary.LittleEndian
	default:
		return orb.Point{}, false
	}
	if order.Uint32(w[1:]) != 1 {
		return orb.Point{}, false
	}
	return orb.Point{
		math.Float64frombits(order.Uint64(w[5:])),
		math.Float64frombits(order.Uint64(w[13:])),
	}, true
}

// geometryBound returns the bounding box of a GeoPackage binary geometry:
// its envelope when it has one, else computed from the WKB. empty is true
// for an empty geometry, whose bound means nothing.
func geometryBound(b []byte) (bound orb.Bound, empty bool, err error) {
	h, err := parseHeader(b)
	if err != nil {
		return orb.Bound{}, false, err
	}
	if h.empty {
		return orb.Bound{}, true, nil
	}
	if h.envelope != nil {
		return *h.envelope, false, nil
	}
	if p, ok := wkbPoint(h.wkb); ok {
		if math.IsNaN(p[0]) && math.IsNaN(p[1]) {
			return orb.Bound{}, true, nil
		}
		return orb.Bound{Min: p, Max: p}, false, nil
	}
	g, err := wkb.Unmarshal(h.wkb)
	if err != nil {
		return orb.Bound{}, false, fmt.Errorf("decoding WKB: %w", err)
	}
	if isEmpty(g) {
		return orb.Bound{}, true, nil
	}
	return g.Bound(), false, nil
}
