package export_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"iter"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/export"
	"github.com/coopmap/coopmap/importers"
	importcsv "github.com/coopmap/coopmap/importers/csv"
	importgeojson "github.com/coopmap/coopmap/importers/geojson"
	importgpx "github.com/coopmap/coopmap/importers/gpx"
	importkml "github.com/coopmap/coopmap/importers/kml"
	"github.com/coopmap/coopmap/store/sqlite"
)

// testSource has markup and quotes in its provenance, which every format
// must carry intact.
var testSource = coopmap.Source{
	ID:          "coops",
	Title:       `Test co-ops <b>"&"</b>`,
	Kind:        coopmap.KindCoops,
	Licence:     coopmap.Licence{ID: "ODC-By-1.0"},
	Attribution: `Contains data from Co-operatives UK & "friends" <script>x</script> ]]>`,
	Owner:       "Co-operatives UK",
	Origin:      "https://www.uk.coop/open-data?year=2024&q=a b",
	RetrievedAt: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
}

// hostile is text every format must keep as data.
const hostile = "Fish & Chips \"Co-op\", Ltd\nline two, <script>alert('x')</script> ]]> \t🚲 𝄞 ünïcode"

// fixture returns features of every geometry type with hostile text. Its
// text round-trips through every format (see hostileControl for what
// does not).
func fixture() []coopmap.Feature {
	id := func(k string) string { return coopmap.FeatureID("coops", k) }
	return []coopmap.Feature{
		{ID: id("R001"), SourceID: "coops", Name: hostile, Sector: "Food, drink", OrgType: "Worker co-op",
			Address: "1 High St, Leeds", Postcode: "LS1 1AA", Website: "https://example.coop/a?b=1&c=2",
			Email: "info@example.coop", Description: hostile + "\nmore", Founded: "1844", Status: "active",
			Properties: map[string]any{"legal_form": "Society", "members": 12.5, "name": "clashes with the field",
				"tags": []any{"a", "b"}, "open": true},
			Geometry: orb.Point{-1.5491, 53.8008}, Precision: coopmap.PrecisionPostcode},
		{ID: id("R002"), SourceID: "coops", Name: "A line", Sector: "Transport",
			Geometry: orb.LineString{{-0.1, 51.5}, {-0.12, 51.52}, {-0.125, 51.53}}, Precision: coopmap.PrecisionExact},
		{ID: id("key with spaces/and slashes"), SourceID: "coops", Name: "Hashed key, polygon with a hole",
			Geometry: orb.Polygon{
				{{0, 50}, {1, 50}, {1, 51}, {0, 51}, {0, 50}},
				{{0.2, 50.2}, {0.2, 50.8}, {0.8, 50.8}, {0.8, 50.2}, {0.2, 50.2}},
			}, Precision: coopmap.PrecisionArea},
		{ID: id("R004"), SourceID: "coops", Name: "Two places",
			Geometry: orb.MultiPoint{{-3.1, 55.9}, {-4.25, 55.86}}, Precision: coopmap.PrecisionExact},
		{ID: id("R005"), SourceID: "coops", Name: "Two lines",
			Geometry: orb.MultiLineString{{{1, 52}, {1.1, 52.1}}, {{1.2, 52.2}, {1.3, 52.3}}}, Precision: coopmap.PrecisionExact},
		{ID: id("R006"), SourceID: "coops", Name: "Two areas",
			Geometry: orb.MultiPolygon{
				{{{2, 50}, {2.1, 50}, {2.1, 50.1}, {2, 50}}},
				{{{3, 50}, {3.1, 50}, {3.1, 50.1}, {3, 50}}},
			}, Precision: coopmap.PrecisionExact},
		{ID: id("R007"), SourceID: "coops", Name: "Tiny numbers 0.000001",
			Geometry: orb.Point{0.0000001, -0.000000123456789}, Precision: coopmap.PrecisionExact},
	}
}

// openStore opens a new GeoPackage store in a temporary directory.
func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// stored puts features into a real store and returns the source and
// features as the store gives them back, which is what downloads read.
func stored(t *testing.T, features []coopmap.Feature) (coopmap.Source, []coopmap.Feature) {
	t.Helper()
	ctx := context.Background()
	st := openStore(t)
	res, err := st.ReplaceSource(ctx, testSource, all(features))
	if err != nil {
		t.Fatal(err)
	}
	var out []coopmap.Feature
	for f, err := range st.SourceFeatures(ctx, testSource.ID) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return res.Source, out
}

