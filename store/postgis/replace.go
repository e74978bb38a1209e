package postgis

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopmap/coopmap"
)

// pull turns the caller's iterator into a next function; a nil iterator
// yields nothing. stop must be called.
func pull(seq iter.Seq2[coopmap.Feature, error]) (next func() (coopmap.Feature, error, bool), stop func()) {
	if seq == nil {
		return func() (coopmap.Feature, error, bool) { return coopmap.Feature{}, nil, false }, func() {}
	}
	return iter.Pull2(seq)
}

// The staging table lives for one replace: temporary (so per connection and
// never WAL-logged) and dropped at commit or rollback. ord is the feature's
// position in the caller's stream, for error messages.
const createStagingSQL = `CREATE TEMP TABLE coopmap_staging (
	ord         integer NOT NULL,
	id          text COLLATE "C" NOT NULL,
	name        text NOT NULL,
	sector      text NOT NULL,
	org_type    text NOT NULL,
	address     text NOT NULL,
	postcode    text NOT NULL,
	website     text NOT NULL,
	email       text NOT NULL,
	description text NOT NULL,
	founded     text NOT NULL,
	status      text NOT NULL,
	properties  jsonb,
	precision   text NOT NULL,
	hash        text NOT NULL,
	search_text text NOT NULL,
	wkb         bytea NOT NULL
) ON COMMIT DROP`

// stagingColumns returns the columns stagingRows yields, in its order.
func stagingColumns() []string {
	return []string{"ord", "id", "name", "sector", "org_type", "address", "postcode", "website", "email",
		"description", "founded", "status", "properties", "precision", "hash", "search_text", "wkb"}
}

const (
	// Temporary tables are not analysed automatically; without statistics
	// the planner guesses the staging table's size and may pick nested
	// loops over 200,000 rows.
	analyzeStagingSQL = `ANALYZE coopmap_staging`

	// duplicateSQL finds the first feature whose id came earlier in the
	// stream.
	duplicateSQL = `SELECT ord, id FROM (
		SELECT ord, id, row_number() OVER (PARTITION BY id ORDER BY ord) AS n FROM coopmap_staging
	) d WHERE n > 1 ORDER BY ord LIMIT 1`

	// foreignSQL finds the first feature whose id another source holds:
	// ids are unique across sources.
	foreignSQL = `SELECT s.ord, s.id, f.source_id FROM coopmap_staging s JOIN features f ON f.id = s.id
	WHERE f.source_id <> $1 ORDER BY s.ord LIMIT 1`

	// deleteAllSQL empties a source replaced with no features, keeping
	// them in the history with tombstones (see edit.go).
	deleteAllSQL = `WITH gone AS (DELETE FROM features WHERE source_id = $1 RETURNING *)` + tombstoneGoneSQL

	deleteMissingSQL = `WITH gone AS (DELETE FROM features f WHERE f.source_id = $1
	AND NOT EXISTS (SELECT 1 FROM coopmap_staging s WHERE s.id = f.id) RETURNING f.*)` + tombstoneGoneSQL

	// tombstoneGoneSQL archives the deleted rows "gone" and writes their
	// tombstones; it affects one row per deleted feature. ($2 is the time,
	// $3 and $4 who made the import and why: '' for nobody named.)
	tombstoneGoneSQL = `, kept AS (` + revisionInsertSQL + archiveSelectSQL + ` FROM gone ON CONFLICT DO NOTHING)
	` + revisionInsertSQL + `SELECT id, version + 1, source_id, 'import', $3, $4, $2, true, ` + revisionData + ` FROM gone`

	// updateChangedSQL rewrites features whose content hash differs; an
	// unchanged feature keeps its version and update time.
	// The versions it supersedes go into the history first (see
	// edit.go); the CTE reads the rows as they were before the update.
	updateChangedSQL = `WITH ` + keepChangedSQL + updateChangedRowsSQL
	keepChangedSQL   = `kept AS (` + revisionInsertSQL + archiveSelectSQL + ` FROM features
		WHERE source_id = $1 AND EXISTS (SELECT 1 FROM coopmap_staging s WHERE s.id = features.id AND features.hash <> s.hash)
		ON CONFLICT DO NOTHING)
	`
	updateChangedRowsSQL = `UPDATE features f SET name = s.name, sector = s.sector, org_type = s.org_type,
		address = s.address, postcode = s.postcode, website = s.website, email = s.email,
		description = s.description, founded = s.founded, status = s.status, properties = s.properties,
		precision = s.precision, hash = s.hash, search_text = s.search_text,
		geom = ST_GeomFromWKB(s.wkb, 4326), version = f.version + 1, updated_at = $2
	FROM coopmap_staging s
	WHERE f.id = s.id AND f.source_id = $1 AND f.hash <> s.hash`

	// An attributed import (by $3 with note $4) keeps the versions it
	// makes in the history at once, as an edit does (see edit.go), since
	// a live row does not record who made it.
	// updateChangedAsSQL and insertNewAsSQL are updateChangedSQL and
	// insertNewSQL that do so; each affects one row per feature written.
	updateChangedAsSQL = `WITH ` + keepChangedSQL + `, written AS (` + updateChangedRowsSQL + ` RETURNING f.*)
	` + recordWrittenSQL
	insertNewAsSQL = `WITH written AS (` + insertNewSQL + ` RETURNING *)
	` + recordWrittenSQL
	recordWrittenSQL = revisionInsertSQL + `SELECT id, version, source_id, 'import', $3, $4, updated_at, false, ` +
		revisionData + ` FROM written`

	// insertNewSQL inserts in id order: appending to the btrees is much
	// faster than inserting at random, and the rows land on disk in the
	// order pages and SourceFeatures read them. A record deleted before
	// starts again at the version after its tombstone (see edit.go).
	insertNewSQL = `INSERT INTO features (id, source_id, name, sector, org_type, address, postcode, website, email,
		description, founded, status, properties, precision, updated_at, version, hash, search_text, geom)
	SELECT s.id, $1, s.name, s.sector, s.org_type, s.address, s.postcode, s.website, s.email,
		s.description, s.founded, s.status, s.properties, s.precision, $2,
		coalesce((SELECT max(r.version) FROM feature_revisions r WHERE r.feature_id = s.id), 0) + 1, s.hash, s.search_text,
		ST_GeomFromWKB(s.wkb, 4326)
	FROM coopmap_staging s
	WHERE NOT EXISTS (SELECT 1 FROM features f WHERE f.id = s.id)
	ORDER BY s.id`
)

