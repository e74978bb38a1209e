package kml_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers/internal/importertest"
	"github.com/coopmap/coopmap/importers/kml"
)

const dir = "../../testdata/kml"

// geometry renders small geometries in full and large ones as type,
// position count and bounds.
func geometry(g orb.Geometry) string {
	if s := wkt.MarshalString(g); len(s) <= 300 {
		return s
	}
	return importertest.Outline(g)
}

func parseBytes(name string, b []byte) (*importertest.Recorder, error) {
	r := &importertest.Recorder{}
	return r, kml.Parse(context.Background(), bytes.NewReader(b), name, r)
}

func parseFile(t *testing.T, name string) (*importertest.Recorder, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return parseBytes(name, b)
}

func parse(in string) (*importertest.Recorder, error) { return parseBytes("t.kml", []byte(in)) }

// TestFixtures checks every real KML file: how many placemarks become
// features and how many are problems, and the full output against a
// golden file.
func TestFixtures(t *testing.T) {
	for _, c := range []struct {
		file               string
		features, problems int
	}{
		// Location history: 15 placemarks, 8 with an empty Point and an
		// empty gx:Track, the rest with a track of one or more positions.
		{"addresses.kml", 7, 8},
		{"bad.kml", 0, 3},
		{"cdata.kml", 1, 0},
		{"extended_data.kml", 1, 0},
		{"ground_overlay.kml", 0, 1},
		{"ground_overlay_quad.kml", 0, 1},
		{"gxmultitrack.kml", 3, 0},
		{"gxtrack.kml", 1, 0},
		{"inline_style.kml", 3, 0},
		{"inline_style_mini.kml", 1, 0},
		{"linear_ring.kml", 1, 0},
		{"linestring.kml", 2, 0},
		{"literal_color.kml", 1, 0},
		{"multigeometry.kml", 1, 0},
		{"multigeometry_discrete.kml", 1, 0},
		{"multigeometry_sibling.kml", 1, 0},
		{"multitrack.kml", 3, 0},
		{"networklink.kml", 0, 1},
		{"nogeomplacemark.kml", 0, 1},
		{"non_gx_multitrack.kml", 3, 0},
		{"noname.kml", 1, 0},
		{"null_geometry.kml", 0, 1},
		{"opacity_override.kml", 1, 0},
		{"point.kml", 1, 0},
		{"point_extra_coordinates.kml", 1, 0},
		{"point_id.kml", 1, 0},
		{"polygon.kml", 1, 0},
		{"schema.kml", 1, 0},
		{"selfclosing.kml", 0, 1},
		{"simpledata.kml", 2, 0},
		{"style.kml", 3, 0},
		{"style_url.kml", 1, 0},
		{"styles.kml", 2, 0},
		{"timespan.kml", 1, 0},
		{"twopoints.kml", 2, 0},
		{"mymaps.kml", 4, 3},
		{"latin1.kml", 1, 0},
	} {
		t.Run(c.file, func(t *testing.T) {
			r, err := parseFile(t, c.file)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Features) != c.features || len(r.Problems) != c.problems {
				t.Errorf("got %d features and %d problems, want %d and %d\n%s", len(r.Features), len(r.Problems), c.features, c.problems, strings.Join(r.Problems, "\n"))
			}
			for i, f := range r.Features {
				if f.ID == "" || f.Geometry == nil || f.Precision != coopmap.PrecisionExact {
					t.Errorf("%s: id %q geometry %v precision %q", r.Wheres[i], f.ID, f.Geometry, f.Precision)
				}
			}
			importertest.Golden(t, filepath.Join(dir, strings.TrimSuffix(c.file, ".kml")+".golden"), r.Summary(geometry))
		})
	}
}

func TestGeometryKinds(t *testing.T) {
	for _, c := range []struct {
		file string
		i    int
		want string
	}{
		{"polygon.kml", 0, "Polygon"},
		{"linear_ring.kml", 0, "Polygon"},
		{"multigeometry.kml", 0, "MultiLineString"},
		{"multigeometry_discrete.kml", 0, "GeometryCollection"},
		{"multigeometry_sibling.kml", 0, "MultiLineString"},
		{"gxtrack.kml", 0, "LineString"},
		{"gxmultitrack.kml", 1, "MultiLineString"},
		{"addresses.kml", 1, "Point"},
	} {
		r, err := parseFile(t, c.file)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Features[c.i].Geometry.GeoJSONType(); got != c.want {
			t.Errorf("%s[%d]: %s, want %s", c.file, c.i, got, c.want)
		}
	}
	r, _ := parseFile(t, "polygon.kml")
	if p := r.Features[0].Geometry.(orb.Polygon); len(p) != 2 || len(p[0]) != 5 || len(p[1]) != 5 {
		t.Errorf("polygon with a hole: %v", p)
	}
	r, _ = parseFile(t, "multigeometry_sibling.kml")
	if ml := r.Features[0].Geometry.(orb.MultiLineString); len(ml) != 23 {
		t.Errorf("nested MultiGeometry flattened to %d lines, want 23", len(ml))
	}
	r, _ = parseFile(t, "timespan.kml")
	if p := r.Features[0].Geometry.(orb.Polygon); len(p[0]) != 4 || p[0][0] != p[0][3] {
		t.Errorf("open ring not closed: %v", p)
	}
}