// write runs a writer over features and returns the file.
func write(t *testing.T, fn export.WriteFunc, src coopmap.Source, features []coopmap.Feature) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := fn(context.Background(), &b, src, all(features)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func all(fs []coopmap.Feature) iter.Seq2[coopmap.Feature, error] {
	return func(yield func(coopmap.Feature, error) bool) {
		for _, f := range fs {
			if !yield(f, nil) {
				return
			}
		}
	}
}

// reimport imports data with one of coopmap's importers into a new
// store, as source "coops" again, and returns the features by id.
func reimport(t *testing.T, format string, parser importers.Parser, name string, data []byte) map[string]coopmap.Feature {
	t.Helper()
	ctx := context.Background()
	st := openStore(t)
	opts := importers.Options{
		Source:  coopmap.Source{ID: "coops", Kind: coopmap.KindCoops, Licence: coopmap.Licence{ID: "ODC-By-1.0"}, Attribution: "x"},
		Formats: importers.Formats{format: parser},
		Format:  format,
		Strict:  true,
	}
	rep, err := importers.Import(ctx, st, opts, importers.Input{Name: name, Reader: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("import %s: %v\n%s", name, err, data)
	}
	if len(rep.Problems) > 0 {
		t.Fatalf("import %s: problems %v", name, rep.Problems)
	}
	out := map[string]coopmap.Feature{}
	for f, err := range st.SourceFeatures(ctx, "coops") {
		if err != nil {
			t.Fatal(err)
		}
		out[f.ID] = f
	}
	return out
}

// need skips the test when a tool is missing, unless CI is set, when the
// test fails: CI installs every tool (scripts/deps.sh).
func need(t testing.TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (scripts/deps.sh installs it)", tool)
		}
		t.Skipf("%s is not installed", tool)
	}
	return p
}

// run runs a tool and fails the test, with its output, unless it succeeds
// quietly (anything on stderr counts as a warning).
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(need(t, name), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil || (stderr.Len() > 0 && !strings.HasSuffix(strings.TrimSpace(stderr.String()), " validates")) {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// saveTemp writes data to a file in the test's temporary directory.
func saveTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkProvenance checks that a file carries the source's licence,
// attribution, owner, origin and retrieval date, after undoing the
// format's escaping with unescape.
func checkProvenance(t *testing.T, file string, unescape func(string) string) {
	t.Helper()
	text := unescape(file)
	lic := testSource.Licence.Complete()
	for _, want := range []string{lic.ID, lic.Name, lic.URL, testSource.Attribution, testSource.Owner, testSource.Origin, "2024-05-01"} {
		if !strings.Contains(text, want) {
			t.Errorf("the file does not carry %q", want)
		}
	}
}

func xmlUnescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&amp;", "&", "&#xD;", "\r", "&#xA;", "\n", "&#x9;", "\t").Replace(s)
}

func TestGeoJSONRoundTrip(t *testing.T) {
	src, features := stored(t, fixture())
	data := write(t, export.WriteGeoJSON, src, features)
	if !json.Valid(data) {
		t.Fatalf("not JSON:\n%s", data)
	}
	var head struct {
		Type    string          `json:"type"`
		Licence coopmap.Licence `json:"licence"`
		Attrib  string          `json:"attribution"`
		Links   []struct{ Href, Rel string }
	}
	if err := json.Unmarshal(data, &head); err != nil {
		t.Fatal(err)
	}
	if head.Type != "FeatureCollection" || head.Licence.ID != "ODC-By-1.0" || head.Attrib != testSource.Attribution ||
		len(head.Links) != 1 || head.Links[0].Rel != "license" {
		t.Errorf("foreign members: %+v", head)
	}
	checkProvenance(t, string(data), func(s string) string {
		var v map[string]any
		json.Unmarshal([]byte(s), &v)
		b, _ := json.Marshal(map[string]any{"n": v["notice"], "o": v["origin"]})
		return v["notice"].(string) + v["origin"].(string) + string(b)
	})

	got := reimport(t, importers.FormatGeoJSON, importgeojson.Parse, "coops.geojson", data)
	if len(got) != len(features) {
		t.Fatalf("read back %d features, want %d", len(got), len(features))
	}
	for _, f := range features {
		g, ok := got[f.ID]
		if !ok {
			t.Errorf("%s: not read back under its id", f.ID)
			continue
		}
		// importers/geojson moves these into fields and keeps the rest as
		// properties.
		want := f
		want.Sector, want.OrgType, want.Founded, want.Status, want.Precision = "", "", "", "", coopmap.PrecisionExact
		want.Properties = propsAsWritten(f, func(v any) any { return v })
		compare(t, g, want)
	}
}

// propsAsWritten returns the properties an importer that knows only name,
// address, postcode, website, email and description gets back from a
// file written with every field: the other fields become properties, as
// does each property, renamed when it clashes with a field. conv turns a
// value into what the format carries.
func propsAsWritten(f coopmap.Feature, conv func(any) any) map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{"sector": f.Sector, "org_type": f.OrgType, "founded": f.Founded, "status": f.Status,
		"precision": string(f.Precision), "updated_at": f.UpdatedAt.UTC().Format(time.RFC3339Nano)} {
		if v != "" {
			m[k] = v
		}
	}
	for k, v := range f.Properties {
		if k == "name" {
			k = "prop_name"
		}
		m[k] = conv(v)
	}
	return m
}

