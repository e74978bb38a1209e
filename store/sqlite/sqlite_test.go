package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/sqlite"
	"github.com/coopmap/coopmap/store/storetest"
)

// open opens a store on a new file in the test's temporary directory.
func open(tb testing.TB) coopmap.Store {
	tb.Helper()
	return openAt(tb, filepath.Join(tb.TempDir(), "coopmap.gpkg"))
}

func openAt(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, open)
}
