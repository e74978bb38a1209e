package postgis

import (
	"strings"
	"testing"
)

func TestLoadMigrations(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != LatestSchemaVersion || ms[0].version != 1 || !strings.Contains(ms[0].sql, "CREATE TABLE features") {
		t.Fatalf("migrations = %d, first %+v", len(ms), ms[0].name)
	}
}
