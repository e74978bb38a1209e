package postgis_test

import (
	"context"
	"testing"

	"github.com/coopmap/coopmap/store/postgis"
	"github.com/coopmap/coopmap/store/postgis/postgistest"
	"github.com/coopmap/coopmap/store/storetest"
)

// TestSourceHistoryMigration takes a schema back to before source
// metadata history was kept (its table and migration removed) and checks
// that migration 0005 starts the history of the sources already there.
func TestSourceHistoryMigration(t *testing.T) {
	ctx := context.Background()
	s := postgistest.Open(t)
	src := storetest.SourceBeforeHistory(t, s, "older")
	for _, q := range []string{`DROP TABLE source_revisions`, `DELETE FROM coopmap_schema_migrations WHERE version = 5`} {
		if err := postgis.ExecForTest(ctx, s, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.CheckSourceBaseline(t, s, src)
}
