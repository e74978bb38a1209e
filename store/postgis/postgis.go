package postgis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopmap/coopmap"
)

var _ coopmap.Store = (*Store)(nil)

// Store is the coopmap.Store on PostgreSQL with PostGIS. It is safe for
// concurrent use; its methods follow the error contract of coopmap.Reader
// and coopmap.Writer, wrapping domain errors with context.
type Store struct {
	pool *pgxpool.Pool
}

// Open returns a store for the database at dsn, a postgres:// URL or a
// key=value connection string. It does not connect: connections are made
// when first needed, so a server can start while the database is down and
// become ready when it comes up (see Ping). The error reports a DSN that
// cannot be parsed. Open does not migrate; call Migrate, or check the schema
// with CheckSchema. The DSN may set any PostgreSQL run-time parameter
// (search_path=…, for one), and pgx's pool settings (pool_max_conns=…).
func Open(ctx context.Context, dsn string) (*Store, error) {
	return OpenWith(ctx, dsn, Options{})
}

// Options tunes a store's connections; the zero value keeps the server's
// and pgx's defaults.
type Options struct {
	// StatementTimeout is set as statement_timeout on every connection
	// of the pool, so the server itself cancels a query that runs longer
	// (0: the server's setting, normally none). A statement_timeout in
	// the DSN wins. Imports and migrations lift it for their transaction:
	// their caller's context bounds them instead.
	StatementTimeout time.Duration
	// MaxConns caps the pool (0: pgx's default, or pool_max_conns from
	// the DSN).
	MaxConns int32
}

// OpenWith is Open with options. The error reports a DSN that cannot be
// parsed or a negative option.
func OpenWith(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgis: %w", err) // pgconn redacts the password
	}
	if opts.StatementTimeout < 0 || opts.MaxConns < 0 {
		return nil, fmt.Errorf("postgis: negative statement timeout or pool size")
	}
	params := cfg.ConnConfig.RuntimeParams
	if _, ok := params["application_name"]; !ok {
		params["application_name"] = "coopmap"
	}
	if _, ok := params["statement_timeout"]; !ok && opts.StatementTimeout > 0 {
		// A startup parameter, so it holds from the connection's first
		// query without a round trip; milliseconds, at least one.
		params["statement_timeout"] = strconv.FormatInt(max(opts.StatementTimeout.Milliseconds(), 1), 10)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis: %w", err)
	}
	return &Store{pool: pool}, nil
}

// noStatementTimeoutSQL lifts statement_timeout for the rest of a
// transaction: imports and migrations may rightly run for minutes, bounded
// by their caller's context.
const noStatementTimeoutSQL = `SET LOCAL statement_timeout = 0`

var _ coopmap.StatsReporter = (*Store)(nil)

// PoolStats reports the connection pool as "primary".
func (s *Store) PoolStats() []coopmap.PoolStats {
	return []coopmap.PoolStats{s.poolStats("primary")}
}

// poolStats converts pgx's pool statistics.
func (s *Store) poolStats(name string) coopmap.PoolStats {
	st := s.pool.Stat()
	return coopmap.PoolStats{Pool: name, MaxOpen: int(st.MaxConns()), Open: int(st.TotalConns()), InUse: int(st.AcquiredConns()),
		Idle: int(st.IdleConns()), WaitCount: st.EmptyAcquireCount(), WaitDuration: st.EmptyAcquireWaitTime()}
}

// Close closes the store's connections, waiting for those in use to be
// released. It always returns nil.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping reports whether the store can serve: the database answers and its
// schema is at the version this code needs. An outdated or newer schema
// gives a *SchemaError (errors.Is ErrSchemaVersion); any other error means
// the database could not be reached or queried.
func (s *Store) Ping(ctx context.Context) error {
	return s.CheckSchema(ctx)
}

// now is the time the store records for a write: UTC, truncated to the
// millisecond so that what is returned equals what is read back later, in
// both stores.
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// storedTime normalises a caller's time the way now does.
func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Millisecond)
}

// timePtr returns nil for the zero time, so it is stored as NULL.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// rollbackTimeout bounds a rollback run after the caller's context ended.
const rollbackTimeout = 5 * time.Second

// rollback ends tx if it is still open. It detaches from ctx's cancellation
// because pgx closes the connection when a rollback fails, and a cancelled
// caller would otherwise cost the pool a connection; the timeout keeps a
// hung server from holding the caller.
func rollback(ctx context.Context, tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	_ = tx.Rollback(ctx) // after Commit this is ErrTxClosed, and harmless
}

// uniqueViolation reports whether err is PostgreSQL's unique_violation.
func uniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// ctxErr prefers the context's error to the driver's, so that a call cut
// short by its caller reports context.Canceled or DeadlineExceeded however
// pgx happened to notice.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return unavailable(err) // a lost or refused connection is a 503, not a 500
}

// rowTo adapts a scan function written for QueryRow to pgx.CollectRows.
func rowTo[T any](scan func(pgx.Row) (T, error)) pgx.RowToFunc[T] {
	return func(r pgx.CollectableRow) (T, error) { return scan(r) }
}
