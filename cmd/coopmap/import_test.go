package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/postgis/postgistest"
	"github.com/coopmap/coopmap/store/sqlite"
)

// sample is 37 real Co-operatives UK rows: 34 placeable, 3 not.
const sample = "../../importers/csv/testdata/coops-uk-sample.csv"

// runImport runs "coopmap import" in-process and returns its exit status
// and output.
func runImport(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"import"}, args...), &out, &errb, noEnv)
	return code, out.String(), errb.String()
}

// newSource are the flags a first import needs.
func newSource(db string) []string {
	return []string{"--db", db, "--source", "coops-uk", "--kind", "coops", "--licence", "ODC-By-1.0",
		"--attribution", "Contains data from Co-operatives UK, licensed under ODC-By 1.0."}
}

// stored opens the GeoPackage and returns the source and its feature count.
func stored(t *testing.T, db, id string) (coopmap.Source, []coopmap.Feature, error) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src, err := st.Source(ctx, id)
	if err != nil {
		return src, nil, err
	}
	var fs []coopmap.Feature
	for f, err := range st.SourceFeatures(ctx, id) {
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	return src, fs, nil
}

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "coopmap.gpkg")
	report := filepath.Join(dir, "report.json")

	// First import: everything is added; the three unplaceable rows are
	// reported with their lines.
	code, out, errs := runImport(t, append(newSource(db), "--report", report, sample)...)
	if code != 0 {
		t.Fatalf("first import: exit %d\n%s%s", code, out, errs)
	}
	if !strings.HasPrefix(out, "coops-uk: 37 read, 34 imported, 3 skipped; 34 added, 0 updated, 0 unchanged, 0 removed (") || strings.Count(out, "\n") != 1 {
		t.Errorf("stdout = %q; want the one-line summary", out)
	}
	if !strings.Contains(errs, `left out: `+sample+`:28: no coordinates, and postcode "NP3 6SX" is not in the postcode table`) {
		t.Errorf("stderr lacks the problem with its line:\n%s", errs)
	}
	src, fs, err := stored(t, db, "coops-uk")
	if err != nil || len(fs) != 34 || src.Kind != coopmap.KindCoops || src.Licence.URL == "" || src.Origin != "coops-uk-sample.csv" {
		t.Fatalf("stored: %v, %d features, %+v", err, len(fs), src)
	}
	if fs[0].ID != "coops-uk.R000008" && !strings.HasPrefix(fs[0].ID, "coops-uk.R") {
		t.Errorf("ids are not coops-uk.<Identifier>: %s", fs[0].ID)
	}

	// The report.
	var rep struct {
		Source string `json:"source"`
		Files  []struct {
			Name, Format string
			Read         int
		} `json:"files"`
		Read, Imported, Skipped, Added int
		Problems                       []struct{ Where, Reason string }
		Summary                        string
		DurationS                      float64 `json:"duration_s"`
		Written                        bool
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, b)
	}
	if rep.Source != "coops-uk" || len(rep.Files) != 1 || rep.Files[0].Format != "csv" || rep.Files[0].Read != 37 ||
		rep.Read != 37 || rep.Imported != 34 || rep.Skipped != 3 || rep.Added != 34 || len(rep.Problems) != 3 ||
		rep.Problems[0].Where != sample+":28" || !strings.HasPrefix(rep.Summary, "coops-uk: 37 read") || !rep.Written {
		t.Errorf("report = %+v", rep)
	}

	// The same import again changes nothing; licence and attribution come
	// from the stored source.
	code, out, errs = runImport(t, "--db", db, "--source", "coops-uk", sample)
	if code != 0 || !strings.Contains(out, "; 0 added, 0 updated, 34 unchanged, 0 removed (") {
		t.Errorf("second import: exit %d, %q\n%s", code, out, errs)
	}
	src2, _, _ := stored(t, db, "coops-uk")
	if src2.Version != src.Version {
		t.Errorf("an identical import bumped the version %d → %d", src.Version, src2.Version)
	}

	// A strict import that meets a bad row writes nothing, even after
	// good rows that would have changed things.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("id,name,lat,lon\nR1,Changed,51.5,-0.1\nR2,Bad,NaN,-0.1\nR3,After,51.6,-0.2\n"), 0o644)
	code, out, errs = runImport(t, "--db", db, "--source", "coops-uk", "--strict", bad)
	if code != 1 || !strings.Contains(out, "import failed, nothing written") || !strings.Contains(errs, bad+":3") {
		t.Errorf("strict: exit %d, %q\n%s", code, out, errs)
	}
	if src3, fs3, _ := stored(t, db, "coops-uk"); len(fs3) != 34 || src3.Version != src.Version {
		t.Errorf("strict failure changed the store: %d features, version %d", len(fs3), src3.Version)
	}

	// A dry run counts against the store and writes nothing.
	code, out, errs = runImport(t, "--db", db, "--source", "coops-uk", "--dry-run", bad)
	if code != 0 || !strings.HasPrefix(out, "coops-uk (dry run, nothing written): 3 read, 2 imported, 1 skipped; 2 added, 0 updated, 0 unchanged, 34 removed") {
		t.Errorf("dry run: exit %d, %q\n%s", code, out, errs)
	}
	if _, fs4, _ := stored(t, db, "coops-uk"); len(fs4) != 34 {
		t.Errorf("dry run changed the store: %d features", len(fs4))
	}
	db2 := filepath.Join(dir, "empty.gpkg")
	code, out, _ = runImport(t, append(newSource(db2), "--dry-run", sample)...)
	if _, _, err := stored(t, db2, "coops-uk"); code != 0 || coopmap.ErrorCode(err) != coopmap.CodeNotFound || !strings.Contains(out, "34 added") {
		t.Errorf("dry run on an empty store: exit %d, %q, source %v", code, out, err)
	}
}

