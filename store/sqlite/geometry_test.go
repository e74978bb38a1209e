package sqlite

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

func TestGeometryRoundTrip(t *testing.T) {
	ring := orb.Ring{{-0.1, 51.5}, {-0.09, 51.5}, {-0.09, 51.51}, {-0.1, 51.51}, {-0.1, 51.5}}
	for _, tc := range []struct {
		name string
		in   orb.Geometry
		want orb.Geometry // when the type changes on the way (Ring, Bound)
	}{
		{"point", orb.Point{-3.654703, 51.608344}, nil},
		{"point extremes", orb.Point{-180, 90}, nil},
		{"multipoint", orb.MultiPoint{{-1.5, 53.8}, {-1.6, 53.9}}, nil},
		{"linestring", orb.LineString{{-0.12, 51.5}, {-0.11, 51.52}, {-0.1, 51.53}}, nil},
		{"multilinestring", orb.MultiLineString{{{-3.2, 55.9}, {-3.1, 55.95}}, {{-3, 55.9}, {-2.9, 55.95}}}, nil},
		{"polygon", orb.Polygon{ring, {{-0.098, 51.502}, {-0.092, 51.502}, {-0.092, 51.508}, {-0.098, 51.502}}}, nil},
		{"multipolygon", orb.MultiPolygon{{ring}, {{{1, 52}, {1.1, 52}, {1.1, 52.1}, {1, 52}}}}, nil},
		{"collection", orb.Collection{orb.Point{-2.5, 53.4}, orb.LineString{{-2.5, 53.4}, {-2.4, 53.5}}, orb.Polygon{ring}}, nil},
		{"ring", ring, orb.Polygon{ring}},
		{"bound", orb.Bound{Min: orb.Point{0, 51}, Max: orb.Point{1, 52}}, orb.Polygon{{{0, 51}, {1, 51}, {1, 52}, {0, 52}, {0, 51}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := encodeGeometry(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			h, err := parseHeader(b)
			if err != nil {
				t.Fatal(err)
			}
			if h.srsID != 4326 || h.empty {
				t.Errorf("header srs %d empty %v; want 4326, not empty", h.srsID, h.empty)
			}
			_, isPoint := tc.in.(orb.Point)
			if isPoint != (h.envelope == nil) {
				t.Errorf("envelope %v; want one for every type but Point", h.envelope)
			}
			if h.envelope != nil && *h.envelope != tc.in.Bound() {
				t.Errorf("envelope %v; want %v", *h.envelope, tc.in.Bound())
			}
			// The WKB part is standard WKB: orb reads it.
			if _, err := wkb.Unmarshal(h.wkb); err != nil {
				t.Errorf("WKB part: %v", err)
			}
			got, err := decodeGeometry(b)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if want == nil {
				want = tc.in
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip:\n got %#v\nwant %#v", got, want)
			}
			bd, empty, err := geometryBound(b)
			if err != nil || empty || bd != tc.in.Bound() {
				t.Errorf("geometryBound = %v, %v, %v; want %v", bd, empty, err, tc.in.Bound())
			}
		})
	}
}

func TestGeometryNil(t *testing.T) {
	b, err := encodeGeometry(nil)
	if b != nil || err != nil {
		t.Errorf("encodeGeometry(nil) = %x, %v; want nil, nil", b, err)
	}
	g, err := decodeGeometry(nil)
	if g != nil || err != nil {
		t.Errorf("decodeGeometry(nil) = %v, %v; want nil, nil", g, err)
	}
}

func TestGeometryEmpty(t *testing.T) {
	for _, g := range []orb.Geometry{
		orb.LineString{}, orb.MultiPoint{}, orb.Polygon{}, orb.MultiLineString{},
		orb.MultiPolygon{}, orb.Collection{}, orb.Point{math.NaN(), math.NaN()},
	} {
		b, err := encodeGeometry(g)
		if err != nil {
			t.Fatalf("%T: %v", g, err)
		}
		if b[3]&flagEmpty == 0 {
			t.Errorf("%T: flags %08b lack the empty bit", g, b[3])
		}
		if b[3]&envelopeMask != 0 {
			t.Errorf("%T: flags %08b; want no envelope for an empty geometry", g, b[3])
		}
		if _, empty, err := geometryBound(b); !empty || err != nil {
			t.Errorf("%T: geometryBound empty = %v, %v; want true", g, empty, err)
		}
		got, err := decodeGeometry(b)
		if err != nil {
			t.Fatalf("%T: %v", g, err)
		}
		if !isEmpty(got) || got.GeoJSONType() != g.GeoJSONType() {
			t.Errorf("%T decoded as %#v", g, got)
		}
	}
}

// TestGeometryLayout checks the bytes against the standard's layout, so a
// mistake shared by encoder and decoder cannot hide.
func TestGeometryLayout(t *testing.T) {
	b, err := encodeGeometry(orb.Point{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	want := "47500001" + "e6100000" + // 'GP', version 0, flags little endian, srs 4326
		"01" + "01000000" + "000000000000f03f" + "0000000000000040" // WKB point (1 2)
	if got := hex.EncodeToString(b); got != want {
		t.Errorf("point:\n got %s\nwant %s", got, want)
	}

	l := orb.LineString{{1, 2}, {3, -4}}
	b, err = encodeGeometry(l)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b[:4], []byte{'G', 'P', 0, 0b00000011}) {
		t.Errorf("line header % x; want 47 50 00 03 (little endian, XY envelope)", b[:4])
	}
	env := make([]float64, 4)
	for i := range env {
		env[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8+8*i:]))
	}
	if !reflect.DeepEqual(env, []float64{1, 3, -4, 2}) {
		t.Errorf("envelope %v; want [minx maxx miny maxy] = [1 3 -4 2]", env)
	}
	if w, _ := wkb.Marshal(l, binary.LittleEndian); !bytes.Equal(b[40:], w) {
		t.Errorf("WKB part % x; want % x", b[40:], w)
	}
}

// TestGeometryForeign reads blobs as other writers make them: big-endian
// headers and WKB, points without an envelope, polygons without one, and an
// XYZ envelope.
func TestGeometryForeign(t *testing.T) {
	be := func(env []float64, g orb.Geometry, indicator byte) []byte {
		var buf bytes.Buffer
		buf.Write([]byte{'G', 'P', 0, indicator << 1})
		binary.Write(&buf, binary.BigEndian, int32(4326))
		for _, v := range env {
			binary.Write(&buf, binary.BigEndian, v)
		}
		w, err := wkb.Marshal(g, binary.BigEndian)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(w)
		return buf.Bytes()
	}
	poly := orb.Polygon{{{0, 51}, {1, 51}, {1, 52}, {0, 51}}}
	for _, tc := range []struct {
		name string
		blob []byte
		want orb.Geometry
	}{
		{"big-endian point", be(nil, orb.Point{-1, 52}, 0), orb.Point{-1, 52}},
		{"polygon without envelope", be(nil, poly, 0), poly},
		{"polygon with XYZ envelope", be([]float64{0, 1, 51, 52, 0, 0}, poly, 2), poly},
	} {
		g, err := decodeGeometry(tc.blob)
		if err != nil || !reflect.DeepEqual(g, tc.want) {
			t.Errorf("%s: decoded %#v, %v; want %#v", tc.name, g, err, tc.want)
		}
		bd, empty, err := geometryBound(tc.blob)
		if err != nil || empty || bd != tc.want.Bound() {
			t.Errorf("%s: bound %v, %v, %v; want %v", tc.name, bd, empty, err, tc.want.Bound())
		}
	}
	for _, bad := range [][]byte{nil, []byte("GP"), []byte("XX\x00\x01\x00\x00\x00\x00"), {'G', 'P', 1, 1, 0, 0, 0, 0}, {'G', 'P', 0, 0b1011, 0, 0, 0, 0}} {
		if _, _, err := geometryBound(bad); err == nil {
			t.Errorf("geometryBound(% x) succeeded; want an error", bad)
		}
	}
}
