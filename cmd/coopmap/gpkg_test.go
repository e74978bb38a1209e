package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/sqlite"
)

// gpkgSource has quotes, markup and a non-BMP character in its provenance.
var gpkgSource = coopmap.Source{
	ID: "coops", Title: `Co-ops "UK" <b>`, Kind: coopmap.KindCoops, Licence: coopmap.Licence{ID: "ODC-By-1.0"},
	Attribution: `Contains data from Co-operatives UK & "friends" <script>x</script> 🚲`, Owner: "Co-operatives UK",
	Origin: "https://www.uk.coop/open-data", RetrievedAt: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
}

// gpkgFeatures returns n co-ops with hostile names, every tenth a line.
func gpkgFeatures(n int) func(func(coopmap.Feature, error) bool) {
	return func(yield func(coopmap.Feature, error) bool) {
		for i := range n {
			f := coopmap.Feature{ID: coopmap.FeatureID("coops", fmt.Sprintf("R%04d", i)), SourceID: "coops",
				Name: fmt.Sprintf("Co-op %d", i) + ` "quoted", <script> ]]> 𝄞` + "\nnext line\x01", Sector: "Food",
				Geometry: orb.Point{-1 + float64(i%1000)*0.001, 52 + float64(i/1000)*0.001}, Precision: coopmap.PrecisionExact}
			if i%10 == 9 {
				f.Geometry = orb.LineString{{0, 50}, {0.1, 50.1}}
			}
			if !yield(f, nil) {
				return
			}
		}
	}
}

// gpkgTool returns the path of a GDAL tool, skipping the test without it
// (failing under CI, which installs it: scripts/deps.sh).
func gpkgTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// ogrinfo runs ogrinfo and fails on an error or any warning.
func ogrinfo(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(gpkgTool(t, "ogrinfo"), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("ogrinfo %s: %v\n%s\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// TestGeoPackageDownload downloads a collection as GeoPackage from a
// running server and checks it with ogrinfo: the feature count, no
// warnings, the provenance in the metadata and the sources table, and
// that the temporary file is gone.
func TestGeoPackageDownload(t *testing.T) {
	gpkgTool(t, "ogrinfo")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "coopmap.gpkg")
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReplaceSource(ctx, gpkgSource, gpkgFeatures(250)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	base, _, _ := startServer(t, Config{DB: db})

	for _, tc := range []struct{ query, file, count string }{
		{"?f=gpkg", "coops.gpkg", "Feature Count: 250"},
		{"?f=gpkg&bbox=-1,51,-0.9,53", "coops-filtered.gpkg", "Feature Count: 91"},
	} {
		res, err := http.Get(base + "/collections/coops/download" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %d %v\n%s", tc.query, res.StatusCode, err, body)
		}
		if ct, cd := res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"); ct != "application/geopackage+sqlite3" ||
			cd != `attachment; filename="`+tc.file+`"` {
			t.Errorf("%s: Content-Type %q, Content-Disposition %q", tc.query, ct, cd)
		}
		path := filepath.Join(t.TempDir(), tc.file)
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		out := ogrinfo(t, "-al", "-so", path, "features")
		if !strings.Contains(out, tc.count) {
			t.Errorf("%s: ogrinfo:\n%s", tc.query, out)
		}
		for _, want := range []string{
			"LICENCE=ODC-By-1.0", "LICENCE_URL=https://opendatacommons.org/licenses/by/1-0/",
			"ATTRIBUTION=" + gpkgSource.Attribution, "OWNER=Co-operatives UK", "ORIGIN=https://www.uk.coop/open-data",
			"RETRIEVED=2024-05-01T00:00:00Z", "SOURCE_ID=coops",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: ogrinfo does not show %q:\n%s", tc.query, want, out)
			}
		}
		sources := ogrinfo(t, "-al", "-q", path, "sources")
		if !strings.Contains(sources, "attribution (String) = "+gpkgSource.Attribution) || !strings.Contains(sources, "licence_id (String) = ODC-By-1.0") {
			t.Errorf("sources layer:\n%s", sources)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestGeoPackageDownloadFailure checks that a failing feature stream
// leaves no temporary file and reports the error.
func TestGeoPackageDownloadFailure(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	bad := func(yield func(coopmap.Feature, error) bool) {
		yield(coopmap.Feature{ID: "coops.x", SourceID: "coops", Geometry: orb.Point{500, 0}, Precision: coopmap.PrecisionExact}, nil)
	}
	var out bytes.Buffer
	err := writeGeoPackage(context.Background(), &out, gpkgSource, bad)
	if coopmap.ErrorCode(err) != coopmap.CodeInvalid || out.Len() > 0 {
		t.Errorf("error %v, %d bytes written", err, out.Len())
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}
