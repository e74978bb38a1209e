package osm_test

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers/internal/importertest"
	"github.com/coopmap/coopmap/importers/osm"
)

const dir = "../../testdata/osm"

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseWith(p func(context.Context, io.Reader, string, interface {
	Feature(coopmap.Feature, string) error
	Problem(string, string)
}) error, name string, in []byte) (*importertest.Recorder, error) {
	r := &importertest.Recorder{}
	return r, p(context.Background(), bytes.NewReader(in), name, r)
}

func parse(name string, in []byte) (*importertest.Recorder, error) {
	r := &importertest.Recorder{}
	return r, osm.Parse(context.Background(), bytes.NewReader(in), name, r)
}

// TestHandMade checks every case the default filter decides, on a file
// made for it.
func TestHandMade(t *testing.T) {
	r, err := parse("coops.osm", readFile(t, "coops.osm"))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range r.Features {
		keys = append(keys, f.ID)
	}
	if want := "node/101 node/102 node/103 way/201 way/202"; strings.Join(keys, " ") != want {
		t.Errorf("kept %v, want %s", keys, want)
	}
	if len(r.Problems) != 3 {
		t.Errorf("got %d problems, want 3 (node/108, way/206, way/207):\n%s", len(r.Problems), strings.Join(r.Problems, "\n"))
	}
	importertest.Golden(t, filepath.Join(dir, "coops.golden"), r.Summary(nil))

	coop := r.Features[0]
	if coop.Name != "Hackney Co-op" || coop.Address != "12 Mare Street, London" || coop.Postcode != "E8 1AA" ||
		coop.Website != "https://hackney.coop" || coop.Email != "hello@hackney.coop" || coop.Properties["cooperative"] != "consumer" ||
		coop.Properties["addr:street"] != "Mare Street" || r.Wheres[0] != "coops.osm: node/101" {
		t.Errorf("co-op node: %+v at %q", coop, r.Wheres[0])
	}
	if r.Features[1].Website != "" || r.Features[2].Address != "1 The Parade, London" || r.Features[2].Postcode != "" {
		t.Errorf("unusable website or postcode was mapped: %+v %+v", r.Features[1], r.Features[2])
	}
	hall, ok := r.Features[3].Geometry.(orb.Polygon)
	if !ok || len(hall[0]) != 5 || hall[0][1] != (orb.Point{-0.099, 51.5}) {
		t.Errorf("building: %#v", r.Features[3].Geometry)
	}
}

// TestFormats reads the same data as XML, bzip2 XML (compressed or
// decompressed by the caller), gzip XML and PBF (osmium's, and ours dense
// and plain, raw and zlib), and expects the same features.
func TestFormats(t *testing.T) {
	bz := readFile(t, "andorra-la-vella.osm.bz2")
	plain, err := io.ReadAll(bzip2.NewReader(bytes.NewReader(bz)))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(plain)
	w.Close()

	want, err := parse("x", plain)
	if err != nil {
		t.Fatal(err)
	}
	points, polygons := 0, 0
	for _, f := range want.Features {
		switch f.Geometry.(type) {
		case orb.Point:
			points++
		case orb.Polygon:
			polygons++
		}
	}
	// Cross-checked with an independent Python count over the XML.
	if points != 42 || polygons != 25 || len(want.Problems) != 0 {
		t.Errorf("Andorra la Vella: %d points, %d polygons, %d problems; want 42, 25, 0", points, polygons, len(want.Problems))
	}
	importertest.Golden(t, filepath.Join(dir, "andorra-la-vella.golden"), want.Summary(nil))

	for name, in := range map[string][]byte{
		"bzip2":  bz,
		"gzip":   gz.Bytes(),
		"osmium": readFile(t, "andorra-la-vella.osm.pbf"),
	} {
		got, err := parse("x", in)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got.Summary(nil) != want.Summary(nil) {
			t.Errorf("%s: output differs from the XML's", name)
		}
	}

	nodes, ways := objects(t, readFile(t, "coops.osm"))
	xmlOut, _ := parse("x", readFile(t, "coops.osm"))
	// PBF cannot hold node 108's "north", so that problem is not expected.
	wantPBF := strings.Replace(xmlOut.Summary(nil), "PROBLEM x: node/108: lat \"north\" is not a number\n", "", 1)
	for _, c := range []struct{ dense, zlib bool }{{true, true}, {true, false}, {false, true}, {false, false}} {
		got, err := parse("x", writePBF(nodes, ways, c.dense, c.zlib))
		if err != nil {
			t.Errorf("dense %v zlib %v: %v", c.dense, c.zlib, err)
			continue
		}
		if got.Summary(nil) != wantPBF {
			t.Errorf("dense %v zlib %v: PBF output differs from the XML's:\n%s\nwant\n%s", c.dense, c.zlib, got.Summary(nil), wantPBF)
		}
	}
}

