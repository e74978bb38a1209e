package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/coopmap/coopmap"
)

var _ coopmap.Store = (*Store)(nil)

// Store is the coopmap store on one GeoPackage file. It is safe for
// concurrent use: reads run on a pool of connections, each on its own
// snapshot of the file; writes queue for the one write connection, so they
// never meet SQLITE_BUSY from each other.
type Store struct {
	path   string
	schema int     // the schema version this build creates
	w      *sql.DB // exactly one connection: every write transaction
	r      *sql.DB // the read pool; its connections are query_only
}

// DefaultBusyTimeout bounds how long a connection waits for a lock held
// by another process (GDAL or QGIS writing the same file) when
// Options.BusyTimeout is zero.
const DefaultBusyTimeout = 10 * time.Second

// Options tunes a store; the zero value takes the defaults.
type Options struct {
	// BusyTimeout bounds how long a statement waits for a lock another
	// process holds before it fails with SQLITE_BUSY (0:
	// DefaultBusyTimeout; it is rounded to whole milliseconds).
	BusyTimeout time.Duration
	// SmallCache gives the writer an 8 MiB page cache instead of 32 MiB,
	// for a short-lived file built in a process that serves other work:
	// the GeoPackage downloads. Imports run at the same speed either way;
	// the larger cache helps a long-lived store's repeated imports.
	SmallCache bool
}

// Open opens the GeoPackage at path, creating it if it does not exist, and
// brings its schema up to date by applying the embedded migrations. It
// fails when path cannot be opened or created, when the file is an SQLite
// database of another application, when its schema is newer than this
// build knows, or when ctx ends first.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith is Open with options. A negative BusyTimeout is an error.
func OpenWith(ctx context.Context, path string, opts Options) (*Store, error) {
	busyTimeout := opts.BusyTimeout
	writerCache := "-32768" // KiB
	if opts.SmallCache {
		writerCache = "-8192"
	}
	switch {
	case busyTimeout == 0:
		busyTimeout = DefaultBusyTimeout
	case busyTimeout < 0:
		return nil, fmt.Errorf("sqlite: open %s: busy timeout %v is negative", path, busyTimeout)
	}
	if err := registerFunctions(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// A file: URI, so any character may appear in the path. The pragmas
	// run on every new connection. WAL lets readers work while a write is
	// in progress; it is a property of the file and persists.
	base := "file:" + (&url.URL{Path: abs}).EscapedPath() +
		fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", busyTimeout.Milliseconds())
	// The writer keeps statement journals and the import's temporary
	// table in memory, and a larger page cache for imports.
	w, err := sql.Open("sqlite", base+"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"+
		"&_pragma=temp_store(MEMORY)&_pragma=cache_size("+writerCache+")&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: path, w: w}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	// Readers map the file into memory and keep a larger page cache: a
	// bbox query reads pages all over the features table.
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)&_pragma=mmap_size("+strconv.Itoa(readerMmapSize)+")&_pragma=cache_size(-16384)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r = r
	return s, nil
}

// Close closes the store's connections. Before the last one closes it
// switches the file back from WAL to a rollback journal, so the GeoPackage
// at rest is one self-contained file that GIS tools can open even from
// read-only media; if another process still has the file open this is
// skipped and the file stays in WAL mode, which is equally valid. Close
// returns the first error met in closing.
func (s *Store) Close() error {
	errR := s.r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	// Best effort, see above; without waiting for other processes' locks.
	const noWait, toRollbackJournal = `PRAGMA busy_timeout = 0`, `PRAGMA journal_mode = DELETE`
	if _, err := s.w.ExecContext(ctx, noWait); err == nil {
		_, _ = s.w.ExecContext(ctx, toRollbackJournal)
	}
	errW := s.w.Close()
	if errR != nil {
		return fmt.Errorf("sqlite: close %s: %w", s.path, errR)
	}
	if errW != nil {
		return fmt.Errorf("sqlite: close %s: %w", s.path, errW)
	}
	return nil
}

var _ coopmap.StatsReporter = (*Store)(nil)

// PoolStats reports the read pool and the one write connection.
func (s *Store) PoolStats() []coopmap.PoolStats {
	return []coopmap.PoolStats{sqlPoolStats("read", s.r.Stats()), sqlPoolStats("write", s.w.Stats())}
}

// sqlPoolStats converts database/sql's pool statistics.
func sqlPoolStats(name string, st sql.DBStats) coopmap.PoolStats {
	return coopmap.PoolStats{Pool: name, MaxOpen: st.MaxOpenConnections, Open: st.OpenConnections, InUse: st.InUse, Idle: st.Idle,
		WaitCount: st.WaitCount, WaitDuration: st.WaitDuration}
}

// Ping reports whether the file can be read and holds the schema this
// build expects. The error says what is wrong; it is ctx's error when ctx
// ends first.
func (s *Store) Ping(ctx context.Context) error {
	const q = `SELECT coalesce(max(version), 0) FROM coopmap_schema`
	var v int
	if err := s.r.QueryRowContext(ctx, q).Scan(&v); err != nil {
		return dbError(ctx, "ping", err)
	}
	if v != s.schema {
		return fmt.Errorf("sqlite: ping: schema is at version %d; this build expects %d", v, s.schema)
	}
	return nil
}

// dbError wraps an error from the database with the operation's name. When
// ctx has ended, the database's error (often "interrupted") is replaced by
// ctx's, so callers can test for context.Canceled. Domain errors pass
// through unchanged.
func dbError(ctx context.Context, op string, err error) error {
	var de *coopmap.Error
	if errors.As(err, &de) {
		return err
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("sqlite: %s: %w", op, cerr)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// isUnique reports whether err is a violation of a UNIQUE or PRIMARY KEY
// constraint.
func isUnique(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code()
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// timeLayout is how times are stored: UTC with milliseconds, the form the
// GeoPackage standard gives for DATETIME.
const timeLayout = "2006-01-02T15:04:05.000Z"

// storeTime returns t as stored: UTC, truncated to the millisecond.
func storeTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// timeArg returns t as a DATETIME value, or NULL for the zero time.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return storeTime(t).Format(timeLayout)
}

// textArg returns s, or NULL for "": optional text is NULL when absent, as
// GIS tools expect.
func textArg(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// timeCol scans a DATETIME column. The driver hands over DATETIME columns
// as time.Time when it recognises the text, else as text.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.t = time.Time{}
	case time.Time:
		*c.t = v.UTC()
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	default:
		return fmt.Errorf("cannot scan %T as a time", v)
	}
	return nil
}

func (c timeCol) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("stored time %q: %w", s, err)
	}
	*c.t = t.UTC()
	return nil
}

// textCol scans a nullable TEXT column, NULL becoming "".
type textCol struct{ s *string }

func (c textCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.s = ""
	case string:
		*c.s = v
	case []byte:
		*c.s = string(v)
	default:
		return fmt.Errorf("cannot scan %T as text", v)
	}
	return nil
}
