package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/postgis"
	"github.com/coopmap/coopmap/store/sqlite"
)

// openLogged opens the store c.DB names (openStore) for a command that
// needs no logger of its own, logging to stderr as c says.
func openLogged(ctx context.Context, c Config, stderr io.Writer) (coopmap.Store, error) {
	log, err := newLogger(stderr, c.LogFormat, c.LogLevel)
	if err != nil {
		return nil, err
	}
	return openStore(ctx, c, log)
}

// openStore opens the store c.DB names. A GeoPackage is created and
// migrated on open. For PostGIS an outdated schema is an error unless
// c.Migrate is set; an unreachable database is not: the server starts,
// /readyz answers 503 until the database is up, and with c.Migrate the
// schema is brought up to date as soon as it is.
func openStore(ctx context.Context, c Config, log *slog.Logger) (coopmap.Store, error) {
	if !isPostgres(c.DB) {
		return sqlite.OpenWith(ctx, c.DB, sqlite.Options{BusyTimeout: c.BusyTimeout})
	}
	opts := postgis.Options{StatementTimeout: c.StatementTimeout, MaxConns: int32(c.MaxConns)}
	st, err := postgis.OpenWith(ctx, c.DB, opts)
	if err != nil {
		return nil, err
	}
	check := st.CheckSchema
	if c.Migrate {
		check = st.Migrate
	}
	// Bounded, so a database that accepts connections but never answers
	// delays start-up by seconds, not forever.
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = check(cctx)
	cancel()
	switch {
	case err == nil:
		return withReplica(ctx, st, c, opts, log)
	case errors.Is(err, postgis.ErrSchemaVersion):
		st.Close()
		return nil, err
	}
	log.Warn("PostGIS is not reachable yet; serving anyway, /readyz reports 503 until it is", "err", err)
	if c.Migrate {
		go migrateWhenUp(ctx, st, log)
	}
	return withReplica(ctx, st, c, opts, log)
}

// withReplica returns primary, or with c.ReadDB a store that reads from
// that replica and writes to primary. Like the primary, a replica that is
// not reachable yet is no error: /readyz says so until it is.
func withReplica(ctx context.Context, primary *postgis.Store, c Config, opts postgis.Options, log *slog.Logger) (coopmap.Store, error) {
	if c.ReadDB == "" {
		return primary, nil
	}
	replica, err := postgis.OpenWith(ctx, c.ReadDB, opts)
	if err != nil {
		primary.Close()
		return nil, fmt.Errorf("--read-db: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := replica.CheckSchema(cctx); err != nil {
		// A replica catches up with the primary's migrations by itself.
		log.Warn("the read replica cannot serve yet; /readyz reports 503 until it can", "read_db", redact(c.ReadDB), "err", err)
	}
	log.Info("reading from a replica", "read_db", redact(c.ReadDB))
	return postgis.NewReplicated(primary, replica), nil
}

// migrateWhenUp retries the migration until the database answers or ctx ends.
func migrateWhenUp(ctx context.Context, st *postgis.Store, log *slog.Logger) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := st.Migrate(cctx)
		cancel()
		if err == nil {
			log.Info("PostGIS is up and its schema is current")
			return
		}
		log.Debug("PostGIS still not ready", "err", err)
	}
}

// migrate runs the migrate command.
func migrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var c Config
	fs := newFlagSet("migrate", stderr, getenv, &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	if !isPostgres(c.DB) {
		st, err := sqlite.Open(ctx, c.DB)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: GeoPackage schema is current (it is migrated whenever it is opened)\n", c.DB)
		return st.Close()
	}
	st, err := postgis.Open(ctx, c.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: schema is current\n", redact(c.DB))
	return nil
}

// redact hides a password in a database URL for logs.
func redact(dsn string) string {
	if !isPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}