func TestImportCommandErrors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "coopmap.gpkg")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no licence", []string{"--db", db, "--source", "new", "--attribution", "x", sample}, 1, "--licence"},
		{"no attribution", []string{"--db", db, "--source", "new", "--licence", "CC0-1.0", sample}, 1, "--attribution"},
		{"no source", []string{"--db", db, sample}, 2, "--source"},
		{"no files", []string{"--db", db, "--source", "x"}, 2, "FILE"},
		{"bad slug", []string{"--db", db, "--source", "Not OK", "--licence", "CC0-1.0", "--attribution", "x", sample}, 1, "source id"},
		{"bad kind", []string{"--db", db, "--source", "x", "--kind", "tours", sample}, 1, "--kind"},
		{"missing file", []string{"--db", db, "--source", "x", filepath.Join(dir, "nope.csv")}, 1, "nope.csv"},
		{"bad map", []string{"--db", db, "--source", "x", "--map", "frob=y", sample}, 1, "frob"},
		{"bad format", []string{"--db", db, "--source", "x", "--licence", "CC0-1.0", "--attribution", "x", "--format", "shp", sample}, 1, "format"},
		{"bad delimiter", []string{"--db", db, "--source", "x", "--delimiter", ":", sample}, 1, "--delimiter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runImport(t, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d (want %d); stdout %q; stderr:\n%s\nwant it to mention %q", code, tc.code, out, errs, tc.want)
			}
		})
	}
	if _, _, err := stored(t, db, "new"); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Errorf("a failed import created a source: %v", err)
	}
}

// Flags may come after the files, and CSV flags reach the parser.
func TestImportCommandGenericCSV(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "coopmap.gpkg")
	f := filepath.Join(dir, "orchards.txt")
	os.WriteFile(f, []byte("Ref|Orchard|N|E\nO1|Town orchard|51,6|-0,11\nO2|Postcode only|;|\n"), 0o644)
	mapping := filepath.Join(dir, "mapping.json")
	os.WriteFile(mapping, []byte(`{"id": "Ref", "name": "Orchard", "lat": "N"}`), 0o644)
	code, out, errs := runImport(t, f, "--db", db, "--source", "orchards", "--licence", "CC-BY-4.0",
		"--attribution", "Orchard Project", "--mapping", mapping, "--map", "lon=E", "--delimiter", "|", "--kind", "features")
	if code != 0 || !strings.HasPrefix(out, "orchards: 2 read, 1 imported, 1 skipped;") {
		t.Fatalf("exit %d, %q\n%s", code, out, errs)
	}
	_, fs, _ := stored(t, db, "orchards")
	if len(fs) != 1 || fs[0].ID != "orchards.O1" || fs[0].Name != "Town orchard" {
		t.Errorf("stored %+v", fs)
	}
}

func TestProgressLine(t *testing.T) {
	got := progressLine(1_500_000, 3_000_000, 2*time.Second)
	want := "[===============>              ]  50%  1.5/3.0 MB  0.8 MB/s  ETA 2s"
	if got != want {
		t.Errorf("progressLine = %q; want %q", got, want)
	}
	if got := progressLine(2_000_000, -1, time.Second); got != "importing  2.0 MB  2.0 MB/s" {
		t.Errorf("unknown total: %q", got)
	}
	if got := progressLine(10, 10, time.Second); !strings.HasPrefix(got, "[==============================] 100%") {
		t.Errorf("done: %q", got)
	}
	// Not a terminal: no bar.
	var ic importConfig
	ic.Progress = "auto"
	if ic.showProgress(&bytes.Buffer{}, noEnv) {
		t.Error("progress on a buffer")
	}
}

// The same import into PostGIS (when COOPMAP_TEST_POSTGRES is set): the
// engine is store-agnostic, so this checks the wiring and idempotence.
func TestImportCommandPostGIS(t *testing.T) {
	dsn := postgistest.Schema(t)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"migrate", "--db", dsn}, &out, &errb, noEnv); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, errb.String())
	}
	code, out1, errs := runImport(t, append(newSource(dsn), sample)...)
	if code != 0 || !strings.Contains(out1, "; 34 added, 0 updated, 0 unchanged, 0 removed (") {
		t.Fatalf("first import: exit %d, %q\n%s", code, out1, errs)
	}
	code, out2, errs := runImport(t, "--db", dsn, "--source", "coops-uk", sample)
	if code != 0 || !strings.Contains(out2, "; 0 added, 0 updated, 34 unchanged, 0 removed (") {
		t.Errorf("second import: exit %d, %q\n%s", code, out2, errs)
	}
	code, out3, _ := runImport(t, "--db", dsn, "--source", "coops-uk", "--strict", sample)
	if code != 1 || !strings.Contains(out3, "nothing written") {
		t.Errorf("strict: exit %d, %q", code, out3)
	}
}