// objects reads an OSM XML file into the PBF writer's types, leaving out
// what PBF cannot hold.
func objects(t *testing.T, in []byte) ([]node, []way) {
	var doc struct {
		Nodes []struct {
			ID      string `xml:"id,attr"`
			Lat     string `xml:"lat,attr"`
			Lon     string `xml:"lon,attr"`
			Visible string `xml:"visible,attr"`
			Action  string `xml:"action,attr"`
			Tags    []struct {
				K string `xml:"k,attr"`
				V string `xml:"v,attr"`
			} `xml:"tag"`
		} `xml:"node"`
		Ways []struct {
			ID  int64 `xml:"id,attr"`
			Nds []struct {
				Ref int64 `xml:"ref,attr"`
			} `xml:"nd"`
			Tags []struct {
				K string `xml:"k,attr"`
				V string `xml:"v,attr"`
			} `xml:"tag"`
		} `xml:"way"`
	}
	if err := xml.Unmarshal(in, &doc); err != nil {
		t.Fatal(err)
	}
	var nodes []node
	for _, n := range doc.Nodes {
		id, _ := strconv.ParseInt(n.ID, 10, 64)
		lat, err1 := strconv.ParseFloat(n.Lat, 64)
		lon, err2 := strconv.ParseFloat(n.Lon, 64)
		if err1 != nil || err2 != nil || n.Action == "delete" {
			continue
		}
		nd := node{id: id, lat: lat, lon: lon, deleted: n.Visible == "false"}
		for _, tg := range n.Tags {
			nd.tags = append(nd.tags, tag{tg.K, tg.V})
		}
		nodes = append(nodes, nd)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].id < nodes[j].id })
	var ways []way
	for _, w := range doc.Ways {
		wy := way{id: w.ID}
		for _, nd := range w.Nds {
			wy.refs = append(wy.refs, nd.Ref)
		}
		for _, tg := range w.Tags {
			wy.tags = append(wy.tags, tag{tg.K, tg.V})
		}
		ways = append(ways, wy)
	}
	return nodes, ways
}

// TestFilter checks that highways are left out by default, and that a
// custom filter can keep them, as lines.
func TestFilter(t *testing.T) {
	in := readFile(t, "wood-green-highways.osm")
	r, err := parse("wg.osm", in)
	if err != nil || len(r.Features)+len(r.Problems) != 0 {
		t.Fatalf("default filter on highways: %v, %d features, %d problems", err, len(r.Features), len(r.Problems))
	}
	named := osm.New(osm.Options{Filter: func(o osm.Object) bool {
		_, highway := o.Tags["highway"]
		return o.Type == "way" && highway && o.Tags["name"] != ""
	}})
	r, err = parseWith(func(ctx context.Context, rd io.Reader, name string, e interface {
		Feature(coopmap.Feature, string) error
		Problem(string, string)
	}) error {
		return named(ctx, rd, name, e)
	}, "wg.osm", in)
	if err != nil || len(r.Features) != 26 || len(r.Problems) != 0 {
		t.Fatalf("named highways: %v, %d features, %d problems; want 26 and 0", err, len(r.Features), len(r.Problems))
	}
	for i, f := range r.Features {
		if _, ok := f.Geometry.(orb.LineString); !ok {
			t.Errorf("%s is a %T, want a LineString", r.Wheres[i], f.Geometry)
		}
	}

	if !osm.DefaultFilter(osm.Object{Type: "node", Tags: map[string]string{"name": "X", "ownership": "cooperative"}}) ||
		osm.DefaultFilter(osm.Object{Type: "way", Tags: map[string]string{"name": "X", "building": "yes"}}) ||
		!osm.DefaultFilter(osm.Object{Type: "way", Closed: true, Tags: map[string]string{"name": "X", "leisure": "park"}}) {
		t.Error("DefaultFilter decides a documented case wrongly")
	}

	few := osm.New(osm.Options{MaxNodes: 100})
	err = few(context.Background(), bytes.NewReader(in), "wg.osm", &importertest.Recorder{})
	if !errors.Is(err, coopmap.ErrTooLarge) {
		t.Errorf("over MaxNodes: got %v, want a too-large error", err)
	}
}

