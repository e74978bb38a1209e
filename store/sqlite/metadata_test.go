package sqlite_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/sqlite"
)

// TestAddSourceMetadata checks the metadata extension rows, that a second
// call registers the extension only once, and that GDAL reads the items
// at the file's and at the features layer's level without a warning.
func TestAddSourceMetadata(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.gpkg")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	src := coopmap.Source{ID: "coops", Title: "Co-ops <&>", Kind: coopmap.KindCoops, Licence: coopmap.Licence{ID: "ODbL-1.0"},
		Attribution: `© OpenStreetMap "contributors" ]]> <x>`, RetrievedAt: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}
	for range 2 {
		if err := s.AddSourceMetadata(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	db := closeAndOpen(t, s, path)
	var exts, rows, refs int
	if err := db.QueryRow(`SELECT
		(SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_metadata'),
		(SELECT count(*) FROM gpkg_metadata WHERE md_standard_uri = 'http://gdal.org' AND mime_type = 'text/xml'),
		(SELECT count(*) FROM gpkg_metadata_reference r JOIN gpkg_metadata m ON m.id = r.md_file_id)`).Scan(&exts, &rows, &refs); err != nil {
		t.Fatal(err)
	}
	if exts != 2 || rows != 2 || refs != 4 {
		t.Errorf("%d extension rows (want 2), %d metadata rows (want 2), %d references (want 4)", exts, rows, refs)
	}

	ogrinfo := tool(t, "ogrinfo")
	out, err := exec.Command(ogrinfo, "-so", "-al", path, "features").CombinedOutput()
	if err != nil || strings.Contains(string(out), "Warning") || strings.Contains(string(out), "ERROR") {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	for _, want := range []string{"LICENCE=ODbL-1.0", "LICENCE_NAME=Open Data Commons Open Database License v1.0",
		"ATTRIBUTION=" + src.Attribution, "TITLE=Co-ops <&>", "RETRIEVED=2024-05-01T00:00:00Z"} {
		if strings.Count(string(out), want) < 2 { // the file's metadata and the layer's
			t.Errorf("ogrinfo shows %q fewer than twice:\n%s", want, out)
		}
	}
}
