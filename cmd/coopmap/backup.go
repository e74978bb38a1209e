package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// backupCommand runs `coopmap backup --db FILE.gpkg OUT.gpkg`: an online
// backup of the GeoPackage, safe while coopmap serve or an import uses it.
// SQLite's VACUUM INTO writes a consistent, compacted snapshot (the state
// of the last committed transaction) from a read-only connection, so the
// live file is never written to. The copy goes to OUT.partial beside OUT,
// passes PRAGMA integrity_check, and is then renamed to OUT, so OUT is
// either a complete backup or absent. An existing OUT is an error. PostGIS
// is backed up with pg_dump (docs/DEPLOY.md).
func backupCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var c Config
	fs := newFlagSet("backup", stderr, getenv, &c)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: coopmap backup [--db FILE.gpkg] OUT.gpkg")
		return errUsage
	}
	out := fs.Arg(0)
	if isPostgres(c.DB) {
		return fmt.Errorf("%s is PostGIS: back it up with pg_dump (pg_dump -Fc -d DBNAME -f coopmap.dump; see docs/DEPLOY.md)", redact(c.DB))
	}
	start := time.Now()
	n, err := backupGeoPackage(ctx, c.DB, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: backed up to %s (%d bytes, %v)\n", c.DB, out, n, time.Since(start).Round(time.Millisecond))
	return nil
}

// backupGeoPackage copies the GeoPackage at src to out with VACUUM INTO
// and returns the copy's size.
func backupGeoPackage(ctx context.Context, src, out string) (size int64, err error) {
	if _, err := os.Stat(src); err != nil {
		return 0, fmt.Errorf("backup: %w", err) // never create an empty database by opening a missing one
	}
	if _, err := os.Lstat(out); err == nil {
		return 0, fmt.Errorf("backup: %s exists; remove it or choose another name", out)
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	partial := out + ".partial"
	os.Remove(partial) // a leftover of an interrupted backup
	defer func() {
		if err != nil {
			os.Remove(partial)
		}
	}()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: abs}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	var appID int64
	if err := db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return 0, fmt.Errorf("backup: %s: %w", src, err)
	}
	if appID != 0x47504b47 { // "GPKG"
		return 0, fmt.Errorf("backup: %s is not a GeoPackage (application_id %#x)", src, appID)
	}
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", partial); err != nil {
		return 0, fmt.Errorf("backup: writing %s: %w", partial, err)
	}
	if err := integrityOK(ctx, partial); err != nil {
		return 0, err
	}
	if err := os.Rename(partial, out); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	st, err := os.Stat(out)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return st.Size(), nil
}

// integrityOK runs PRAGMA integrity_check on the SQLite file at path.
func integrityOK(ctx context.Context, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: abs}).EscapedPath()+"?mode=ro")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("backup: checking %s: %w", path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("backup: checking %s: %w", path, err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backup: checking %s: %w", path, err)
	}
	if len(problems) > 0 {
		return errors.New("backup: the copy fails PRAGMA integrity_check: " + strings.Join(problems, "; "))
	}
	return nil
}