// compare checks the fields and geometry that a round trip keeps.
func compare(t *testing.T, got, want coopmap.Feature) {
	t.Helper()
	type text struct {
		Name, Sector, OrgType, Address, Postcode, Website, Email, Description, Founded, Status string
		Precision                                                                              coopmap.Precision
	}
	g := text{got.Name, got.Sector, got.OrgType, got.Address, got.Postcode, got.Website, got.Email, got.Description, got.Founded, got.Status, got.Precision}
	w := text{want.Name, want.Sector, want.OrgType, want.Address, want.Postcode, want.Website, want.Email, want.Description, want.Founded, want.Status, want.Precision}
	if g != w {
		t.Errorf("%s: fields\n got %+v\nwant %+v", want.ID, g, w)
	}
	if !orb.Equal(got.Geometry, want.Geometry) {
		t.Errorf("%s: geometry\n got %v\nwant %v", want.ID, got.Geometry, want.Geometry)
	}
	if len(want.Properties) == 0 {
		want.Properties = nil
	}
	if !reflect.DeepEqual(got.Properties, want.Properties) {
		t.Errorf("%s: properties\n got %#v\nwant %#v", want.ID, got.Properties, want.Properties)
	}
}

func TestCSVRoundTrip(t *testing.T) {
	src, features := stored(t, fixture())
	data := write(t, export.WriteCSVZip, src, features)
	files := unzip(t, data)
	if names := slices.Sorted(maps.Keys(files)); !slices.Equal(names, []string{"LICENSE.txt", "coops.csv"}) {
		t.Fatalf("zip holds %v", names)
	}
	checkProvenance(t, string(files["LICENSE.txt"]), strings.NewReplacer("\r\n", "\n").Replace)
	table := files["coops.csv"]
	if !bytes.HasPrefix(table, []byte("\ufeffid,name,")) || !bytes.HasSuffix(table, []byte("\r\n")) {
		t.Errorf("CSV starts %q and ends %q", table[:20], table[len(table)-4:])
	}

	got := reimport(t, importers.FormatCSV, importcsv.Parse, "coops.csv", table)
	if len(got) != len(features) {
		t.Fatalf("read back %d features, want %d", len(got), len(features))
	}
	for _, f := range features {
		g, ok := got[f.ID]
		if !ok {
			t.Errorf("%s: not read back under its id", f.ID)
			continue
		}
		// Every field comes back; CSV has no types, so the columns
		// importers/csv does not know come back as text properties.
		want := f
		want.Precision = coopmap.PrecisionExact
		want.Properties = map[string]any{"precision": string(f.Precision), "updated_at": f.UpdatedAt.UTC().Format(time.RFC3339Nano)}
		if f.Properties != nil {
			b, _ := json.Marshal(f.Properties)
			want.Properties["properties"] = string(b)
		}
		compare(t, g, want)
	}
}

// unzip returns the files in a zip archive.
func unzip(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = b
	}
	return out
}

func TestKMLRoundTrip(t *testing.T) {
	src, features := stored(t, fixture())
	data := write(t, export.WriteKML, src, features)
	run(t, "xmllint", "--noout", "--nonet", saveTemp(t, "coops.kml", data))
	checkProvenance(t, string(data), xmlUnescape)
	if !bytes.Contains(data, []byte(`<atom:link rel="license" href="https://opendatacommons.org/licenses/by/1-0/"/>`)) {
		t.Errorf("no licence link in\n%s", data[:600])
	}

	got := reimport(t, importers.FormatKML, importkml.Parse, "coops.kml", data)
	if len(got) != len(features) {
		t.Fatalf("read back %d features, want %d", len(got), len(features))
	}
	for _, f := range features {
		g, ok := got[f.ID]
		if !ok {
			t.Errorf("%s: not read back under its id", f.ID)
			continue
		}
		want := f
		want.Sector, want.OrgType, want.Founded, want.Status, want.Precision = "", "", "", "", coopmap.PrecisionExact
		// ExtendedData is text.
		want.Properties = propsAsWritten(f, func(v any) any {
			if s, ok := v.(string); ok {
				return s
			}
			b, _ := json.Marshal(v)
			return string(b)
		})
		compare(t, g, want)
	}
}

