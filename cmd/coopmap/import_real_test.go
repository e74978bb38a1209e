package main

import (
	ecsv "encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// demoCSV is the whole Co-operatives UK open data file that make run loads.
const demoCSV = "../../demo/coops-uk-Q2-2023.csv"

// importReport runs coopmap import with --report and returns the exit
// status and the report.
func importReport(t *testing.T, args ...string) (int, reportJSON) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.json")
	code, out, errs := runImport(t, append(args, "--report", path, "--show", "0")...)
	var rep reportJSON
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no report: %v\n%s%s", err, out, errs)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return code, rep
}

// reportJSON is the part of the --report file these tests read.
type reportJSON struct {
	Read, Imported, Skipped int
	Added, Unchanged        int
	NoteCount               int `json:"note_count"`
	Problems                []struct{ Where, Field, Reason string }
	Error                   string
}

// The whole Co-operatives UK file: every one of its 7,387 rows (counted
// here with encoding/csv) is either imported or left out with a reason
// and its line, and a second import changes nothing.
func TestImportRealCoopsUK(t *testing.T) {
	f, err := os.Open(demoCSV)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := ecsv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	rows := len(recs) - 1
	if rows != 7387 {
		t.Fatalf("the file has %d rows; SOURCE.txt says 7,387", rows)
	}

	db := filepath.Join(t.TempDir(), "coopmap.gpkg")
	code, rep := importReport(t, append(newSource(db), demoCSV)...)
	if code != 0 || rep.Read != rows || rep.Imported != 7097 || rep.Skipped != 290 || rep.Added != 7097 || rep.NoteCount != 0 {
		t.Fatalf("exit %d, report %+v; want 7,387 read = 7,097 imported + 290 skipped", code, rep)
	}
	// Every skipped row has its own problem (MaxProblems is above 290),
	// with its line, and the same reason: a postcode the shipped table
	// lacks (Northern Ireland's are not in OS data).
	if len(rep.Problems) != rep.Skipped {
		t.Fatalf("%d problems for %d skipped rows", len(rep.Problems), rep.Skipped)
	}
	where := regexp.MustCompile(`^` + regexp.QuoteMeta(demoCSV) + `:(\d+)$`)
	reason := regexp.MustCompile(`^no coordinates, and postcode "([A-Z0-9 ]+)" is not in the postcode table$`)
	lines := map[string]bool{}
	ni := 0
	for _, p := range rep.Problems {
		m := where.FindStringSubmatch(p.Where)
		r := reason.FindStringSubmatch(p.Reason)
		if m == nil || r == nil || lines[m[1]] {
			t.Errorf("problem %+v: want a new %s:LINE and an unknown postcode", p, demoCSV)
			continue
		}
		lines[m[1]] = true
		if strings.HasPrefix(r[1], "BT") {
			ni++
		}
	}
	t.Logf("290 rows left out, %d of them with Northern Ireland (BT) postcodes", ni)
	if ni < 200 {
		t.Errorf("only %d of the rows left out are in Northern Ireland", ni)
	}

	code, rep = importReport(t, "--db", db, "--source", "coops-uk", demoCSV)
	if code != 0 || rep.Unchanged != 7097 || rep.Added != 0 {
		t.Errorf("second import: exit %d, %+v", code, rep)
	}
}

// xmlCount counts the elements with these local names in a file with
// xmllint, the tool users have, independently of coopmap's parsers.
func xmlCount(t *testing.T, file string, names ...string) int {
	t.Helper()
	var terms []string
	for _, n := range names {
		terms = append(terms, "count(//*[local-name()='"+n+"'])")
	}
	out, err := exec.Command("xmllint", "--xpath", strings.Join(terms, "+"), file).Output()
	if err != nil {
		t.Fatalf("xmllint %s: %v", file, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("xmllint %s: %q", file, out)
	}
	return n
}

// The real GPX and KML fixtures (byte-identical to placemark/togeojson's
// test files, see testdata/gpx/SOURCE.txt): every waypoint, route and
// track, and every placemark and network link, counted by xmllint, is
// read, and is imported or left out with a reason and its location (the
// deliberately bad files, bad.gpx and bad.kml, have no usable record, so
// their imports fail and write nothing).
func TestImportRealGPXKML(t *testing.T) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatal("xmllint is needed (apt-get install libxml2-utils; scripts/deps.sh does it)")
	}
	db := filepath.Join(t.TempDir(), "coopmap.gpkg")
	files, _ := filepath.Glob("../../testdata/gpx/*.gpx")
	kmls, _ := filepath.Glob("../../testdata/kml/*.kml")
	files = append(files, kmls...)
	if len(files) < 50 {
		t.Fatalf("%d fixtures; want the 58 real files and the hand-made ones", len(files))
	}
	for i, file := range files {
		base := filepath.Base(file)
		t.Run(base, func(t *testing.T) {
			var want int
			if strings.HasSuffix(file, ".gpx") {
				want = xmlCount(t, file, "wpt", "rte", "trk")
			} else {
				want = xmlCount(t, file, "Placemark", "NetworkLink", "GroundOverlay")
			}
			args := []string{"--db", db, "--source", "f" + strconv.Itoa(i), "--licence", "BSD-2-Clause", "--attribution", "placemark/togeojson test data", file}
			code, rep := importReport(t, args...)
			if rep.Read != want || rep.Imported+rep.Skipped != rep.Read || len(rep.Problems) != rep.Skipped {
				t.Errorf("exit %d: %d read (%d imported, %d skipped, %d problems); xmllint counts %d records", code, rep.Read, rep.Imported, rep.Skipped, len(rep.Problems), want)
			}
			for _, p := range rep.Problems {
				if !strings.HasPrefix(p.Where, file) || p.Reason == "" {
					t.Errorf("problem without location or reason: %+v", p)
				}
			}
			if (code == 0) != (rep.Imported > 0) {
				t.Errorf("exit %d with %d imported: %s", code, rep.Imported, rep.Error)
			}
		})
	}
}

// Real OSM data with --osm-filter: the 24 cycleways of the Wood Green
// extract (xmllint counts the ways tagged highway=cycleway) become lines
// with their tags.
func TestImportRealOSMFilter(t *testing.T) {
	file := "../../testdata/osm/wood-green-highways.osm"
	out, err := exec.Command("xmllint", "--xpath", "count(//way[tag[@k='highway' and @v='cycleway']])", file).Output()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	db := filepath.Join(t.TempDir(), "coopmap.gpkg")
	code, rep := importReport(t, "--db", db, "--source", "cycleways", "--licence", "ODbL-1.0", "--attribution", "© OpenStreetMap contributors",
		"--osm-filter", "highway=cycleway", file)
	if code != 0 || want != 24 || rep.Read != want || rep.Imported != want {
		t.Fatalf("exit %d, %+v; xmllint counts %d cycleways", code, rep, want)
	}
	_, fs, _ := stored(t, db, "cycleways")
	for _, f := range fs {
		if f.Properties["highway"] != "cycleway" || f.Geometry.GeoJSONType() != "LineString" {
			t.Errorf("%s: %s %v", f.ID, f.Geometry.GeoJSONType(), f.Properties)
		}
	}
	code, _, errs := runImport(t, "--db", db, "--source", "cycleways", "--osm-filter", "highway", file)
	if code != 1 || !strings.Contains(errs, "--osm-filter") {
		t.Errorf("a bad filter: exit %d: %s", code, errs)
	}
}
