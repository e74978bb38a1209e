package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/migrations"
	"github.com/coopmap/coopmap/store/sqlite"
	"github.com/coopmap/coopmap/store/storetest"
)

// fill writes what a real store holds: co-op points, overlay features of
// other types, and a tour that references a co-op.
func fill(t *testing.T, s *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	var coops []coopmap.Feature
	for i := range 25 {
		f := storetest.Point("coops", fmt.Sprintf("R%04d", i), -3+float64(i)*0.1, 51+float64(i)*0.05)
		f.Postcode = "CF34 9YY"
		f.Founded = "1896"
		f.Website = "https://example.coop/"
		f.Properties = map[string]any{"sic": "94990", "members": float64(i)}
		coops = append(coops, f)
	}
	if _, err := s.ReplaceSource(ctx, storetest.Source("coops", coopmap.KindCoops), storetest.Seq(coops)); err != nil {
		t.Fatal(err)
	}
	overlay := []coopmap.Feature{
		{ID: "overlay.orchard", SourceID: "overlay", Name: "Community orchard", Precision: coopmap.PrecisionExact,
			Geometry: orb.Polygon{{{-0.1, 51.5}, {-0.09, 51.5}, {-0.09, 51.51}, {-0.1, 51.51}, {-0.1, 51.5}}}},
		{ID: "overlay.towpath", SourceID: "overlay", Name: "Towpath", Precision: coopmap.PrecisionExact,
			Geometry: orb.LineString{{-0.12, 51.5}, {-0.11, 51.52}, {-0.1, 51.53}}},
	}
	if _, err := s.ReplaceSource(ctx, storetest.Source("overlay", coopmap.KindFeatures), storetest.Seq(overlay)); err != nil {
		t.Fatal(err)
	}
	tours := storetest.Source("rides", coopmap.KindTours)
	tours.Licence = coopmap.Licence{ID: "ODbL-1.0"}.Complete()
	if _, err := s.ReplaceSource(ctx, tours, nil); err != nil {
		t.Fatal(err)
	}
	route := orb.LineString{{-3, 51}, {-2.9, 51.05}, {-2.8, 51.1}}
	if _, err := s.CreateTour(ctx, coopmap.Tour{
		ID: "valleys", SourceID: "rides", Title: "Valleys co-ops", Route: route, DistanceM: 15000,
		Stops: []coopmap.Stop{{FeatureID: coopmap.FeatureID("coops", "R0000")}, {Name: "Summit", Location: orb.Point{-2.8, 51.1}}},
		Legs:  []coopmap.Leg{{Geometry: route, DistanceM: 15000, DurationS: 3600}},
	}); err != nil {
		t.Fatal(err)
	}
	// A tour not yet routed has no geometry.
	if _, err := s.CreateTour(ctx, coopmap.Tour{ID: "draft", SourceID: "rides", Title: "Draft"}); err != nil {
		t.Fatal(err)
	}
}

// tool returns the path of an external program, skipping the test when it
// is missing, unless CI is set, where a missing tool is a failure.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (install gdal-bin); CI requires it", name)
		}
		t.Skipf("%s is not installed (install gdal-bin)", name)
	}
	return p
}