func TestBrokenPBF(t *testing.T) {
	header := fileBlock("OSMHeader", rawBlob(headerBlock("OsmSchema-V0.6", "DenseNodes")))
	data := func(group []byte) []byte {
		st := pbBytes(nil, 1, []byte(""))
		st = pbBytes(st, 1, []byte("name"))
		return append(append([]byte{}, header...), fileBlock("OSMData", rawBlob(pbBytes(pbBytes(nil, 1, st), 2, group)))...)
	}
	good := writePBF([]node{{id: 1, lat: 51.5, lon: -0.1, tags: []tag{{"name", "A"}, {"shop", "books"}}}}, nil, false, true)
	badIndex := pbBytes(nil, 2, packed(99))
	badIndex = pbBytes(badIndex, 3, packed(1))
	longHeader := append([]byte{0, 1, 0, 0}, header[4:]...)
	for name, c := range map[string]struct {
		in   []byte
		code coopmap.Code
		msg  string
	}{
		"truncated":         {good[:len(good)-10], coopmap.CodeInvalid, "truncated"},
		"no header":         {fileBlock("OSMData", rawBlob(nil)), coopmap.CodeInvalid, "not OSMHeader"},
		"header too large":  {longHeader, coopmap.CodeInvalid, "header of 65536 bytes"},
		"history file":      {fileBlock("OSMHeader", rawBlob(headerBlock("OsmSchema-V0.6", "HistoricalInformation"))), coopmap.CodeInvalid, "HistoricalInformation"},
		"zstd":              {append(header, fileBlock("OSMData", pbBytes(nil, 7, []byte{1, 2, 3}))...), coopmap.CodeInvalid, "Zstandard"},
		"string index":      {data(pbBytes(nil, 3, append(pbUint(nil, 1, 7), badIndex...))), coopmap.CodeInvalid, "refers to string 99"},
		"lying raw size":    {append(header, fileBlock("OSMData", zlibBlob(bytes.Repeat([]byte{0}, 1000), 10))...), coopmap.CodeInvalid, "claims 10"},
		"huge raw size":     {append(header, fileBlock("OSMData", zlibBlob(nil, 1<<30))...), coopmap.CodeInvalid, "claims 1073741824"},
		"negative raw size": {append(header, fileBlock("OSMData", pbUint(pbBytes(nil, 3, []byte{1}), 2, 1<<63))...), coopmap.CodeInvalid, "claims"},
		"cut message":       {data([]byte{0x1a, 0x7f, 0x08}), coopmap.CodeInvalid, "cut short"},
		"dense mismatch":    {data(pbBytes(nil, 2, pbBytes(pbBytes(nil, 1, packed(2, 2)), 8, packed(2)))), coopmap.CodeInvalid, "fewer positions"},
	} {
		_, err := parse("x.osm.pbf", c.in)
		if coopmap.ErrorCode(err) != c.code || !strings.Contains(fmt.Sprint(err), c.msg) {
			t.Errorf("%s: got %v, want a %s error containing %q", name, err, c.code, c.msg)
		}
	}
	// Plain (non-dense) nodes, which some PBF readers cannot read at all.
	r, err := parse("x.osm.pbf", good)
	if err != nil || len(r.Features) != 1 || r.Features[0].Geometry != (orb.Point{-0.1, 51.5}) {
		t.Errorf("plain nodes: %v %+v", err, r.Features)
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		name, in string
		code     coopmap.Code
		contains string
	}{
		{"empty", "", coopmap.CodeInvalid, "no root element"},
		{"json", `{"type":"FeatureCollection"}`, coopmap.CodeInvalid, "not XML"},
		{"gpx", `<gpx version="1.1"></gpx>`, coopmap.CodeInvalid, "not OSM: the root element is <gpx>"},
		{"truncated", `<osm><node id="1" lat="1" lon="2"><tag k="name" v="A"/>`, coopmap.CodeInvalid, "truncated"},
		{"bzip2 garbage", "BZh91AY&SY" + strings.Repeat("x", 100), coopmap.CodeInvalid, "bzip2"},
		{"gzip garbage", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + strings.Repeat("x", 100), coopmap.CodeInvalid, "gzip"},
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE osm [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><osm><node id="1" lat="1" lon="2"><tag k="name" v="&lol2;"/></node></osm>`, coopmap.CodeInvalid, "DOCTYPE"},
		{"external entity", `<?xml version="1.0"?><!DOCTYPE osm [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><osm><node id="1" lat="1" lon="2"><tag k="name" v="&xxe;"/></node></osm>`, coopmap.CodeInvalid, "DOCTYPE"},
		{"deep", "<osm>" + strings.Repeat("<bounds>", 300) + strings.Repeat("</bounds>", 300) + "</osm>", coopmap.CodeTooLarge, "deeper than"},
	} {
		start := time.Now()
		_, err := parse("t.osm", []byte(c.in))
		if coopmap.ErrorCode(err) != c.code || !strings.Contains(fmt.Sprint(err), c.contains) {
			t.Errorf("%s: got %v, want a %s error containing %q", c.name, err, c.code, c.contains)
		}
		if time.Since(start) > time.Second {
			t.Errorf("%s: took %v", c.name, time.Since(start))
		}
	}
}

func TestStop(t *testing.T) {
	in := readFile(t, "andorra-la-vella.osm.pbf")
	r := &importertest.Recorder{StopAfter: 3}
	if err := osm.Parse(context.Background(), bytes.NewReader(in), "t", r); err != importertest.ErrStop {
		t.Errorf("got %v, want the emitter's error unchanged", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := osm.Parse(ctx, bytes.NewReader(in), "t", &importertest.Recorder{}); err != context.Canceled {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
