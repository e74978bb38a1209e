package gpx_test

import (
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
	"github.com/coopmap/coopmap/importers/gpx"
	"github.com/coopmap/coopmap/importers/internal/importertest"
)

const dir = "../../testdata/gpx"

// geometry renders small geometries in full and long lines as type,
// position count and bounds.
func geometry(g orb.Geometry) string {
	if importertest.Positions(g) <= 4 {
		return wkt.MarshalString(g)
	}
	return importertest.Outline(g)
}

func parseFile(t *testing.T, name string) (*importertest.Recorder, error) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := &importertest.Recorder{}
	return r, gpx.Parse(context.Background(), f, name, r)
}

func parse(in string) (*importertest.Recorder, error) {
	r := &importertest.Recorder{}
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
			if len(r.Features) != c.features || len(r.Problems) != c.problems {
				t.Errorf("got %d features and %d problems, want %d and %d\n%s", len(r.Features), len(r.Problems), c.features, c.problems, strings.Join(r.Problems, "\n"))
			}
			for i, f := range r.Features {
				if f.ID == "" || f.Precision != coopmap.PrecisionExact {
					t.Errorf("%s: id %q precision %q", r.Wheres[i], f.ID, f.Precision)
				}
			}
			importertest.Golden(t, filepath.Join(dir, strings.TrimSuffix(c.file, ".gpx")+".golden"), r.Summary(geometry))
		})
	}
}

func TestDetails(t *testing.T) {
	r, err := parseFile(t, "gdal.gpx")
	if err != nil {
		t.Fatal(err)
	}
	w := r.Features[0]
	if w.Name != "waypoint name" || w.Description != "waypoint description" || w.Geometry != (orb.Point{1, 0}) ||
		w.Properties["cmt"] != "waypoint comment" || w.Properties["ele"] != 2.0 || w.Properties["link"] != "href" ||
		w.Properties["time"] != "2007-11-25T17:58:00+01:00" {
		t.Errorf("waypoint: %+v", w)
	}
	if r.Wheres[0] != "gdal.gpx: /gpx/wpt[1]" || r.Wheres[2] != "gdal.gpx: /gpx/rte[1]" || r.Wheres[3] != "gdal.gpx: /gpx/trk[1]" {
		t.Errorf("wheres: %q", r.Wheres)
	}
	if _, ok := r.Features[3].Geometry.(orb.MultiLineString); !ok {
		t.Errorf("two-segment track is %T, want MultiLineString", r.Features[3].Geometry)
	}
	if !strings.Contains(r.Problems[0], "/gpx/rte[2]: the route has no points") {
		t.Errorf("problem: %q", r.Problems[0])
	}

	r, _ = parseFile(t, "bad.gpx")
	for _, want := range []string{`/gpx/trk[1]: trkseg[1]/trkpt[1]: lon "undefined" is not a number`, `/gpx/wpt[2]: lon "x" is not a number`, `/gpx/rte[1]: rtept[1]: lon "undefined"`} {
		if !strings.Contains(strings.Join(r.Problems, "\n"), want) {
			t.Errorf("bad.gpx: no problem %q in\n%s", want, strings.Join(r.Problems, "\n"))
		}
	}

	r, _ = parseFile(t, "latin1.gpx")
	if r.Features[0].Name != "Café Coöp" || r.Features[0].Description != "Crème brûlée, ½ price" {
		t.Errorf("ISO-8859-1: %q %q", r.Features[0].Name, r.Features[0].Description)
	}
	r, _ = parseFile(t, "cp1252.gpx")
	if r.Features[0].Name != "Bäckerei “Genossenschaft”" || r.Features[0].Description != "Loaves €2 – fair price" {
		t.Errorf("Windows-1252: %q %q", r.Features[0].Name, r.Features[0].Description)
	}
	r, _ = parseFile(t, "utf16.gpx")
	if r.Features[0].Name != "Ünïcode Coop" {
		t.Errorf("UTF-16: %q", r.Features[0].Name)
	}
	r, err = parse("\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx><wpt lat=\"1\" lon=\"2\"/></gpx>")
	if err != nil || len(r.Features) != 1 {
		t.Errorf("UTF-8 with a byte order mark: %v %+v", err, r)
	}
}

func TestKeysStable(t *testing.T) {
	a, _ := parseFile(t, "blue_hills.gpx")
	b, _ := parseFile(t, "blue_hills.gpx")
	seen := map[string]bool{}
	for i := range a.Features {
		if a.Features[i].ID != b.Features[i].ID {
			t.Errorf("%s: key changed between parses", a.Wheres[i])
		}
		if seen[a.Features[i].ID] {
			t.Errorf("%s: duplicate key %s", a.Wheres[i], a.Features[i].ID)
		}
		seen[a.Features[i].ID] = true
	}
	moved, _ := parse(`<gpx><wpt lat="1" lon="2"><name>A</name></wpt><wpt lat="1" lon="2.1"><name>A</name></wpt><wpt lat="1" lon="2"><name>B</name></wpt></gpx>`)
	if k := moved.Features; k[0].ID == k[1].ID || k[0].ID == k[2].ID {
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
		if len(r.Features) != 0 || time.Since(start) > time.Second {
			t.Errorf("%s: emitted %d features in %v", name, len(r.Features), time.Since(start))
		}
	}
	// A DOCTYPE without entities is harmless; its DTD is never fetched.
	r, err := parse(`<?xml version="1.0"?><!DOCTYPE gpx SYSTEM "` + srv.URL + `/gpx.dtd"><gpx><wpt lat="1" lon="2"><link href="` + srv.URL + `/x"/></wpt></gpx>`)
	if err != nil || len(r.Features) != 1 {
		t.Errorf("plain DOCTYPE: %v %+v", err, r)
	}
	if hits.Load() != 0 {
		t.Errorf("the parser fetched a URL from its input %d times", hits.Load())
	}
}

func TestTokenLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds inputs of 8 and 32 MiB")
	}
	big := `<gpx><wpt lat="1" lon="2"><name>` + strings.Repeat("x", gpx.MaxTokenSize+64<<10) + `</name></wpt></gpx>`
	if _, err := parse(big); !errors.Is(err, coopmap.ErrTooLarge) {
		t.Errorf("huge text: got %v, want a too-large error", err)
	}
	// Many small pieces of text in one record add up against the record's
	// limit, which is larger than a token's.
	pieces := func(mib int) string {
		var b bytes.Buffer
		b.WriteString(`<gpx><wpt lat="1" lon="2"><desc>`)
		chunk := strings.Repeat("y", 1<<20) + "<!-- -->"
		for range mib {
			b.WriteString(chunk)
		}
		b.WriteString(`</desc></wpt></gpx>`)
		return b.String()
	}
	if _, err := parse(pieces(gpx.MaxTokenSize>>20 + 2)); err != nil {
		t.Errorf("text in pieces over one token's limit, under the record's: %v", err)
	}
	if _, err := parse(pieces(gpx.MaxRecordText>>20 + 1)); !errors.Is(err, coopmap.ErrTooLarge) {
		t.Errorf("text in pieces over the record's limit: got %v, want a too-large error", err)
	}
}

func TestStop(t *testing.T) {
	f, err := os.Open(filepath.Join(dir, "wpt.gpx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := gpx.Parse(context.Background(), f, "wpt.gpx", &importertest.Recorder{StopAfter: 3}); err != importertest.ErrStop {
		t.Errorf("got %v, want the emitter's error unchanged", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := gpx.Parse(ctx, strings.NewReader(`<gpx><wpt lat="1" lon="2"/></gpx>`), "t", &importertest.Recorder{}); err != context.Canceled {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