func TestGPXValidatesAndRoundTrips(t *testing.T) {
	src, features := stored(t, fixture())
	data := write(t, export.WriteGPX, src, features)
	run(t, "xmllint", "--noout", "--nonet", "--schema", "../testdata/schemas/gpx.xsd", saveTemp(t, "coops.gpx", data))
	checkProvenance(t, string(data), xmlUnescape)
	for _, want := range []string{
		`<copyright author="Co-operatives UK"><year>2024</year><license>https://opendatacommons.org/licenses/by/1-0/</license></copyright>`,
		`<link href="https://www.uk.coop/open-data?year=2024&amp;q=a%20b"><text>Origin</text></link>`,
	} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("no %s in\n%s", want, data[:1200])
		}
	}
	// Waypoints all come before tracks, as the schema requires (xmllint
	// checked it); each point is a waypoint, each line or ring a track
	// segment.
	if n := bytes.Count(data, []byte("<wpt ")); n != 4 {
		t.Errorf("%d waypoints, want 4 (two single points, a multipoint of two)", n)
	}
	if n := bytes.Count(data, []byte("<trk>")); n != 4 {
		t.Errorf("%d tracks, want 4 (a line, a polygon, a multiline, a multipolygon)", n)
	}

	got := reimport(t, importers.FormatGPX, importgpx.Parse, "coops.gpx", data)
	byName := map[string][]coopmap.Feature{}
	for _, f := range got {
		byName[f.Name] = append(byName[f.Name], f)
	}
	f := features[slices.IndexFunc(features, func(f coopmap.Feature) bool { return f.Name == hostile })]
	if g := byName[hostile]; len(g) != 1 || g[0].Description != f.Description || !orb.Equal(g[0].Geometry, f.Geometry) ||
		g[0].Properties["link"] != f.Website || g[0].Properties["cmt"] != "1 High St, Leeds, LS1 1AA" || g[0].Properties["type"] != "Food, drink" {
		t.Errorf("hostile waypoint read back as %+v", g)
	}
	if g := byName["A line"]; len(g) != 1 || !orb.Equal(g[0].Geometry, features[1].Geometry) {
		t.Errorf("line read back as %+v", g)
	}
	if g := byName["Two places"]; len(g) != 2 {
		t.Errorf("multipoint read back as %+v", g)
	}
	poly := features[slices.IndexFunc(features, func(f coopmap.Feature) bool { return strings.HasPrefix(f.Name, "Hashed") })]
	if g := byName[poly.Name]; len(g) != 1 || !orb.Equal(g[0].Geometry, orb.MultiLineString{
		orb.LineString(poly.Geometry.(orb.Polygon)[0]), orb.LineString(poly.Geometry.(orb.Polygon)[1])}) {
		t.Errorf("polygon read back as %+v", g)
	}
}

// hostileControl has the characters that XML 1.0 cannot carry: control
// characters, a lone CR and the non-characters U+FFFE and U+FFFF.
const hostileControl = "bell\x07 esc\x1b del\x7f cr\ralone \uFFFE\uFFFF vt\x0b ff\x0c end"

