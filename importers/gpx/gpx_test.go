package gpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
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
	"github.com/coopmap/coopmap/importers/gpx"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const dir = "../../testdata/gpx"

// recorder is an importers.Emitter that keeps what it is given.
type recorder struct {
	features  []coopmap.Feature
	wheres    []string
	problems  []string
	stopAfter int
}

var errStop = errors.New("stop")

func (r *recorder) Feature(f coopmap.Feature, where string) error {
	if r.stopAfter > 0 && len(r.features) >= r.stopAfter {
		return errStop
	}
	r.features = append(r.features, f)
	r.wheres = append(r.wheres, where)
	return nil
}

func (r *recorder) Problem(where, reason string) { r.problems = append(r.problems, where+": "+reason) }

// summary renders what was emitted for golden files: small geometries in
// full, large ones as type, position count and bounds.
func (r *recorder) summary() string {
	var b strings.Builder
	for i, f := range r.features {
		fmt.Fprintf(&b, "%s\n\tid=%q name=%q precision=%s\n\tgeometry=%s\n", r.wheres[i], f.ID, f.Name, f.Precision, geometry(f.Geometry))
		if f.Description != "" {
			fmt.Fprintf(&b, "\tdescription=%q\n", f.Description)
		}
		if f.Properties != nil {
			props, _ := json.Marshal(f.Properties)
			fmt.Fprintf(&b, "\tproperties=%s\n", props)
		}
	}
	for _, p := range r.problems {
		fmt.Fprintf(&b, "PROBLEM %s\n", p)
	}
	return b.String()
}

func geometry(g orb.Geometry) string {
	n := 0
	switch g := g.(type) {
	case orb.LineString:
		n = len(g)
	case orb.MultiLineString:
		for _, l := range g {
			n += len(l)
		}
	}
	if n <= 4 {
		return wkt.MarshalString(g)
	}
	bd := g.Bound()
	return fmt.Sprintf("%s of %d positions in [%.6f %.6f, %.6f %.6f]", g.GeoJSONType(), n, bd.Min[0], bd.Min[1], bd.Max[0], bd.Max[1])
}

func parseFile(t *testing.T, name string) (*recorder, error) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := &recorder{}
	return r, gpx.Parse(context.Background(), f, name, r)
}

func parse(in string) (*recorder, error) {
	r := &recorder{}
	return r, gpx.Parse(context.Background(), strings.NewReader(in), "t.gpx", r)
}