// TestOGRInfo checks the file with the tool GIS users use: GDAL must read
// it as a GeoPackage without a warning or an error, and see the layers,
// geometry types and counts coopmap wrote.
func TestOGRInfo(t *testing.T) {
	ogrinfo := tool(t, "ogrinfo")
	path := filepath.Join(t.TempDir(), "coopmap.gpkg")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(ogrinfo, args...)
		// Let GDAL report everything it notices; don't let a user's config
		// hide anything.
		cmd.Env = append(os.Environ(), "CPL_DEBUG=OFF")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ogrinfo %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, "Warning") || strings.Contains(l, "ERROR") {
				t.Errorf("ogrinfo %s: %s", strings.Join(args, " "), l)
			}
		}
		return string(out)
	}

	list := run("-ro", path)
	t.Logf("ogrinfo %s:\n%s", path, list)
	for _, want := range []string{
		"using driver `GPKG' successful",
		": features\n", // a layer of mixed geometry types shows no type here
		": sources (None)\n",
		": tours (Line String)\n",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("ogrinfo lacks %q", want)
		}
	}
	if n := strings.Count(list, "\n"); n != 5 {
		t.Errorf("ogrinfo printed %d lines; want 5: two of INFO and three layers", n)
	}
	if strings.Contains(list, "coopmap_schema") || strings.Contains(list, "rtree_") {
		t.Errorf("ogrinfo lists internal tables")
	}

	summary := run("-ro", "-al", "-so", path)
	t.Logf("ogrinfo -al -so:\n%s", summary)
	layers := map[string]string{}
	for _, part := range strings.Split(summary, "\nLayer name: ")[1:] {
		name, _, _ := strings.Cut(part, "\n")
		layers[name] = part
	}
	for name, want := range map[string][]string{
		"features": {"Geometry: Unknown (any)", "Feature Count: 27", "Extent: (-3.000000, 51.000000) - (-0.090000, 52.200000)",
			"FID Column = fid", "Geometry Column = geom", "id: String", "source_id: String", "properties: String",
			"updated_at: DateTime", "version: Integer64"},
		"sources": {"Geometry: None", "Feature Count: 3", "licence_id: String", "retrieved_at: DateTime", "feature_count: Integer64"},
		"tours":   {"Geometry: Line String", "Feature Count: 2", "Geometry Column = route", "distance_m: Real"},
	} {
		part, ok := layers[name]
		if !ok {
			t.Errorf("ogrinfo -al -so has no layer %q", name)
			continue
		}
		for _, w := range want {
			if !strings.Contains(part, w) {
				t.Errorf("layer %s lacks %q", name, w)
			}
		}
		if !regexp.MustCompile(`EPSG",4326|WGS 84`).MatchString(part) && name != "sources" {
			t.Errorf("layer %s is not in WGS 84", name)
		}
	}

	// The features themselves decode: GDAL reads every geometry.
	full := run("-ro", "-al", "-geom=SUMMARY", path)
	for _, w := range []string{"POLYGON : 5 points", "LINESTRING : 3 points", "POINT"} {
		if !strings.Contains(full, w) {
			t.Errorf("ogrinfo -al lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("ogrinfo -al:\n%s", full)
	}

	// GDAL's GeoPackage validator, where it is installed with gdal-bin's
	// Python bindings.
	for _, v := range []string{
		"/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py",
		"/usr/share/doc/python3-gdal/examples/validate_gpkg.py",
	} {
		if _, err := os.Stat(v); err != nil {
			continue
		}
		out, err := exec.Command("/usr/bin/python3", v, path).CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("validate_gpkg.py: %v\n%s", err, out)
		}
		break
	}
}

// TestRTreeConsistent checks that the R*Tree follows inserts, updates and
// deletes through the GeoPackage triggers, including cascades.
func TestRTreeConsistent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "coopmap.gpkg")
	s := openAt(t, path)
	var fs []coopmap.Feature
	for i := range 500 {
		fs = append(fs, storetest.Point("r", fmt.Sprintf("%03d", i), float64(i%50)/10, 50+float64(i/50)/10))
	}
	if _, err := s.ReplaceSource(ctx, storetest.Source("r", coopmap.KindCoops), storetest.Seq(fs)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplaceSource(ctx, storetest.Source("other", coopmap.KindCoops), storetest.Seq([]coopmap.Feature{storetest.Point("other", "1", 1, 1)})); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check := func(when string, want int) {
		t.Helper()
		const q = `SELECT (SELECT count(*) FROM features), (SELECT count(*) FROM rtree_features_geom),
			(SELECT count(*) FROM features f JOIN rtree_features_geom r ON r.id = f.fid)`
		var nf, nr, joined int
		if err := db.QueryRow(q).Scan(&nf, &nr, &joined); err != nil {
			t.Fatal(err)
		}
		if nf != want || nr != want || joined != want {
			t.Errorf("%s: %d features, %d rtree rows, %d matched; want %d of each", when, nf, nr, joined, want)
		}
	}
	check("after import", 501)

	// Move one feature, drop 100, change a polygon into the set.
	moved := fs[7]
	moved.Geometry = orb.Point{-7.5, 49.9}
	next := append([]coopmap.Feature{moved}, fs[100:]...)
	next = append(next, coopmap.Feature{ID: "r.area", SourceID: "r", Name: "area", Precision: coopmap.PrecisionArea,
		Geometry: orb.Polygon{{{10, 60}, {11, 60}, {11, 61}, {10, 60}}}})
	r, err := s.ReplaceSource(ctx, storetest.Source("r", coopmap.KindCoops), storetest.Seq(next))
	if err != nil {
		t.Fatal(err)
	}
	if r.Added != 1 || r.Updated != 1 || r.Removed != 99 || r.Unchanged != 400 {
		t.Errorf("replace = %+v; want 1 added, 1 updated, 99 removed, 400 unchanged", r)
	}
	check("after replace", 403)
	const box = `SELECT r.minx, r.maxx, r.miny, r.maxy FROM rtree_features_geom r JOIN features f ON f.fid = r.id WHERE f.id = ?`
	var minx, maxx, miny, maxy float64
	if err := db.QueryRow(box, moved.ID).Scan(&minx, &maxx, &miny, &maxy); err != nil {
		t.Fatal(err)
	}
	if minx > -7.5 || maxx < -7.5 || miny > 49.9 || maxy < 49.9 || maxx-minx > 1e-4 || maxy-miny > 1e-4 {
		t.Errorf("moved feature's rtree box = [%g %g %g %g]; want around (-7.5, 49.9)", minx, maxx, miny, maxy)
	}
	if err := db.QueryRow(box, "r.area").Scan(&minx, &maxx, &miny, &maxy); err != nil {
		t.Fatal(err)
	}
	if minx > 10 || maxx < 11 || miny > 60 || maxy < 61 || maxx-minx > 1.001 {
		t.Errorf("polygon's rtree box = [%g %g %g %g]; want [10 11 60 61]", minx, maxx, miny, maxy)
	}

	// gpkg_contents keeps the extent current.
	var ext [4]float64
	const extent = `SELECT min_x, max_x, min_y, max_y FROM gpkg_contents WHERE table_name = 'features'`
	if err := db.QueryRow(extent).Scan(&ext[0], &ext[1], &ext[2], &ext[3]); err != nil {
		t.Fatal(err)
	}
	if ext != [4]float64{-7.5, 11, 1, 61} {
		t.Errorf("features extent = %v; want exactly [-7.5 11 1 61]", ext)
	}

	// Deleting a source cascades to its features and their index rows.
	if err := s.DeleteSource(ctx, "r"); err != nil {
		t.Fatal(err)
	}
	check("after delete", 1)
}

