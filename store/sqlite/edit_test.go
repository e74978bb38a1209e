package sqlite_test

import (
	"context"
	"database/sql"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/sqlite"
	"github.com/coopmap/coopmap/store/storetest"
)

// closeAndOpen closes s and opens its file at path with database/sql
// (closed when the test ends), to read the tables as another tool would.
func closeAndOpen(t *testing.T, s *sqlite.Store, path string) *sql.DB {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestEditsInTheGeoPackage checks what GIS tools see after edits: the
// features layer holds exactly the live records (a deleted one is gone
// from it and from its R*Tree), the history and suggestion tables are not
// layers, and the layer's extent in gpkg_contents takes in a moved record.
func TestEditsInTheGeoPackage(t *testing.T) {
	ogrinfo := tool(t, "ogrinfo")
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "edited.gpkg")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	fs := []coopmap.Feature{storetest.Point("e", "a", -3, 51), storetest.Point("e", "b", -2, 52), storetest.Point("e", "c", -1, 53)}
	if _, err := s.ReplaceSource(ctx, storetest.Source("e", coopmap.KindCoops), storetest.Seq(fs)); err != nil {
		t.Fatal(err)
	}
	moved := fs[0]
	moved.Geometry = orb.Point{20.5, 70.25}
	c := coopmap.Change{By: "t"}
	if _, err := s.UpdateFeature(ctx, moved, 1, c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteFeature(ctx, fs[1].ID, 1, c); err != nil {
		t.Fatal(err)
	}
	db := closeAndOpen(t, s, path)
	var features, rtree int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM features), (SELECT count(*) FROM rtree_features_geom)`).Scan(&features, &rtree); err != nil {
		t.Fatal(err)
	}
	if features != 2 || rtree != 2 {
		t.Errorf("features %d, R*Tree rows %d; want 2 and 2", features, rtree)
	}
	var ext [4]float64
	const extent = `SELECT min_x, max_x, min_y, max_y FROM gpkg_contents WHERE table_name = 'features'`
	if err := db.QueryRow(extent).Scan(&ext[0], &ext[1], &ext[2], &ext[3]); err != nil {
		t.Fatal(err)
	}
	if ext[0] > -3 || ext[1] < 20.5 || ext[2] > 51 || ext[3] < 70.25 {
		t.Errorf("features extent = %v; want it to hold [-3 20.5 51 70.25]", ext)
	}

	out, err := exec.Command(ogrinfo, "-ro", "-so", "-al", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	list := string(out)
	for _, bad := range []string{"Warning", "ERROR", "feature_revisions", "suggestions"} {
		if strings.Contains(list, bad) {
			t.Errorf("ogrinfo output has %q:\n%s", bad, list)
		}
	}
	if !strings.Contains(list, "Layer name: features\n") || !strings.Contains(list, "Feature Count: 2\n") {
		t.Errorf("ogrinfo does not show 2 features:\n%s", list)
	}
}