// TestFixtures checks every real GPX file: how many records become
// features and how many are problems (cross-checked against ogrinfo's
// record counts: features + problems = wpt + rte + trk), and the full
// output against a golden file.
func TestFixtures(t *testing.T) {
	for _, c := range []struct {
		file               string
		features, problems int
	}{
		{"Friday-Evening-Run.gpx", 1, 0},
		{"apple_watch_route.gpx", 1, 0},
		{"bad.gpx", 0, 4},
		{"blue_hills.gpx", 49, 0},
		{"empty_ele.gpx", 1, 0},
		{"empty_trk.gpx", 0, 1},
		{"garmin_extensions.gpx", 4, 3},
		{"gdal.gpx", 4, 3},
		{"missing_hr.gpx", 1, 0},
		{"multitrackgpx.gpx", 3, 0},
		{"north_core.gpx", 10, 0},
		{"opencpn.gpx", 1, 0},
		{"osm.gpx", 3, 0},
		{"run.gpx", 1, 0},
		{"run_gpxtpx.gpx", 1, 0},
		{"strava.gpx", 1, 0},
		{"style.gpx", 21, 0},
		{"trek.gpx", 1, 0},
		{"trek_no_rtept.gpx", 0, 1},
		{"unique_trkpt.gpx", 0, 1},
		{"wpt.gpx", 40, 0},
		{"zero_elevation.gpx", 1, 0},
		{"latin1.gpx", 1, 0},
		{"cp1252.gpx", 1, 0},
		{"utf16.gpx", 1, 0},
	} {
		t.Run(c.file, func(t *testing.T) {
			r, err := parseFile(t, c.file)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.features) != c.features || len(r.problems) != c.problems {
				t.Errorf("got %d features and %d problems, want %d and %d\n%s", len(r.features), len(r.problems), c.features, c.problems, strings.Join(r.problems, "\n"))
			}
			for i, f := range r.features {
				if f.ID == "" || f.Precision != coopmap.PrecisionExact {
					t.Errorf("%s: id %q precision %q", r.wheres[i], f.ID, f.Precision)
				}
			}
			golden(t, filepath.Join(dir, strings.TrimSuffix(c.file, ".gpx")+".golden"), r.summary())
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", path, got)
	}
}

func TestDetails(t *testing.T) {
	r, err := parseFile(t, "gdal.gpx")
	if err != nil {
		t.Fatal(err)
	}
	w := r.features[0]
	if w.Name != "waypoint name" || w.Description != "waypoint description" || w.Geometry != (orb.Point{1, 0}) ||
		w.Properties["cmt"] != "waypoint comment" || w.Properties["ele"] != 2.0 || w.Properties["link"] != "href" ||
		w.Properties["time"] != "2007-11-25T17:58:00+01:00" {
		t.Errorf("waypoint: %+v", w)
	}
	if r.wheres[0] != "gdal.gpx: /gpx/wpt[1]" || r.wheres[2] != "gdal.gpx: /gpx/rte[1]" || r.wheres[3] != "gdal.gpx: /gpx/trk[1]" {
		t.Errorf("wheres: %q", r.wheres)
	}
	if _, ok := r.features[3].Geometry.(orb.MultiLineString); !ok {
		t.Errorf("two-segment track is %T, want MultiLineString", r.features[3].Geometry)
	}
	if !strings.Contains(r.problems[0], "/gpx/rte[2]: the route has no points") {
		t.Errorf("problem: %q", r.problems[0])
	}

	r, _ = parseFile(t, "bad.gpx")
	for _, want := range []string{`/gpx/trk[1]: trkseg[1]/trkpt[1]: lon "undefined" is not a number`, `/gpx/wpt[2]: lon "x" is not a number`, `/gpx/rte[1]: rtept[1]: lon "undefined"`} {
		if !strings.Contains(strings.Join(r.problems, "\n"), want) {
			t.Errorf("bad.gpx: no problem %q in\n%s", want, strings.Join(r.problems, "\n"))
		}
	}

	r, _ = parseFile(t, "latin1.gpx")
	if r.features[0].Name != "Café Coöp" || r.features[0].Description != "Crème brûlée, ½ price" {
		t.Errorf("ISO-8859-1: %q %q", r.features[0].Name, r.features[0].Description)
	}
	r, _ = parseFile(t, "cp1252.gpx")
	if r.features[0].Name != "Bäckerei “Genossenschaft”" || r.features[0].Description != "Loaves €2 – fair price" {
		t.Errorf("Windows-1252: %q %q", r.features[0].Name, r.features[0].Description)
	}
	r, _ = parseFile(t, "utf16.gpx")
	if r.features[0].Name != "Ünïcode Coop" {
		t.Errorf("UTF-16: %q", r.features[0].Name)
	}
	r, err = parse("\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx><wpt lat=\"1\" lon=\"2\"/></gpx>")
	if err != nil || len(r.features) != 1 {
		t.Errorf("UTF-8 with a byte order mark: %v %+v", err, r)
	}
}

func TestKeysStable(t *testing.T) {
	a, _ := parseFile(t, "blue_hills.gpx")
	b, _ := parseFile(t, "blue_hills.gpx")
	seen := map[string]bool{}
	for i := range a.features {
		if a.features[i].ID != b.features[i].ID {
			t.Errorf("%s: key changed between parses", a.wheres[i])
		}
		if seen[a.features[i].ID] {
			t.Errorf("%s: duplicate key %s", a.wheres[i], a.features[i].ID)
		}
		seen[a.features[i].ID] = true
	}
	moved, _ := parse(`<gpx><wpt lat="1" lon="2"><name>A</name></wpt><wpt lat="1" lon="2.1"><name>A</name></wpt><wpt lat="1" lon="2"><name>B</name></wpt></gpx>`)
	if k := moved.features; k[0].ID == k[1].ID || k[0].ID == k[2].ID {
		t.Error("moving or renaming a waypoint kept its key")
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
		{"kml", `<kml xmlns="http://www.opengis.net/kml/2.2"></kml>`, coopmap.CodeInvalid, "not GPX: the root element is <kml>"},
		{"truncated", `<gpx><wpt lat="1" lon="2"><name>A</na`, coopmap.CodeInvalid, "truncated"},
		{"unclosed", `<gpx><wpt lat="1" lon="2">`, coopmap.CodeInvalid, "truncated"},
		{"mismatched", `<gpx><wpt lat="1" lon="2"></trk></gpx>`, coopmap.CodeInvalid, "malformed XML"},
		{"entity", `<gpx><wpt lat="1" lon="2"><name>&nbsp;</name></wpt></gpx>`, coopmap.CodeInvalid, "malformed XML"},
		{"encoding", `<?xml version="1.0" encoding="EBCDIC"?><gpx></gpx>`, coopmap.CodeInvalid, "unsupported encoding"},
		{"deep", "<gpx>" + strings.Repeat("<extensions>", 300) + strings.Repeat("</extensions>", 300) + "</gpx>", coopmap.CodeTooLarge, "deeper than"},
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
	lol.WriteString("<?xml version=\"1.0\"?>\n<!DOCTYPE gpx [\n <!ENTITY lol \"lol\">\n")
	for i := 2; i <= 9; i++ {
		fmt.Fprintf(&lol, " <!ENTITY lol%d \"%s\">\n", i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	lol.WriteString("]>\n<gpx><wpt lat=\"1\" lon=\"2\"><name>&lol9;</name></wpt></gpx>")

	for name, in := range map[string]string{
		"billion laughs":  strings.ReplaceAll(lol.String(), "&lol1;", "&lol;"),
		"external entity": `<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><gpx><wpt lat="1" lon="2"><name>&xxe;</name></wpt></gpx>`,
		"remote entity":   `<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY % dtd SYSTEM "` + srv.URL + `/evil.dtd"> %dtd;]><gpx><wpt lat="1" lon="2"><name>&x;</name></wpt></gpx>`,
	} {
		start := time.Now()
		r, err := parse(in)
		if coopmap.ErrorCode(err) != coopmap.CodeInvalid || !strings.Contains(err.Error(), "DOCTYPE") {
			t.Errorf("%s: got %v, want an invalid error naming the DOCTYPE", name, err)
		}
		if len(r.features) != 0 || time.Since(start) > time.Second {
			t.Errorf("%s: emitted %d features in %v", name, len(r.features), time.Since(start))
		}
	}
	// A DOCTYPE without entities is harmless; its DTD is never fetched.
	r, err := parse(`<?xml version="1.0"?><!DOCTYPE gpx SYSTEM "` + srv.URL + `/gpx.dtd"><gpx><wpt lat="1" lon="2"><link href="` + srv.URL + `/x"/></wpt></gpx>`)
	if err != nil || len(r.features) != 1 {
		t.Errorf("plain DOCTYPE: %v %+v", err, r)
	}
	if hits.Load() != 0 {
		t.Errorf("the parser fetched a URL from its input %d times", hits.Load())
	}
}

func TestTokenLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 32 MiB inputs")
	}
	big := `<gpx><wpt lat="1" lon="2"><name>` + strings.Repeat("x", gpx.MaxTokenSize+64<<10) + `</name></wpt></gpx>`
	if _, err := parse(big); !errors.Is(err, coopmap.ErrTooLarge) {
		t.Errorf("huge text: got %v, want a too-large error", err)
	}
	// Many small pieces of text in one record add up against the same limit.
	var b bytes.Buffer
	b.WriteString(`<gpx><wpt lat="1" lon="2"><desc>`)
	chunk := strings.Repeat("y", 1<<20) + "<!-- -->"
	for range gpx.MaxTokenSize>>20 + 1 {
		b.WriteString(chunk)
	}
	b.WriteString(`</desc></wpt></gpx>`)
	if _, err := parse(b.String()); !errors.Is(err, coopmap.ErrTooLarge) {
		t.Errorf("text in pieces: got %v, want a too-large error", err)
	}
}

func TestStop(t *testing.T) {
	f, err := os.Open(filepath.Join(dir, "wpt.gpx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := gpx.Parse(context.Background(), f, "wpt.gpx", &recorder{stopAfter: 3}); err != errStop {
		t.Errorf("got %v, want the emitter's error unchanged", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := gpx.Parse(ctx, strings.NewReader(`<gpx><wpt lat="1" lon="2"/></gpx>`), "t", &recorder{}); err != context.Canceled {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
