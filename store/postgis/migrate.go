package postgis

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/coopmap/coopmap/migrations"
)

// LatestSchemaVersion is the schema version this code needs: the number of
// the last migration in migrations/postgis.
const LatestSchemaVersion = 5

// ErrSchemaVersion matches (with errors.Is) every *SchemaError, so callers
// can tell a database that is up but at the wrong version from one that
// cannot be reached.
var ErrSchemaVersion = errors.New("postgis: database schema version does not match")

// SchemaError reports a database whose schema is not at LatestSchemaVersion.
type SchemaError struct {
	// Have is the database's version, 0 for an empty database.
	Have int
	// Want is LatestSchemaVersion.
	Want int
}

// Error says what to do about the mismatch.
func (e *SchemaError) Error() string {
	if e.Have > e.Want {
		return fmt.Sprintf("database schema is at version %d, newer than this coopmap knows (%d): upgrade coopmap", e.Have, e.Want)
	}
	return fmt.Sprintf("database schema is at version %d, this coopmap needs %d: run `coopmap migrate --db …` or serve with --migrate", e.Have, e.Want)
}

// Is makes errors.Is(err, ErrSchemaVersion) hold.
func (e *SchemaError) Is(target error) bool { return target == ErrSchemaVersion }

// Outdated reports whether migrating would fix the mismatch.
func (e *SchemaError) Outdated() bool { return e.Have < e.Want }

// migration is one embedded SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations in version order and checks
// that they are numbered 1, 2, … LatestSchemaVersion.
func loadMigrations() ([]migration, error) {
	const dir = "postgis"
	entries, err := fs.ReadDir(migrations.PostGIS, dir)
	if err != nil {
		return nil, fmt.Errorf("postgis: reading embedded migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("postgis: migration %s is not named NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(migrations.PostGIS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("postgis: reading migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("postgis: migration %s: want version %d (no gaps or repeats)", m.name, i+1)
		}
	}
	if len(ms) != LatestSchemaVersion {
		return nil, fmt.Errorf("postgis: %d embedded migrations but LatestSchemaVersion is %d", len(ms), LatestSchemaVersion)
	}
	return ms, nil
}

// migrateLock is the pg_advisory_xact_lock key that serialises migrations
// (and the CREATE EXTENSIONs in them) across processes: "coopmap1" in ASCII.
const migrateLock int64 = 0x636f6f706d617031

const (
	lockMigrationsSQL = `SELECT pg_advisory_xact_lock($1)`

	createMigrationsTableSQL = `CREATE TABLE IF NOT EXISTS coopmap_schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

	// to_regclass follows search_path, so a store confined to one schema
	// sees only that schema's table.
	migrationsTableExistsSQL = `SELECT to_regclass('coopmap_schema_migrations') IS NOT NULL`

	schemaVersionSQL = `SELECT coalesce(max(version), 0) FROM coopmap_schema_migrations`

	recordMigrationSQL = `INSERT INTO coopmap_schema_migrations (version, name) VALUES ($1, $2)`
)

// Migrate brings the database schema to LatestSchemaVersion by applying the
// embedded migrations it lacks, in order, each in its own transaction and
// under an advisory lock, so that several processes may migrate at once.
// Applied versions are recorded in coopmap_schema_migrations. The error is a
// *SchemaError when the database is newer than this code, or else the
// failure of the connection or of a migration, which is rolled back.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := s.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// apply runs m unless the database already has it.
func (s *Store) apply(ctx context.Context, m migration) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgis: migrate: %w", ctxErr(ctx, err))
	}
	defer rollback(ctx, tx)
	if _, err := tx.Exec(ctx, noStatementTimeoutSQL); err != nil {
		return fmt.Errorf("postgis: migrate: %w", ctxErr(ctx, err))
	}
	if _, err := tx.Exec(ctx, lockMigrationsSQL, migrateLock); err != nil {
		return fmt.Errorf("postgis: migrate: locking: %w", ctxErr(ctx, err))
	}
	if _, err := tx.Exec(ctx, createMigrationsTableSQL); err != nil {
		return fmt.Errorf("postgis: migrate: creating coopmap_schema_migrations: %w", ctxErr(ctx, err))
	}
	var have int
	if err := tx.QueryRow(ctx, schemaVersionSQL).Scan(&have); err != nil {
		return fmt.Errorf("postgis: migrate: reading the schema version: %w", ctxErr(ctx, err))
	}
	if have > LatestSchemaVersion {
		return &SchemaError{Have: have, Want: LatestSchemaVersion}
	}
	if have >= m.version {
		return nil
	}
	// With no arguments pgx sends the file in one simple-protocol query,
	// which may hold several statements.
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return fmt.Errorf("postgis: migration %s: %w", m.name, ctxErr(ctx, err))
	}
	if _, err := tx.Exec(ctx, recordMigrationSQL, m.version, m.name); err != nil {
		return fmt.Errorf("postgis: migration %s: recording it: %w", m.name, ctxErr(ctx, err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgis: migration %s: commit: %w", m.name, ctxErr(ctx, err))
	}
	return nil
}

// SchemaVersion returns the schema version recorded in the database: 0
// when no migration has run. The error is the failure to reach or query
// the database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, migrationsTableExistsSQL).Scan(&exists); err != nil {
		return 0, fmt.Errorf("postgis: reading the schema version: %w", ctxErr(ctx, err))
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := s.pool.QueryRow(ctx, schemaVersionSQL).Scan(&v); err != nil {
		return 0, fmt.Errorf("postgis: reading the schema version: %w", ctxErr(ctx, err))
	}
	return v, nil
}

// CheckSchema returns nil when the database is reachable and its schema is
// at LatestSchemaVersion, a *SchemaError (errors.Is ErrSchemaVersion) when
// it is reachable at another version, and otherwise the connection or
// query error.
func (s *Store) CheckSchema(ctx context.Context) error {
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if have != LatestSchemaVersion {
		return &SchemaError{Have: have, Want: LatestSchemaVersion}
	}
	return nil
}
