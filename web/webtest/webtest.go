// Package webtest serves coopmap's HTTP API over real stores in tests: a
// GeoPackage in a temporary file and PostGIS (through postgistest), so
// that every handler test can run against both stores. It lives apart
// from package web, which must not import a concrete store.
package webtest

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/postgis/postgistest"
	"github.com/coopmap/coopmap/store/sqlite"
	"github.com/coopmap/coopmap/web"
)

// Store is a kind of store that tests open fresh.
type Store struct {
	// Name is "sqlite" or "postgis", for subtest names.
	Name string
	// Open returns a fresh, empty store, closed when tb ends. The PostGIS
	// store skips tb when COOPMAP_TEST_POSTGRES is unset, or fails it when
	// CI is set too.
	Open func(tb testing.TB) coopmap.Store
}

// Stores returns both stores.
func Stores() []Store {
	return []Store{
		{Name: "sqlite", Open: openSQLite},
		{Name: "postgis", Open: func(tb testing.TB) coopmap.Store { return postgistest.Open(tb) }},
	}
}

func openSQLite(tb testing.TB) coopmap.Store {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "coopmap.gpkg")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("webtest: opening %s: %v", path, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Serve starts the server over st on a loopback port and returns it; it is
// closed when tb ends. Logs are discarded unless the test runs verbose.
func Serve(tb testing.TB, st coopmap.Store, cfg web.Config) *httptest.Server {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	srv := httptest.NewServer(web.New(st, log, cfg).Handler())
	tb.Cleanup(srv.Close)
	return srv
}

// tbWriter sends log lines to the test's log.
type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(string(p))
	return len(p), nil
}
