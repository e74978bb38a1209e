package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/postgis/postgistest"
)

// ride is a GPX ride past one co-op of the sample: a waypoint named like
// it and 40 m from its postcode centroid (matched), one with its name but
// 5 km away and one with another name beside it (both kept as named
// points), and a track.
const ride = `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="coopmap test" xmlns="http://www.topografix.com/GPX/1/1">
  <wpt lat="51.6087" lon="-3.6550"><name>Maesteg Workmen's Club</name><desc>Lunch</desc></wpt>
  <wpt lat="51.6500" lon="-3.6550"><name>Maesteg Workmens Club and Institute</name></wpt>
  <wpt lat="51.6084" lon="-3.6548"><name>Bus stop</name></wpt>
  <wpt lat="91" lon="-3.6548"><name>Off the map</name></wpt>
  <trk><name>Maesteg loop</name><trkseg>
    <trkpt lat="51.6087" lon="-3.6550"/><trkpt lat="51.6500" lon="-3.6550"/><trkpt lat="51.6084" lon="-3.6548"/>
  </trkseg></trk>
</gpx>
`

func TestImportAsTour(t *testing.T) {
	t.Run("GeoPackage", func(t *testing.T) { testImportAsTour(t, filepath.Join(t.TempDir(), "coopmap.gpkg")) })
	t.Run("PostGIS", func(t *testing.T) {
		dsn := postgistest.Schema(t)
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"migrate", "--db", dsn}, &out, &errb, noEnv); code != 0 {
			t.Fatalf("migrate: exit %d: %s", code, errb.String())
		}
		testImportAsTour(t, dsn)
	})
}

func testImportAsTour(t *testing.T, db string) {
	dir := t.TempDir()
	gpxFile := filepath.Join(dir, "Maesteg Ride.gpx")
	os.WriteFile(gpxFile, []byte(ride), 0o644)
	if code, out, errs := runImport(t, append(newSource(db), sample)...); code != 0 {
		t.Fatalf("co-ops: exit %d %s %s", code, out, errs)
	}
	tourArgs := []string{"--db", db, "--source", "tours", "--licence", "CC-BY-4.0", "--attribution", "Ride by coopmap tests", "--as-tour", gpxFile}

	code, out, errs := runImport(t, tourArgs...)
	if code != 0 || !strings.HasPrefix(out, "tours/maesteg-ride: 3 stops, 1 matched to co-op records, route 9.2 km, 1 left out; created (") {
		t.Fatalf("exit %d, %q\n%s", code, out, errs)
	}
	for _, want := range []string{
		`stop 1: ` + gpxFile + `: /gpx/wpt[1]: "Maesteg Workmen's Club" matched coops-uk.R006884 "Maesteg Workmen's Club and Institute Limited", 4`,
		`stop 2: ` + gpxFile + `: /gpx/wpt[2]: "Maesteg Workmens Club and Institute" (no co-op record matched; kept as a named point)`,
		`stop 3: ` + gpxFile + `: /gpx/wpt[3]: "Bus stop" (no co-op record matched`,
		`left out: ` + gpxFile + `: /gpx/wpt[4]: lat 91 is outside [-90, 90]`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	st := openTestStore(t, db)
	tour, err := st.Tour(context.Background(), "maesteg-ride")
	if err != nil {
		t.Fatal(err)
	}
	if tour.SourceID != "tours" || tour.Title != "Maesteg loop" || len(tour.Stops) != 3 || len(tour.Route) != 3 ||
		tour.Stops[0].FeatureID != "coops-uk.R006884" || tour.Stops[0].Note != "Lunch" || tour.Stops[0].Name != "Maesteg Workmen's Club and Institute Limited" ||
		tour.Stops[1].FeatureID != "" || tour.Stops[1].Name != "Maesteg Workmens Club and Institute" {
		t.Errorf("stored tour %+v", tour)
	}
	src, err := st.Source(context.Background(), "tours")
	if err != nil || src.Kind != coopmap.KindTours || src.Licence.ID != "CC-BY-4.0" {
		t.Errorf("tours source %+v, %v", src, err)
	}

	// Again: nothing changes. With a new title: updated.
	if code, out, _ := runImport(t, tourArgs...); code != 0 || !strings.Contains(out, "; unchanged (") {
		t.Errorf("again: exit %d %q", code, out)
	}
	if code, out, _ := runImport(t, append(tourArgs, "--tour-title", "Maesteg by bike")...); code != 0 || !strings.Contains(out, "; updated (") {
		t.Errorf("retitled: exit %d %q", code, out)
	}
	if tour2, _ := st.Tour(context.Background(), "maesteg-ride"); tour2.Version != tour.Version+1 || tour2.Title != "Maesteg by bike" {
		t.Errorf("after the update: %+v", tour2)
	}

	// Not into a co-ops source; no waypoints at all is an error; neither
	// writes anything.
	if code, _, errs := runImport(t, "--db", db, "--source", "coops-uk", "--as-tour", gpxFile); code != 1 || !strings.Contains(errs, "not tours") {
		t.Errorf("into coops-uk: exit %d: %s", code, errs)
	}
	empty := filepath.Join(dir, "empty.gpx")
	os.WriteFile(empty, []byte(`<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg><trkpt lat="1" lon="1"/><trkpt lat="2" lon="2"/></trkseg></trk></gpx>`), 0o644)
	if code, _, errs := runImport(t, "--db", db, "--source", "tours2", "--licence", "CC0-1.0", "--attribution", "x", "--as-tour", empty); code != 1 || !strings.Contains(errs, "no usable point") {
		t.Errorf("no waypoints: exit %d: %s", code, errs)
	}
	if _, err := st.Source(context.Background(), "tours2"); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Errorf("a failed tour import created its source: %v", err)
	}
}

// openTestStore opens the store a test imported into, closed when the
// test ends.
func openTestStore(t *testing.T, db string) coopmap.Store {
	t.Helper()
	st, err := openStore(context.Background(), Config{DB: db}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
