package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
)

// readerMmapSize is how much of the file each pooled read connection maps
// into memory: a bbox query reads pages all over the features table, and
// mapped pages cost no copy.
const readerMmapSize = 256 << 20

// beginStream starts a read-only transaction for a stream through a whole
// source (a download) on a read connection of its own, with memory mapping
// off: reading every page through a 256 MiB map would leave all of them
// resident, counted in the process's RSS, whereas SQLite's page cache
// recycles them; a 2 MiB cache is plenty for one pass in id order. The connection is closed, not returned to the pool,
// when end is called, so the pool's connections keep their map.
func (s *Store) beginStream(ctx context.Context) (tx *sql.Tx, end func(), err error) {
	const noMmap, smallCache = `PRAGMA mmap_size = 0`, `PRAGMA cache_size = -2048`
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	discard := func() {
		// Raw's ErrBadConn makes the pool close the connection.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		_ = conn.Close()
	}
	for _, q := range []string{noMmap, smallCache} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			discard()
			return nil, nil, err
		}
	}
	tx, err = conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		discard()
		return nil, nil, err
	}
	return tx, func() { _ = tx.Rollback(); discard() }, nil
}