// replaceFeatures streams the features from next into the staging table and
// merges them into the source's stored features, in tx, which holds the
// source's lock. updated is the time recorded on new and changed features,
// c who made them (an empty By: nobody named).
func replaceFeatures(ctx context.Context, tx pgx.Tx, sourceID string, next func() (coopmap.Feature, error, bool), updated time.Time, c coopmap.Change) (coopmap.ReplaceResult, error) {
	var res coopmap.ReplaceResult
	if _, err := tx.Exec(ctx, createStagingSQL); err != nil {
		return res, err
	}
	rows := &stagingRows{ctx: ctx, next: next, sourceID: sourceID}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"coopmap_staging"}, stagingColumns(), rows)
	// pgx stops reading rows before CopyFrom returns, so rows' fields are
	// settled; rows.err is the cause, where err is only the aborted COPY.
	if rows.panicked {
		// Raise the iterator's panic in the caller's goroutine, where it
		// would have been raised without COPY in between and where the
		// caller can recover it (the rollback is deferred).
		panic(rows.panicValue)
	}
	if rows.err != nil {
		return res, rows.err
	}
	if err != nil {
		return res, fmt.Errorf("copying features: %w", err)
	}
	if n == 0 {
		tag, err := tx.Exec(ctx, deleteAllSQL, sourceID, updated, c.By, c.Note)
		if err != nil {
			return res, err
		}
		res.Removed = int(tag.RowsAffected())
		return res, nil
	}
	if _, err := tx.Exec(ctx, analyzeStagingSQL); err != nil {
		return res, err
	}

	var (
		ord   int
		id    string
		owner string
	)
	switch err := tx.QueryRow(ctx, duplicateSQL).Scan(&ord, &id); {
	case err == nil:
		return res, coopmap.Invalidf(fmt.Sprintf("features[%d].id", ord), "id %q appears more than once", id)
	case !errors.Is(err, pgx.ErrNoRows):
		return res, err
	}
	switch err := tx.QueryRow(ctx, foreignSQL, sourceID).Scan(&ord, &id, &owner); {
	case err == nil:
		return res, &coopmap.Error{Code: coopmap.CodeConflict, Field: fmt.Sprintf("features[%d].id", ord),
			Message: fmt.Sprintf("id %q belongs to a feature of source %q", id, owner)}
	case !errors.Is(err, pgx.ErrNoRows):
		return res, err
	}

	tag, err := tx.Exec(ctx, deleteMissingSQL, sourceID, updated, c.By, c.Note)
	if err != nil {
		return res, err
	}
	res.Removed = int(tag.RowsAffected())
	update, insert, args := updateChangedSQL, insertNewSQL, []any{sourceID, updated}
	if c.By != "" {
		update, insert, args = updateChangedAsSQL, insertNewAsSQL, append(args, c.By, c.Note)
	}
	if tag, err = tx.Exec(ctx, update, args...); err != nil {
		return res, err
	}
	res.Updated = int(tag.RowsAffected())
	if tag, err = tx.Exec(ctx, insert, args...); err != nil {
		if uniqueViolation(err) {
			// A concurrent replace of another source took one of the ids.
			return res, coopmap.Errorf(coopmap.CodeConflict, "a concurrent import of another source took one of these feature ids; try again")
		}
		return res, err
	}
	res.Added = int(tag.RowsAffected())
	res.Unchanged = int(n) - res.Added - res.Updated
	return res, nil
}