// TestFileHeader checks what makes the file a GeoPackage 1.3, and that the
// store reopens its own file without reapplying migrations.
func TestFileHeader(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "coopmap.gpkg")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplaceSource(ctx, storetest.Source("a", coopmap.KindCoops), storetest.Seq([]coopmap.Feature{storetest.Point("a", "1", 0, 51)})); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Errorf("a closed store left %s-wal behind (%v)", path, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:16]) != "SQLite format 3\x00" || string(b[68:72]) != "GPKG" || fmt.Sprint(b[60:64]) != "[0 0 40 60]" {
		t.Errorf("header: magic %q application_id % x user_version % x; want GPKG and 10300", b[:16], b[68:72], b[60:64])
	}

	s2 := openAt(t, path) // reopening applies nothing and keeps the data
	if err := s2.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if f, err := s2.Feature(ctx, "a.1"); err != nil || f.Name != "Co-op 1" {
		t.Errorf("after reopen Feature = %+v, %v", f, err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, srs int
	files, err := fs.Glob(migrations.SQLite, "sqlite/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM coopmap_schema`).Scan(&n); err != nil || n != len(files) {
		t.Errorf("coopmap_schema rows = %d, %v; want one per migration, %d", n, err, len(files))
	}
	if err := db.QueryRow(`SELECT count(*) FROM gpkg_spatial_ref_sys WHERE srs_id IN (-1, 0, 4326)`).Scan(&srs); err != nil || srs != 3 {
		t.Errorf("required SRS rows = %d, %v; want 3", srs, err)
	}
}

// TestOpenRejectsOtherDatabases keeps coopmap from writing GeoPackage
// tables into another application's SQLite file.
func TestOpenRejectsOtherDatabases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA application_id = 42; CREATE TABLE x (y INTEGER)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err := sqlite.Open(context.Background(), path); err == nil {
		s.Close()
		t.Fatal("Open of another application's database succeeded")
	}
}

// TestOGRInfoWhileServing reads the file with ogrinfo while the store still
// has it open in WAL mode, as it is while `coopmap serve` runs: GDAL reads
// the GeoPackage header from the file itself, so it must be there already.
func TestOGRInfoWhileServing(t *testing.T) {
	ogrinfo := tool(t, "ogrinfo")
	path := filepath.Join(t.TempDir(), "coopmap.gpkg")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fill(t, s)
	out, err := exec.Command(ogrinfo, "-ro", "-so", "-al", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "Warning") || strings.Contains(l, "ERROR") {
			t.Errorf("ogrinfo on an open store: %s", l)
		}
	}
	if !strings.Contains(string(out), "Layer name: features") {
		t.Errorf("ogrinfo on an open store lists no features layer:\n%s", out)
	}
}