func TestMyMaps(t *testing.T) {
	r, err := parseFile(t, "mymaps.kml")
	if err != nil {
		t.Fatal(err)
	}
	f := r.Features[0]
	if f.Name != "Growing Communities" || f.Website != "https://www.growingcommunities.org" || f.Email != "info@example.org" || f.Postcode != "N16 7XY" {
		t.Errorf("well-known ExtendedData not mapped: %+v", f)
	}
	if f.Properties["folder"] != "Food co-ops" || f.Properties["Sector"] != "Food" || f.Properties["Website"] != nil {
		t.Errorf("properties: %v", f.Properties)
	}
	if !strings.Contains(f.Description, "<b>Tue–Sat</b>") || !strings.Contains(f.Description, `<a href="https://example.org/x">`) {
		t.Errorf("CDATA HTML not kept as text: %q", f.Description)
	}
	if r.Wheres[0] != `mymaps.kml: Document/Folder[1]/Placemark[1] "Growing Communities"` {
		t.Errorf("where = %q", r.Wheres[0])
	}
	line := r.Features[1]
	if line.Website != "" || line.Properties["url"] != "www.not-a-full-url.example" || line.Description != "Walk between <b>markets</b> & shops" {
		t.Errorf("second placemark: %+v", line)
	}
	if l := line.Geometry.(orb.LineString); len(l) != 3 || l[0] != (orb.Point{-0.0756, 51.5612}) {
		t.Errorf("spaces after commas mis-read: %v", l)
	}
	if stop := r.Features[2]; stop.ID != "stop-1" || stop.Properties["folder"] != "Tours / Tour 1" {
		t.Errorf("nested folder: %+v", stop)
	}
	if late := r.Features[3]; late.Properties["folder"] != "Tours / Folder[2]" {
		t.Errorf("folder named after its placemarks: %v", late.Properties["folder"])
	}
	all := strings.Join(r.Problems, "\n")
	for _, want := range []string{
		`Document/NetworkLink[1] "Live data": a NetworkLink is not supported`,
		`Document/Placemark[1] "Statue": a 3D Model is not supported`,
		`Document/Placemark[2] "Coords NaN": coordinates: position 1: "NaN" is not a number`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no problem %q in\n%s", want, all)
		}
	}

	r, _ = parseFile(t, "latin1.kml")
	if f := r.Features[0]; f.Name != "Café Coopérative" || f.Description != "Crème brûlée" || f.Properties["folder"] != "Cafés" {
		t.Errorf("ISO-8859-1: %+v", f)
	}
	r, _ = parseFile(t, "cdata.kml")
	if r.Features[0].Description != "Here is some text" {
		t.Errorf("CDATA description: %q", r.Features[0].Description)
	}
}