// stagingRows is the pgx.CopyFromSource that validates the caller's
// features one at a time and hands them to COPY. pgx calls it from its own
// goroutine but never concurrently, and is done with it when CopyFrom
// returns.
type stagingRows struct {
	ctx      context.Context
	next     func() (coopmap.Feature, error, bool)
	sourceID string
	n        int   // features read so far
	vals     []any // the current row, reused
	err      error
	// A panic in the caller's iterator must not unwind pgx's goroutine,
	// which nothing recovers: the whole process would die.
	panicked   bool
	panicValue any
}

// errIteratorPanicked aborts the COPY when the iterator panics; the panic
// itself is raised again after CopyFrom returns.
var errIteratorPanicked = errors.New("the features iterator panicked")

// pull calls next, catching a panic.
func (r *stagingRows) pull() (f coopmap.Feature, err error, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			r.panicked, r.panicValue = true, p
			f, err, ok = coopmap.Feature{}, errIteratorPanicked, true
		}
	}()
	return r.next()
}

// Next reads and validates the next feature; on failure it records the error
// and returns false, which makes pgx abort the COPY.
func (r *stagingRows) Next() bool {
	if r.err != nil {
		return false
	}
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return false
	}
	f, err, ok := r.pull()
	if !ok {
		return false
	}
	i := r.n
	r.n++
	if r.panicked {
		r.err = err
		return false
	}
	if err != nil {
		r.err = fmt.Errorf("reading features: %w", err)
		return false
	}
	r.vals, r.err = r.row(i, f)
	return r.err == nil
}

// row validates feature i and returns its staging row.
func (r *stagingRows) row(i int, f coopmap.Feature) ([]any, error) {
	if f.SourceID == "" {
		f.SourceID = r.sourceID
	} else if f.SourceID != r.sourceID {
		return nil, coopmap.Invalidf(fmt.Sprintf("features[%d].source_id", i), "feature of source %q in an import of source %q", f.SourceID, r.sourceID)
	}
	if err := f.Validate(); err != nil {
		return nil, prefixField(fmt.Sprintf("features[%d]", i), err)
	}
	vals, err := featureValues(append(r.vals[:0], int32(i)), f)
	if err != nil {
		return nil, prefixField(fmt.Sprintf("features[%d]", i), err)
	}
	return vals, nil
}

// Values returns the row Next prepared.
func (r *stagingRows) Values() ([]any, error) { return r.vals, nil }

// Err returns the error that stopped Next, if any.
func (r *stagingRows) Err() error { return r.err }

// prefixField returns err with its field put under path, as coopmap does
// for tour stops: "geometry" in feature 12 becomes "features[12].geometry".
func prefixField(path string, err error) error {
	var e *coopmap.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("%s: %w", path, err)
	}
	field := path
	if e.Field != "" {
		field = path + "." + e.Field
	}
	return &coopmap.Error{Code: e.Code, Field: field, Message: e.Message}
}
