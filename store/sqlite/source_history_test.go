package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/coopmap/coopmap/store/storetest"
)

// TestSourceHistoryMigration opens a file made before source metadata
// history was kept (its table and migration removed) and checks that
// migration 0006 starts the history of the sources already there.
func TestSourceHistoryMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coopmap.gpkg")
	s := openAt(t, path)
	src := storetest.SourceBeforeHistory(t, s, "older")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE source_revisions`, `DELETE FROM coopmap_schema WHERE version >= 6`} {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	storetest.CheckSourceBaseline(t, openAt(t, path), src)
}