// kmz builds a zip archive of the given files, in order.
func kmz(t *testing.T, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for i := 0; i < len(files); i += 2 {
		f, err := w.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(files[i+1]))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestKMZ(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(dir, "mymaps.kml"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := parseBytes("mymaps.kmz", doc)

	r, err := parseBytes("mymaps.kmz", kmz(t, "images/icon.png", "\x89PNG", "other.kml", "<kml/>", "doc.kml", string(doc)))
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary(geometry) != want.Summary(geometry) {
		t.Errorf("KMZ read differently from its doc.kml:\n%s", r.Summary(geometry))
	}
	r, err = parseBytes("x.kmz", kmz(t, "files/a.png", "x", "Layers/Places.KML", string(doc)))
	if err != nil || len(r.Features) != 4 {
		t.Errorf("KMZ without doc.kml: %v, %d features", err, len(r.Features))
	}

	many := make([]string, 0, 2*(kml.MaxKMZEntries+1))
	for i := range kml.MaxKMZEntries + 1 {
		many = append(many, fmt.Sprintf("f%d.kml", i), "")
	}
	whole := kmz(t, "doc.kml", string(doc))
	for name, c := range map[string]struct {
		in   []byte
		code coopmap.Code
		msg  string
	}{
		"no kml":      {kmz(t, "a.png", "x"), coopmap.CodeInvalid, "no .kml file"},
		"truncated":   {whole[:len(whole)/2], coopmap.CodeInvalid, "not a KMZ"},
		"too many":    {kmz(t, many...), coopmap.CodeTooLarge, "limit is 1000"},
		"bad kml":     {kmz(t, "doc.kml", "<kml><Placemark>"), coopmap.CodeInvalid, "truncated"},
		"not kml xml": {kmz(t, "doc.kml", "<gpx/>"), coopmap.CodeInvalid, "not KML"},
	} {
		_, err := parseBytes("x.kmz", c.in)
		if coopmap.ErrorCode(err) != c.code || !strings.Contains(fmt.Sprint(err), c.msg) {
			t.Errorf("%s: got %v, want a %s error containing %q", name, err, c.code, c.msg)
		}
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
		{"gpx", `<gpx version="1.1"></gpx>`, coopmap.CodeInvalid, "not KML: the root element is <gpx>"},
		{"truncated", `<kml><Document><Placemark><name>A</na`, coopmap.CodeInvalid, "truncated"},
		{"unclosed", `<kml><Document><Placemark>`, coopmap.CodeInvalid, "truncated"},
		{"deep", "<kml>" + strings.Repeat("<Folder>", 300) + strings.Repeat("</Folder>", 300) + "</kml>", coopmap.CodeTooLarge, "deeper than"},
		{"encoding", `<?xml version="1.0" encoding="Shift_JIS"?><kml/>`, coopmap.CodeInvalid, "unsupported encoding"},
	} {
		_, err := parse(c.in)
		if coopmap.ErrorCode(err) != c.code || !strings.Contains(fmt.Sprint(err), c.contains) {
			t.Errorf("%s: got %v, want a %s error containing %q", c.name, err, c.code, c.contains)
		}
	}
}

// TestXMLAttacks checks that entity tricks are refused quickly with a
// clear error, and that nothing named in the file is fetched.
func TestXMLAttacks(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `<!ENTITY x "fetched">`)
	}))
	defer srv.Close()

	var lol strings.Builder
	lol.WriteString("<?xml version=\"1.0\"?>\n<!DOCTYPE kml [\n <!ENTITY lol \"lol\">\n")
	for i := 2; i <= 9; i++ {
		prev := fmt.Sprintf("&lol%d;", i-1)
		if i == 2 {
			prev = "&lol;"
		}
		fmt.Fprintf(&lol, " <!ENTITY lol%d \"%s\">\n", i, strings.Repeat(prev, 10))
	}
	lol.WriteString("]>\n<kml><Placemark><name>&lol9;</name><Point><coordinates>1,2</coordinates></Point></Placemark></kml>")

	for name, in := range map[string]string{
		"billion laughs":  lol.String(),
		"external entity": `<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><kml><Placemark><name>&xxe;</name><Point><coordinates>1,2</coordinates></Point></Placemark></kml>`,
		"remote entity":   `<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY % dtd SYSTEM "` + srv.URL + `/evil.dtd"> %dtd;]><kml/>`,
	} {
		start := time.Now()
		r, err := parse(in)
		if coopmap.ErrorCode(err) != coopmap.CodeInvalid || !strings.Contains(err.Error(), "DOCTYPE") {
			t.Errorf("%s: got %v, want an invalid error naming the DOCTYPE", name, err)
		}
		if len(r.Features) != 0 || time.Since(start) > time.Second {
			t.Errorf("%s: emitted %d features in %v", name, len(r.Features), time.Since(start))
		}
	}
	r, err := parse(`<!DOCTYPE kml SYSTEM "` + srv.URL + `/kml.dtd"><kml><NetworkLink><Link><href>` + srv.URL + `/x.kml</href></Link></NetworkLink>` +
		`<GroundOverlay><Icon><href>` + srv.URL + `/x.png</href></Icon></GroundOverlay></kml>`)
	if err != nil || len(r.Problems) != 2 {
		t.Errorf("links: %v %+v", err, r)
	}
	if hits.Load() != 0 {
		t.Errorf("the parser fetched a URL from its input %d times", hits.Load())
	}
}

func TestTokenLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an 8 MiB input")
	}
	big := `<kml><Placemark><description>` + strings.Repeat("x", kml.MaxTokenSize+64<<10) + `</description></Placemark></kml>`
	if _, err := parse(big); !errors.Is(err, coopmap.ErrTooLarge) {
		t.Errorf("got %v, want a too-large error", err)
	}
}

func TestStop(t *testing.T) {
	b, _ := os.ReadFile(filepath.Join(dir, "twopoints.kml"))
	r := &importertest.Recorder{StopAfter: 1}
	if err := kml.Parse(context.Background(), bytes.NewReader(b), "t", r); err != importertest.ErrStop {
		t.Errorf("got %v, want the emitter's error unchanged", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := kml.Parse(ctx, bytes.NewReader(b), "t", &importertest.Recorder{}); err != context.Canceled {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
