package webtest_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
	"github.com/coopmap/coopmap/importers/csv"
)

// gdal returns the path of a GDAL tool, skipping the test when GDAL is
// not installed, unless CI is set, when that is a failure.
func gdal(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; CI must run the GDAL client tests (scripts/deps.sh installs gdal-bin)", tool)
		}
		t.Skipf("%s is not installed (apt-get install gdal-bin)", tool)
	}
	return p
}

// importDemo imports the bundled Co-operatives UK register (demo/) as the
// source coops-uk and returns how many features it holds.
func importDemo(t *testing.T, st coopmap.Store) int {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "demo", "coops-uk-Q2-2023.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src := source("coops-uk", coopmap.KindCoops, "ODC-By-1.0")
	rep, err := importers.Import(context.Background(), st, importers.Options{Source: src, Formats: importers.Formats{importers.FormatCSV: csv.Parse}},
		importers.Input{Name: "coops-uk-Q2-2023.csv", Reader: f})
	if err != nil {
		t.Fatalf("importing the demo register: %v", err)
	}
	return rep.Imported
}

// runTool runs a command with a time limit and returns its output.
func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "GDAL_HTTP_TIMEOUT=60", "CPL_VSIL_CURL_USE_CACHE=NO")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

var featureCountRE = regexp.MustCompile(`(?m)^Feature Count: (\d+)$`)

// featureCount runs ogrinfo -so on one layer and returns its count.
func featureCount(t *testing.T, ogrinfo, ds, layer string) int {
	t.Helper()
	out := runTool(t, ogrinfo, "-ro", "-so", ds, layer)
	m := featureCountRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("ogrinfo %s %s: no feature count in\n%s", ds, layer, out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestOGCWithGDAL reads every collection through GDAL's OAPIF driver, as
// QGIS does: ogrinfo must list each collection with its exact count, and
// ogr2ogr must copy every feature into a GeoPackage.
func TestOGCWithGDAL(t *testing.T) {
	ogrinfo, ogr2ogr := gdal(t, "ogrinfo"), gdal(t, "ogr2ogr")
	each(t, func(t *testing.T, srv *httptest.Server, st coopmap.Store) {
		demo := importDemo(t, st)
		want := map[string]int{"coops-uk": demo, "coops": nCoops, "orchards": 3, "pacific": 3, "tours": 2, "tour-stops": 4}
		ds := "OAPIF:" + srv.URL

		list := runTool(t, ogrinfo, "-ro", "-q", ds)
		for name := range want {
			if !regexp.MustCompile(`(?m)^\d+: ` + regexp.QuoteMeta(name) + `( \(|$)`).MatchString(list) {
				t.Errorf("ogrinfo does not list %s:\n%s", name, list)
			}
		}
		for name, n := range want {
			if got := featureCount(t, ogrinfo, ds, name); got != n {
				t.Errorf("ogrinfo %s: Feature Count %d; want %d", name, got, n)
			}
		}
		for name, n := range want {
			out := filepath.Join(t.TempDir(), name+".gpkg")
			runTool(t, ogr2ogr, "-f", "GPKG", out, ds, name)
			if got := featureCount(t, ogrinfo, out, name); got != n {
				t.Errorf("ogr2ogr %s: copied %d features; want %d", name, got, n)
			}
		}
	})
}