// TestHostileTextMakesValidFiles writes text that no format can carry
// verbatim and checks every file still parses with the tools users have,
// and what comes back.
func TestHostileTextMakesValidFiles(t *testing.T) {
	features := []coopmap.Feature{{
		ID: coopmap.FeatureID("coops", "x1"), SourceID: "coops", Name: hostileControl, Description: hostile + hostileControl,
		Properties: map[string]any{hostileControl: hostileControl, "]]>": "<![CDATA[", "": "empty key"},
		Geometry:   orb.Point{1, 2}, Precision: coopmap.PrecisionExact,
	}}
	src := testSource
	src.Title, src.Attribution, src.Owner = hostileControl, hostile+hostileControl, "\x01"
	src, features = stored(t, features)
	src.Title, src.Attribution, src.Owner = hostileControl, hostile+hostileControl, "\x01"
	// XML carries everything but the characters it cannot, which become
	// U+FFFD; a CR survives as &#xD;.
	xmlName := "bell\uFFFD esc\uFFFD del\x7f cr\ralone \uFFFD\uFFFD vt\uFFFD ff\uFFFD end"

	t.Run("geojson", func(t *testing.T) {
		data := write(t, export.WriteGeoJSON, src, features)
		if !json.Valid(data) {
			t.Fatalf("not JSON:\n%s", data)
		}
		got := reimport(t, importers.FormatGeoJSON, importgeojson.Parse, "x.geojson", data)
		if g := got[features[0].ID]; g.Name != hostileControl || g.Properties[hostileControl] != hostileControl {
			t.Errorf("read back %q", g.Name)
		}
	})
	t.Run("csv", func(t *testing.T) {
		data := unzip(t, write(t, export.WriteCSVZip, src, features))["coops.csv"]
		got := reimport(t, importers.FormatCSV, importcsv.Parse, "x.csv", data)
		if g := got[features[0].ID]; g.Name != hostileControl || g.Description != features[0].Description {
			t.Errorf("read back %q", g.Name)
		}
	})
	t.Run("kml", func(t *testing.T) {
		data := write(t, export.WriteKML, src, features)
		run(t, "xmllint", "--noout", "--nonet", saveTemp(t, "x.kml", data))
		got := reimport(t, importers.FormatKML, importkml.Parse, "x.kml", data)
		if g := got[features[0].ID]; g.Name != xmlName {
			t.Errorf("read back %q, want %q", g.Name, xmlName)
		}
	})
	t.Run("gpx", func(t *testing.T) {
		data := write(t, export.WriteGPX, src, features)
		run(t, "xmllint", "--noout", "--nonet", "--schema", "../testdata/schemas/gpx.xsd", saveTemp(t, "x.gpx", data))
		got := reimport(t, importers.FormatGPX, importgpx.Parse, "x.gpx", data)
		for _, g := range got {
			if g.Name != xmlName {
				t.Errorf("read back %q, want %q", g.Name, xmlName)
			}
		}
	})
}

// TestEmpty checks every format writes a valid file with no features.
func TestEmpty(t *testing.T) {
	for _, f := range export.Formats(nil) {
		data := write(t, f.Write, testSource, nil)
		switch f.Name {
		case export.NameGeoJSON:
			if !json.Valid(data) || !bytes.Contains(data, []byte(`"features":[`)) {
				t.Errorf("geojson: %s", data)
			}
		case export.NameGPX:
			run(t, "xmllint", "--noout", "--nonet", "--schema", "../testdata/schemas/gpx.xsd", saveTemp(t, "empty.gpx", data))
		case export.NameKML:
			run(t, "xmllint", "--noout", "--nonet", saveTemp(t, "empty.kml", data))
		case export.NameCSV:
			if got := string(unzip(t, data)["coops.csv"]); strings.Count(got, "\r\n") != 1 {
				t.Errorf("csv: %q", got)
			}
		}
	}
}

// TestErrors checks that an error from the features stops every writer
// with that error, and that a cancelled context does too.
func TestErrors(t *testing.T) {
	boom := errors.New("boom")
	failing := func(yield func(coopmap.Feature, error) bool) {
		if !yield(fixture()[1], nil) {
			return
		}
		yield(coopmap.Feature{}, boom)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, f := range export.Formats(nil) {
		if err := f.Write(context.Background(), io.Discard, testSource, failing); !errors.Is(err, boom) {
			t.Errorf("%s: error %v, want boom", f.Name, err)
		}
		if err := f.Write(ctx, io.Discard, testSource, all(fixture())); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: cancelled: error %v", f.Name, err)
		}
	}
}

// TestGeoJSONRightHandRule checks polygons come out wound as RFC 7946
// requires, whatever their stored winding.
func TestGeoJSONRightHandRule(t *testing.T) {
	cw := orb.Polygon{{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}}, {{0.2, 0.2}, {0.8, 0.2}, {0.8, 0.8}, {0.2, 0.8}, {0.2, 0.2}}}
	f := coopmap.Feature{ID: "coops.p", SourceID: "coops", Geometry: orb.MultiPolygon{cw}, Precision: coopmap.PrecisionExact}
	data := write(t, export.WriteGeoJSON, testSource, []coopmap.Feature{f})
	want := `"coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]],[[0.2,0.2],[0.2,0.8],[0.8,0.8],[0.8,0.2],[0.2,0.2]]]]`
	if !bytes.Contains(data, []byte(want)) {
		t.Errorf("got\n%s\nwant %s", data, want)
	}
	if cw[0][1] != (orb.Point{0, 1}) {
		t.Error("the feature's own geometry was changed")
	}
}

var benchFeatures = flag.Int("features", 1_000_000, "features per BenchmarkExport run")
