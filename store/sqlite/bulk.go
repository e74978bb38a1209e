package sqlite

import (
	"context"
	"fmt"
)

// A large import inserts its new features without the GeoPackage R*Tree
// insert trigger and indexes them afterwards in one statement.
//
// With the trigger in place every multi-row INSERT writes to a virtual
// table, so SQLite runs it inside a statement savepoint and copies every
// page it touches, already dirty in the import's transaction, into a
// statement journal first. Without the trigger, and with the insert's
// conflicts resolved by rolling back the whole transaction (which a
// failed import does anyway) and foreign keys checked at commit, the
// insert needs no statement journal. The trigger is dropped and recreated
// from its own stored text inside the import's transaction, so readers
// (on their WAL snapshot), a crash, or a failed import never see the
// file without it.
const (
	rtreeInsertTrigger    = `rtree_features_geom_insert`
	selectTriggerSQL      = `SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?`
	dropRTreeTrigger      = `DROP TRIGGER ` + rtreeInsertTrigger
	deferForeignKeys      = `PRAGMA defer_foreign_keys = ON`
	indexInsertedFeatures = `INSERT OR REPLACE INTO rtree_features_geom
		SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom)
		FROM features WHERE fid > ? AND geom NOT NULL AND NOT ST_IsEmpty(geom)`
)

// suspendRTreeTrigger drops the R*Tree insert trigger inside tx and
// returns a function that indexes the features inserted after fid before
// and recreates the trigger, which must run before tx commits.
func suspendRTreeTrigger(ctx context.Context, tx querier) (restore func(before int64) error, err error) {
	var create string
	if err := tx.QueryRowContext(ctx, selectTriggerSQL, rtreeInsertTrigger).Scan(&create); err != nil {
		return nil, fmt.Errorf("reading the R*Tree trigger: %w", err)
	}
	for _, q := range []string{deferForeignKeys, dropRTreeTrigger} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("preparing the import: %w", err)
		}
	}
	return func(before int64) error {
		if _, err := tx.ExecContext(ctx, indexInsertedFeatures, before); err != nil {
			return fmt.Errorf("indexing the new features: %w", err)
		}
		if _, err := tx.ExecContext(ctx, create); err != nil {
			return fmt.Errorf("restoring the R*Tree trigger: %w", err)
		}
		return nil
	}, nil
}
