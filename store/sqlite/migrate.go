package sqlite

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/coopmap/coopmap/migrations"
)

// migration is one embedded schema file.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads migrations/sqlite/NNNN_name.sql in version order and
// checks they are numbered 1, 2, 3… without gaps.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations.SQLite, "sqlite/*.sql")
	if err != nil {
		return nil, fmt.Errorf("sqlite: listing migrations: %w", err)
	}
	var ms []migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("sqlite: migration %s is not named NNNN_name.sql", base)
		}
		b, err := fs.ReadFile(migrations.SQLite, n)
		if err != nil {
			return nil, fmt.Errorf("sqlite: reading migration %s: %w", base, err)
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlite: migration %s: want version %d (no gaps, no repeats)", m.name, i+1)
		}
	}
	return ms, nil
}

// gpkgApplicationID is PRAGMA application_id of a GeoPackage: 'GPKG'.
const gpkgApplicationID = 0x47504B47

// migrate applies the migrations the file has not had, all in one
// immediate transaction, so two processes opening a new file at once do
// not both create the schema, and a failed upgrade leaves the file as it
// was. The applied versions are kept in coopmap_schema rather than in
// PRAGMA user_version, which GeoPackage reserves for its own version.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	op := "open " + s.path + ": migrate"
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return dbError(ctx, op, err)
	}
	defer tx.Rollback()

	const appID = `PRAGMA application_id`
	var id int64
	if err := tx.QueryRowContext(ctx, appID).Scan(&id); err != nil {
		return dbError(ctx, op+": reading application_id", err)
	}
	if id != 0 && id != gpkgApplicationID {
		return fmt.Errorf("sqlite: %s is an SQLite database of another application (application_id %#x), not a GeoPackage", s.path, id)
	}

	const createSchema = `CREATE TABLE IF NOT EXISTS coopmap_schema (
		version INTEGER PRIMARY KEY NOT NULL,
		name TEXT NOT NULL,
		applied_at DATETIME NOT NULL
	)`
	if _, err := tx.ExecContext(ctx, createSchema); err != nil {
		return dbError(ctx, op+": creating coopmap_schema", err)
	}
	const current = `SELECT coalesce(max(version), 0) FROM coopmap_schema`
	var have int
	if err := tx.QueryRowContext(ctx, current).Scan(&have); err != nil {
		return dbError(ctx, op+": reading schema version", err)
	}
	if have > len(ms) {
		return fmt.Errorf("sqlite: %s has schema version %d; this build knows only up to %d", s.path, have, len(ms))
	}
	const record = `INSERT INTO coopmap_schema (version, name, applied_at) VALUES (?, ?, ?)`
	now := timeArg(time.Now())
	for _, m := range ms[have:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return dbError(ctx, op+": applying "+m.name, err)
		}
		if _, err := tx.ExecContext(ctx, record, m.version, m.name, now); err != nil {
			return dbError(ctx, op+": recording "+m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return dbError(ctx, op+": commit", err)
	}
	s.schema = len(ms)
	if have < len(ms) {
		// GDAL reads the application_id and user_version from the file's
		// first bytes, not through SQLite: until a checkpoint, a new file's
		// header is only in the WAL, and ogrinfo on a store being served
		// would call it "not a GeoPackage".
		const checkpoint = `PRAGMA wal_checkpoint(TRUNCATE)`
		if _, err := s.w.ExecContext(ctx, checkpoint); err != nil {
			return dbError(ctx, op+": checkpoint", err)
		}
	}
	return nil
}
