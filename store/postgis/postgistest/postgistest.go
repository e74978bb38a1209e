package postgistest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopmap/coopmap/store/postgis"
)

// EnvDSN names the environment variable holding the test database's URL,
// such as postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. The
// role must be able to create schemas and, unless the database already
// has them, the postgis and pg_trgm extensions.
const EnvDSN = "COOPMAP_TEST_POSTGRES"

// DSN returns the test database's URL. When EnvDSN is unset it skips tb, or
// fails it when the CI environment variable is set.
func DSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is not set; CI must test the PostGIS store", EnvDSN)
		}
		tb.Skipf("%s is not set: skipping PostGIS tests", EnvDSN)
	}
	return dsn
}

// lockExtensions serialises CREATE EXTENSION across test processes, which
// would otherwise race on pg_extension's unique index. It is
// migrations' lock key, so migrating stores wait too.
const lockExtensions int64 = 0x636f6f706d617031

const (
	lockExtensionsSQL = `SELECT pg_advisory_xact_lock($1)`
	// Extensions go in public, which every test schema's search_path
	// includes; in a test schema they would be dropped with it.
	createExtensionsSQL = `CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`
)

// Schema creates an empty schema in the test database and returns a DSN
// whose search_path is that schema, then public (where it makes sure the
// postgis and pg_trgm extensions exist). The schema and everything in it
// are dropped when tb ends. It skips or fails tb as DSN does.
func Schema(tb testing.TB) string {
	tb.Helper()
	dsn := DSN(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := fmt.Sprintf("t_%016x", rand.Uint64())
	schema := pgx.Identifier{name}.Sanitize()

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("postgistest: connecting to %s: %v", EnvDSN, err)
	}
	defer conn.Close(ctx)
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockExtensionsSQL, lockExtensions); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, createExtensionsSQL)
		return err
	})
	if err != nil {
		tb.Fatalf("postgistest: creating extensions: %v", err)
	}
	// The name is ours, never input; it is quoted all the same.
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("postgistest: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			tb.Errorf("postgistest: dropping schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("postgistest: dropping schema %s: %v", name, err)
		}
	})
	return withSearchPath(dsn, name+",public")
}

// withSearchPath adds search_path to a URL or a key=value DSN; pgx sends
// unknown settings to the server as run-time parameters.
func withSearchPath(dsn, path string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", path)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + path
}

// Open returns a migrated, empty store in a fresh schema (see Schema),
// closed and dropped when tb ends. It skips or fails tb as DSN does.
func Open(tb testing.TB) *postgis.Store {
	tb.Helper()
	dsn := Schema(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := postgis.Open(ctx, dsn)
	if err != nil {
		tb.Fatalf("postgistest: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("postgistest: %v", err)
	}
	return s
}
