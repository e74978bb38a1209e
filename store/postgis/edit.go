package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopmap/coopmap"
)

var (
	_ coopmap.Editor     = (*Store)(nil)
	_ coopmap.Moderation = (*Store)(nil)
)

// Every editing write locks its source's row first, as ReplaceSource and
// the tour writes do, so writes to a source's records are serialised and
// always take locks in the same order (source, then records): the version
// a write reads after the lock is still the stored one when it commits,
// and no update is lost. Updates also carry the version in their WHERE
// clause as a second guard. See migrations/postgis/0002_edit.sql for which
// versions feature_revisions keeps.

// revisionData are the content columns features and feature_revisions
// share.
const revisionData = `name, sector, org_type, address, postcode, website, email, description,
	founded, status, properties, precision, geom`

const (
	revisionInsertSQL = `INSERT INTO feature_revisions (feature_id, version, source_id, op, changed_by, note, at,
		deleted, ` + revisionData + `) `
	// archiveSelectSQL copies live rows about to be superseded as
	// versions made by an import that named nobody; a version already
	// kept (made by an edit or an attributed import, see replace.go) is
	// left alone by ON CONFLICT DO NOTHING.
	archiveSelectSQL = `SELECT id, version, source_id, 'import', '', '', updated_at, false, ` + revisionData

	archiveByIDSQL = revisionInsertSQL + archiveSelectSQL + ` FROM features WHERE id = $1 ON CONFLICT DO NOTHING`
	// recordRevisionSQL copies the live row as the version an edit made.
	recordRevisionSQL = revisionInsertSQL + `SELECT id, version, source_id, $2, $3, $4, updated_at, false, ` + revisionData + `
		FROM features WHERE id = $1`
	// recordTombstoneSQL copies the live row about to be deleted as the
	// tombstone: the next version, with its last content.
	recordTombstoneSQL = revisionInsertSQL + `SELECT id, version + 1, source_id, $2, $3, $4, $5, true, ` + revisionData + `
		FROM features WHERE id = $1`

	// revisionColumns are read by scanRevision: featureColumns' order,
	// then the revision's own.
	revisionColumns = `feature_id, source_id, name, sector, org_type, address, postcode, website, email,
	description, founded, status, properties, precision, at, version, ST_AsBinary(geom), op, changed_by, note, deleted`

	liveStateSQL   = `SELECT source_id, version FROM features WHERE id = $1`
	newestStateSQL = `SELECT source_id, version FROM feature_revisions WHERE feature_id = $1 ORDER BY version DESC LIMIT 1`

	// insertEditSQL adds a record; one deleted before starts again at
	// the version after its tombstone. $1…$16 are featureValues.
	insertEditSQL = `INSERT INTO features (id, name, sector, org_type, address, postcode, website, email,
		description, founded, status, properties, precision, hash, search_text, geom, source_id, updated_at, version)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, ST_GeomFromWKB($16, 4326), $17, $18,
		coalesce((SELECT max(version) FROM feature_revisions WHERE feature_id = $1), 0) + 1)`
	// updateEditSQL replaces a record's content at version $18.
	updateEditSQL = `UPDATE features SET name = $2, sector = $3, org_type = $4, address = $5, postcode = $6,
		website = $7, email = $8, description = $9, founded = $10, status = $11, properties = $12,
		precision = $13, hash = $14, search_text = $15, geom = ST_GeomFromWKB($16, 4326),
		updated_at = $17, version = version + 1
	WHERE id = $1 AND version = $18`
	deleteEditSQL = `DELETE FROM features WHERE id = $1 AND version = $2`
)

// featureValues returns f's stored values in the order of the staging
// table after ord (id … wkb). Errors: CodeInvalid naming "properties" or
// "geometry".
func featureValues(dst []any, f coopmap.Feature) ([]any, error) {
	props, err := encodeProperties(f.Properties)
	if err != nil {
		return nil, coopmap.Invalidf("properties", "cannot be encoded as JSON: %v", err)
	}
	geom, err := encodeGeom(f.Geometry)
	if err != nil {
		return nil, coopmap.Invalidf("geometry", "%v", err)
	}
	return append(dst, f.ID, f.Name, f.Sector, f.OrgType, f.Address, f.Postcode, f.Website, f.Email,
		f.Description, f.Founded, f.Status, props, string(f.Precision), f.Hash(), f.SearchText(), geom), nil
}

// scanRevision reads one row of revisionColumns.
func scanRevision(row pgx.Row) (coopmap.Revision, error) {
	var r coopmap.Revision
	f, err := scanFeature(appendScan{row, []any{&r.Op, &r.By, &r.Note, &r.Deleted}})
	if err != nil {
		return r, err
	}
	r.FeatureID, r.Version, r.At, r.Feature = f.ID, f.Version, f.UpdatedAt, f
	return r, nil
}

// appendScan scans the caller's destinations followed by extra ones.
type appendScan struct {
	row   pgx.Row
	extra []any
}

func (a appendScan) Scan(dest ...any) error { return a.row.Scan(append(dest, a.extra...)...) }

// recordState reads what a write needs to know about id.
func recordState(ctx context.Context, q querier, id string) (coopmap.RecordState, error) {
	var st coopmap.RecordState
	err := q.QueryRow(ctx, liveStateSQL, id).Scan(&st.SourceID, &st.Version)
	if err == nil {
		st.Live, st.Exists = true, true
		return st, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return st, err
	}
	err = q.QueryRow(ctx, newestStateSQL, id).Scan(&st.SourceID, &st.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, nil
	}
	st.Exists = err == nil
	return st, err
}

// lockEditSource locks a source that records are written to and checks
// that it holds records: CodeInvalid "source_id" otherwise.
func lockEditSource(ctx context.Context, tx pgx.Tx, id string) error {
	var kind string
	err := tx.QueryRow(ctx, lockToursSourceSQL, id).Scan(&kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return coopmap.Invalidf("source_id", "there is no source %q", id)
	}
	if err != nil {
		return err
	}
	if coopmap.Kind(kind) == coopmap.KindTours {
		return coopmap.Invalidf("source_id", "source %q holds tours, not records", id)
	}
	return nil
}

// errMovedConcurrently reports a record whose id changed source between
// the first look and the lock: deleted and imported elsewhere meanwhile.
var errMovedConcurrently = coopmap.Errorf(coopmap.CodeConflict, "the record changed while this change was made; try again")

// edit runs one editing write on record id: it checks c, opens a
// transaction, locks the record's source (sourceID, or the record's own
// when empty) and hands the record's state, read under the lock, to fn;
// then it commits and returns fn's record.
func (s *Store) edit(ctx context.Context, op, id, sourceID string, c coopmap.Change, fn func(tx pgx.Tx, st coopmap.RecordState, now time.Time) (coopmap.Feature, error)) (coopmap.Feature, error) {
	f, err := s.editTx(ctx, id, sourceID, c, fn)
	if err != nil {
		return coopmap.Feature{}, fmt.Errorf("postgis: %s %q: %w", op, id, ctxErr(ctx, err))
	}
	return f, nil
}

func (s *Store) editTx(ctx context.Context, id, sourceID string, c coopmap.Change, fn func(tx pgx.Tx, st coopmap.RecordState, now time.Time) (coopmap.Feature, error)) (coopmap.Feature, error) {
	if err := c.Validate(); err != nil {
		return coopmap.Feature{}, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return coopmap.Feature{}, err
	}
	defer rollback(ctx, tx)
	f, err := lockedEdit(ctx, tx, id, sourceID, fn)
	if err != nil {
		return coopmap.Feature{}, err
	}
	return f, tx.Commit(ctx)
}

// lockedEdit locks the source of record id and runs fn in tx; see edit.
func lockedEdit(ctx context.Context, tx pgx.Tx, id, sourceID string, fn func(tx pgx.Tx, st coopmap.RecordState, now time.Time) (coopmap.Feature, error)) (coopmap.Feature, error) {
	own := sourceID == ""
	if own {
		st, err := recordState(ctx, tx, id)
		if err != nil {
			return coopmap.Feature{}, err
		}
		if !st.Exists {
			return coopmap.Feature{}, coopmap.NotFoundf("no record has id %q", id)
		}
		sourceID = st.SourceID
	}
	if err := lockEditSource(ctx, tx, sourceID); err != nil {
		if own && coopmap.ErrorCode(err) == coopmap.CodeInvalid {
			// The record's source was deleted meanwhile, and the record
			// with it.
			return coopmap.Feature{}, coopmap.NotFoundf("no record has id %q", id)
		}
		return coopmap.Feature{}, err
	}
	st, err := recordState(ctx, tx, id)
	if err != nil {
		return coopmap.Feature{}, err
	}
	if own && st.Exists && st.SourceID != sourceID {
		return coopmap.Feature{}, errMovedConcurrently
	}
	return fn(tx, st, now())
}

// writeLive stores f as the next version of a record in state st (live,
// or not: a create or restore), records the revision and bumps the
// source.
func writeLive(ctx context.Context, tx pgx.Tx, st coopmap.RecordState, f coopmap.Feature, op string, c coopmap.Change, t time.Time) (coopmap.Feature, error) {
	vals, err := featureValues(make([]any, 0, 19), f)
	if err != nil {
		return coopmap.Feature{}, err
	}
	delta := 0
	if st.Live {
		if _, err := tx.Exec(ctx, archiveByIDSQL, f.ID); err != nil {
			return coopmap.Feature{}, fmt.Errorf("archiving version %d: %w", st.Version, err)
		}
		tag, err := tx.Exec(ctx, updateEditSQL, append(vals, t, st.Version)...)
		if err != nil {
			return coopmap.Feature{}, err
		}
		if tag.RowsAffected() != 1 {
			return coopmap.Feature{}, errMovedConcurrently
		}
	} else {
		if _, err := tx.Exec(ctx, insertEditSQL, append(vals, f.SourceID, t)...); err != nil {
			if uniqueViolation(err) {
				return coopmap.Feature{}, coopmap.Errorf(coopmap.CodeConflict, "a record with id %q already exists", f.ID)
			}
			return coopmap.Feature{}, err
		}
		delta = 1
	}
	if _, err := tx.Exec(ctx, recordRevisionSQL, f.ID, op, c.By, c.Note); err != nil {
		return coopmap.Feature{}, fmt.Errorf("recording the revision: %w", err)
	}
	// The same bump of count and version as a tour write.
	if _, err := tx.Exec(ctx, touchToursSourceSQL, f.SourceID, delta, t); err != nil {
		return coopmap.Feature{}, err
	}
	return scanFeature(tx.QueryRow(ctx, featureByIDSQL, f.ID))
}

// CreateFeature stores a new record at version 1; see coopmap.Editor.
func (s *Store) CreateFeature(ctx context.Context, f coopmap.Feature, c coopmap.Change) (coopmap.Feature, error) {
	f, err := coopmap.NewFeature(f)
	if err != nil {
		return coopmap.Feature{}, err
	}
	return s.edit(ctx, "create record", f.ID, f.SourceID, c, func(tx pgx.Tx, st coopmap.RecordState, t time.Time) (coopmap.Feature, error) {
		if err := st.CheckNew(f.ID); err != nil {
			return coopmap.Feature{}, err
		}
		return writeLive(ctx, tx, st, f, coopmap.OpCreate, c, t)
	})
}

// UpdateFeature replaces a live record's content; see coopmap.Editor.
func (s *Store) UpdateFeature(ctx context.Context, f coopmap.Feature, ifVersion int64, c coopmap.Change) (coopmap.Feature, error) {
	return s.edit(ctx, "update record", f.ID, "", c, func(tx pgx.Tx, st coopmap.RecordState, t time.Time) (coopmap.Feature, error) {
		if err := st.Check(f.ID, ifVersion, true); err != nil {
			return coopmap.Feature{}, err
		}
		f, err := st.SameSource(f)
		if err != nil {
			return coopmap.Feature{}, err
		}
		return writeLive(ctx, tx, st, f, coopmap.OpUpdate, c, t)
	})
}

// DeleteFeature tombstones a live record; see coopmap.Editor.
func (s *Store) DeleteFeature(ctx context.Context, id string, ifVersion int64, c coopmap.Change) (coopmap.Feature, error) {
	return s.edit(ctx, "delete record", id, "", c, func(tx pgx.Tx, st coopmap.RecordState, t time.Time) (coopmap.Feature, error) {
		if err := st.Check(id, ifVersion, true); err != nil {
			return coopmap.Feature{}, err
		}
		if _, err := tx.Exec(ctx, archiveByIDSQL, id); err != nil {
			return coopmap.Feature{}, fmt.Errorf("archiving version %d: %w", st.Version, err)
		}
		if _, err := tx.Exec(ctx, recordTombstoneSQL, id, coopmap.OpDelete, c.By, c.Note, t); err != nil {
			return coopmap.Feature{}, fmt.Errorf("recording the tombstone: %w", err)
		}
		tag, err := tx.Exec(ctx, deleteEditSQL, id, st.Version)
		if err != nil {
			return coopmap.Feature{}, err
		}
		if tag.RowsAffected() != 1 {
			return coopmap.Feature{}, errMovedConcurrently
		}
		if _, err := tx.Exec(ctx, touchToursSourceSQL, st.SourceID, -1, t); err != nil {
			return coopmap.Feature{}, err
		}
		r, err := loadRevision(ctx, tx, id, st.Version+1)
		return r.Feature, err
	})
}

// loadRevision reads one kept version; a missing one is CodeNotFound
// naming "to_version".
func loadRevision(ctx context.Context, q querier, id string, version int64) (coopmap.Revision, error) {
	const sel = `SELECT ` + revisionColumns + ` FROM feature_revisions WHERE feature_id = $1 AND version = $2`
	r, err := scanRevision(q.QueryRow(ctx, sel, id, version))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, &coopmap.Error{Code: coopmap.CodeNotFound, Field: "to_version",
			Message: fmt.Sprintf("record %q has no version %d", id, version)}
	}
	return r, err
}

// RestoreFeature brings back a tombstoned record; see coopmap.Editor.
func (s *Store) RestoreFeature(ctx context.Context, id string, ifVersion int64, c coopmap.Change) (coopmap.Feature, error) {
	return s.edit(ctx, "restore record", id, "", c, func(tx pgx.Tx, st coopmap.RecordState, t time.Time) (coopmap.Feature, error) {
		if err := st.Check(id, ifVersion, false); err != nil {
			return coopmap.Feature{}, err
		}
		tomb, err := loadRevision(ctx, tx, id, st.Version)
		if err != nil {
			return coopmap.Feature{}, err
		}
		return writeLive(ctx, tx, st, tomb.Feature, coopmap.OpRestore, c, t)
	})
}

// RevertFeature makes a new version equal to an old one; see
// coopmap.Editor.
func (s *Store) RevertFeature(ctx context.Context, id string, toVersion, ifVersion int64, c coopmap.Change) (coopmap.Feature, error) {
	return s.edit(ctx, "revert record", id, "", c, func(tx pgx.Tx, st coopmap.RecordState, t time.Time) (coopmap.Feature, error) {
		if err := st.Check(id, ifVersion, true); err != nil {
			return coopmap.Feature{}, err
		}
		to, err := st.RevertTo(toVersion,
			func() (coopmap.Feature, error) { return scanFeature(tx.QueryRow(ctx, featureByIDSQL, id)) },
			func(v int64) (coopmap.Revision, error) { return loadRevision(ctx, tx, id, v) })
		if err != nil {
			return coopmap.Feature{}, err
		}
		return writeLive(ctx, tx, st, to, coopmap.OpRevert, c, t)
	})
}

const historySQL = `SELECT ` + revisionColumns + ` FROM feature_revisions WHERE feature_id = $1 ORDER BY version DESC`

// FeatureHistory returns a record's kept versions, newest first; see
// coopmap.Editor.
func (s *Store) FeatureHistory(ctx context.Context, id string) ([]coopmap.Revision, error) {
	h, err := s.featureHistory(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("postgis: history of record %q: %w", id, ctxErr(ctx, err))
	}
	return h, nil
}

func (s *Store) featureHistory(ctx context.Context, id string) ([]coopmap.Revision, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer rollback(ctx, tx)
	var live *coopmap.Feature
	f, err := scanFeature(tx.QueryRow(ctx, featureByIDSQL, id))
	switch {
	case err == nil:
		live = &f
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, err
	}
	rows, err := tx.Query(ctx, historySQL, id)
	if err != nil {
		return nil, err
	}
	kept, err := pgx.CollectRows(rows, rowTo(scanRevision))
	if err != nil {
		return nil, err
	}
	h := coopmap.AssembleHistory(live, kept)
	if len(h) == 0 {
		return nil, coopmap.NotFoundf("no record has id %q", id)
	}
	return h, nil
}

// A tombstone counts while it is its record's newest version and no import
// has brought the id back.
const deletedFeaturesSQL = `SELECT ` + revisionColumns + ` FROM feature_revisions r
	WHERE r.source_id = $1 AND r.deleted
	AND r.version = (SELECT max(version) FROM feature_revisions WHERE feature_id = r.feature_id)
	AND NOT EXISTS (SELECT 1 FROM features f WHERE f.id = r.feature_id)
	ORDER BY r.at DESC, r.feature_id LIMIT $2`

// DeletedFeatures lists a source's tombstones, newest first; see
// coopmap.Editor.
func (s *Store) DeletedFeatures(ctx context.Context, sourceID string, limit int) ([]coopmap.Revision, error) {
	limit, err := coopmap.ListLimit(limit)
	if err != nil {
		return nil, err
	}
	out, err := s.deletedFeatures(ctx, sourceID, limit)
	if err != nil {
		return nil, fmt.Errorf("postgis: deleted records of source %q: %w", sourceID, ctxErr(ctx, err))
	}
	return out, nil
}

func (s *Store) deletedFeatures(ctx context.Context, sourceID string, limit int) ([]coopmap.Revision, error) {
	tx, err := s.readSource(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	defer rollback(ctx, tx)
	rows, err := tx.Query(ctx, deletedFeaturesSQL, sourceID, limit)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, rowTo(scanRevision))
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Fields = []string{}
	}
	if out == nil {
		out = []coopmap.Revision{}
	}
	return out, nil
}

// sourceExists returns CodeNotFound when there is no source id.
func sourceExists(ctx context.Context, q querier, id string) error {
	var ok bool
	if err := q.QueryRow(ctx, sourceExistsSQL, id).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return coopmap.NotFoundf("there is no source %q", id)
	}
	return nil
}

// readSource begins a read-only repeatable-read transaction in which
// source sourceID exists (CodeNotFound when it does not); the caller
// rolls it back.
func (s *Store) readSource(ctx context.Context, sourceID string) (pgx.Tx, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	if err := sourceExists(ctx, tx, sourceID); err != nil {
		rollback(ctx, tx)
		return nil, err
	}
	return tx, nil
}

// lockSource reads source id in tx, taking the row lock that serialises
// writes to it (lockSourceSQL); CodeNotFound when there is no such source.
func lockSource(ctx context.Context, tx pgx.Tx, id string) (coopmap.Source, error) {
	src, err := scanSource(tx.QueryRow(ctx, lockSourceSQL, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return src, coopmap.NotFoundf("there is no source %q", id)
	}
	return src, err
}

// updateSourceMetaSQL stores a source's new metadata as a new version.
const updateSourceMetaSQL = `UPDATE sources SET title = $2, description = $3, licence_id = $4, licence_name = $5,
	licence_url = $6, attribution = $7, owner = $8, origin = $9, retrieved_at = $10,
	updated_at = $11, version = version + 1
WHERE id = $1`

// UpdateSourceMeta replaces a source's metadata, keeping the new version
// in its metadata history (source_history.go); see coopmap.Editor.
func (s *Store) UpdateSourceMeta(ctx context.Context, src coopmap.Source, ifVersion int64, c coopmap.Change) (coopmap.Source, error) {
	return s.changeSourceMeta(ctx, "update", src.ID, coopmap.OpUpdate, c, func(_ pgx.Tx, old coopmap.Source) (coopmap.Source, error) {
		return coopmap.UpdatedMeta(old, src, ifVersion)
	})
}

const (
	suggestionColumns = `id, source_id, feature_id, base_version, proposed, ST_AsBinary(proposed_geom), name, contact, note,
	status, reason, created_at, decided_by, decided_at, feature_version, client_key`

	suggestionSQL = `SELECT ` + suggestionColumns + ` FROM suggestions WHERE id = $1`

	// suggestionsSQL lists a source's queue, oldest first; $2 = '' for
	// every status.
	suggestionsSQL = `SELECT ` + suggestionColumns + ` FROM suggestions
	WHERE source_id = $1 AND ($2 = '' OR status = $2) ORDER BY id LIMIT $3`

	lockSuggestionSQL = suggestionSQL + ` FOR UPDATE`

	pendingCountsSQL = `SELECT
		(SELECT count(*) FROM suggestions WHERE source_id = $1 AND status = 'pending'),
		(SELECT count(*) FROM suggestions WHERE client_key = $2 AND status = 'pending')`

	insertSuggestionSQL = `INSERT INTO suggestions (source_id, feature_id, base_version, proposed, proposed_geom,
		name, contact, note, status, created_at, client_key)
	VALUES ($1, $2, $3, $4, ST_GeomFromWKB($5, 4326), $6, $7, $8, 'pending', $9, $10)
	RETURNING id`

	acceptSuggestionSQL = `UPDATE suggestions SET status = 'accepted', decided_by = $2, decided_at = $3,
		feature_id = $4, feature_version = $5 WHERE id = $1`

	rejectSuggestionSQL = `UPDATE suggestions SET status = 'rejected', reason = $2, decided_by = $3, decided_at = $4
	WHERE id = $1`
)

// scanSuggestion reads one row of suggestionColumns.
func scanSuggestion(row pgx.Row) (coopmap.Suggestion, error) {
	var (
		sg         coopmap.Suggestion
		prop, geom []byte
		decided    *time.Time
	)
	err := row.Scan(&sg.ID, &sg.SourceID, &sg.FeatureID, &sg.BaseVersion, &prop, &geom, &sg.Name, &sg.Contact, &sg.Note,
		&sg.Status, &sg.Reason, &sg.CreatedAt, &sg.DecidedBy, &decided, &sg.FeatureVersion, &sg.ClientKey)
	if err != nil {
		return sg, err
	}
	sg.CreatedAt = sg.CreatedAt.UTC()
	if decided != nil {
		sg.DecidedAt = decided.UTC()
	}
	if sg.Proposed, err = coopmap.DecodeProposed(prop); err != nil {
		return sg, fmt.Errorf("suggestion %d: %w", sg.ID, err)
	}
	if geom != nil {
		if sg.Proposed.Geometry, err = decodeGeom(geom); err != nil {
			return sg, fmt.Errorf("suggestion %d: geometry: %w", sg.ID, err)
		}
	}
	return sg, nil
}

// loadSuggestion reads one suggestion (sql: suggestionSQL or
// lockSuggestionSQL); a missing one is CodeNotFound.
func loadSuggestion(ctx context.Context, q querier, sql string, id int64) (coopmap.Suggestion, error) {
	sg, err := scanSuggestion(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return sg, coopmap.NotFoundf("there is no suggestion %d", id)
	}
	return sg, err
}

// CreateSuggestion queues a suggestion; see coopmap.Moderation.
func (s *Store) CreateSuggestion(ctx context.Context, sg coopmap.Suggestion) (coopmap.Suggestion, error) {
	out, err := s.createSuggestion(ctx, sg)
	if err != nil {
		return coopmap.Suggestion{}, fmt.Errorf("postgis: suggest a change to source %q: %w", sg.SourceID, ctxErr(ctx, err))
	}
	return out, nil
}

func (s *Store) createSuggestion(ctx context.Context, sg coopmap.Suggestion) (coopmap.Suggestion, error) {
	if err := sg.Validate(); err != nil {
		return coopmap.Suggestion{}, err
	}
	prop, err := coopmap.EncodeProposed(sg)
	if err != nil {
		return coopmap.Suggestion{}, err
	}
	geom, err := encodeGeom(sg.Proposed.Geometry)
	if err != nil {
		return coopmap.Suggestion{}, coopmap.Invalidf("proposed.geometry", "%v", err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return coopmap.Suggestion{}, err
	}
	defer rollback(ctx, tx)
	// The source's lock makes the pending counts exact.
	src, err := lockSource(ctx, tx, sg.SourceID)
	if err != nil {
		return coopmap.Suggestion{}, err
	}
	if err := coopmap.CheckSuggestionTarget(src, sg); err != nil {
		return coopmap.Suggestion{}, err
	}
	sg.BaseVersion = 0
	if sg.FeatureID != "" {
		st, err := recordState(ctx, tx, sg.FeatureID)
		if err != nil {
			return coopmap.Suggestion{}, err
		}
		if !st.Live || st.SourceID != sg.SourceID {
			return coopmap.Suggestion{}, &coopmap.Error{Code: coopmap.CodeNotFound, Field: "feature_id",
				Message: fmt.Sprintf("source %q has no record %q", sg.SourceID, sg.FeatureID)}
		}
		sg.BaseVersion = st.Version
	}
	var perSource, perClient int
	if err := tx.QueryRow(ctx, pendingCountsSQL, sg.SourceID, sg.ClientKey).Scan(&perSource, &perClient); err != nil {
		return coopmap.Suggestion{}, err
	}
	if err := coopmap.CheckPending(perSource, perClient); err != nil {
		return coopmap.Suggestion{}, err
	}
	var id int64
	err = tx.QueryRow(ctx, insertSuggestionSQL, sg.SourceID, sg.FeatureID, sg.BaseVersion, prop, geom,
		sg.Name, sg.Contact, sg.Note, now(), sg.ClientKey).Scan(&id)
	if err != nil {
		return coopmap.Suggestion{}, err
	}
	out, err := loadSuggestion(ctx, tx, suggestionSQL, id)
	if err != nil {
		return coopmap.Suggestion{}, err
	}
	return out, tx.Commit(ctx)
}

// Suggestions lists a source's suggestions, oldest first; see
// coopmap.Moderation.
func (s *Store) Suggestions(ctx context.Context, sourceID, status string, limit int) ([]coopmap.Suggestion, error) {
	limit, err := coopmap.SuggestionsLimit(status, limit)
	if err != nil {
		return nil, err
	}
	out, err := s.suggestions(ctx, sourceID, status, limit)
	if err != nil {
		return nil, fmt.Errorf("postgis: suggestions for source %q: %w", sourceID, ctxErr(ctx, err))
	}
	return out, nil
}

func (s *Store) suggestions(ctx context.Context, sourceID, status string, limit int) ([]coopmap.Suggestion, error) {
	tx, err := s.readSource(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	defer rollback(ctx, tx)
	rows, err := tx.Query(ctx, suggestionsSQL, sourceID, status, limit)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, rowTo(scanSuggestion))
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []coopmap.Suggestion{}
	}
	return out, nil
}

// Suggestion returns one suggestion; see coopmap.Moderation.
func (s *Store) Suggestion(ctx context.Context, id int64) (coopmap.Suggestion, error) {
	sg, err := loadSuggestion(ctx, s.pool, suggestionSQL, id)
	if err != nil {
		return coopmap.Suggestion{}, fmt.Errorf("postgis: suggestion %d: %w", id, ctxErr(ctx, err))
	}
	return sg, nil
}

// AcceptSuggestion applies a pending suggestion as a new version; see
// coopmap.Moderation.
func (s *Store) AcceptSuggestion(ctx context.Context, id int64, edited *coopmap.Feature, ifVersion int64, c coopmap.Change) (coopmap.Feature, coopmap.Suggestion, error) {
	f, sg, err := s.acceptSuggestion(ctx, id, edited, ifVersion, c)
	if err != nil {
		return coopmap.Feature{}, coopmap.Suggestion{}, fmt.Errorf("postgis: accept suggestion %d: %w", id, ctxErr(ctx, err))
	}
	return f, sg, nil
}

func (s *Store) acceptSuggestion(ctx context.Context, id int64, edited *coopmap.Feature, ifVersion int64, c coopmap.Change) (coopmap.Feature, coopmap.Suggestion, error) {
	if err := c.Validate(); err != nil {
		return coopmap.Feature{}, coopmap.Suggestion{}, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return coopmap.Feature{}, coopmap.Suggestion{}, err
	}
	defer rollback(ctx, tx)
	// The source's lock first, as every write takes it, then the
	// suggestion's: two moderators accepting one suggestion queue here,
	// and the second finds it decided.
	sg, err := loadSuggestion(ctx, tx, suggestionSQL, id)
	if err != nil {
		return coopmap.Feature{}, coopmap.Suggestion{}, err
	}
	if err := lockEditSource(ctx, tx, sg.SourceID); err != nil {
		return coopmap.Feature{}, coopmap.Suggestion{}, err
	}
	if sg, err = loadSuggestion(ctx, tx, lockSuggestionSQL, id); err != nil {
		return coopmap.Feature{}, coopmap.Suggestion{}, err
	}
	if err := sg.CheckPending(); err != nil {
		return coopmap.Feature{}, coopmap.Suggestion{}, err
	}
	f, err := sg.Applied(edited)
	if err != nil {
		return coopmap.Feature{}, coopmap.Suggestion{}, err
	}
	out, err := lockedEdit(ctx, tx, f.ID, f.SourceID, func(tx pgx.Tx, st coopmap.RecordState, t time.Time) (coopmap.Feature, error) {
		switch {
		case sg.FeatureID != "":
			if err := st.Check(f.ID, ifVersion, true); err != nil {
				return coopmap.Feature{}, err
			}
		case st.Exists:
			return coopmap.Feature{}, coopmap.Errorf(coopmap.CodeConflict, "a record with id %q already exists", f.ID)
		}
		return writeLive(ctx, tx, st, f, coopmap.OpSuggestion, coopmap.Change{By: c.By, Note: sg.AcceptNote(c)}, t)
	})
	if err != nil {
		return coopmap.Feature{}, coopmap.Suggestion{}, err
	}
	if _, err := tx.Exec(ctx, acceptSuggestionSQL, id, c.By, out.UpdatedAt, out.ID, out.Version); err != nil {
		return coopmap.Feature{}, coopmap.Suggestion{}, err
	}
	if sg, err = loadSuggestion(ctx, tx, suggestionSQL, id); err != nil {
		return coopmap.Feature{}, coopmap.Suggestion{}, err
	}
	return out, sg, tx.Commit(ctx)
}

// RejectSuggestion rejects a pending suggestion; see coopmap.Moderation.
func (s *Store) RejectSuggestion(ctx context.Context, id int64, reason string, c coopmap.Change) (coopmap.Suggestion, error) {
	sg, err := s.rejectSuggestion(ctx, id, reason, c)
	if err != nil {
		return coopmap.Suggestion{}, fmt.Errorf("postgis: reject suggestion %d: %w", id, ctxErr(ctx, err))
	}
	return sg, nil
}

func (s *Store) rejectSuggestion(ctx context.Context, id int64, reason string, c coopmap.Change) (coopmap.Suggestion, error) {
	if err := coopmap.CheckRejection(reason, c); err != nil {
		return coopmap.Suggestion{}, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return coopmap.Suggestion{}, err
	}
	defer rollback(ctx, tx)
	sg, err := loadSuggestion(ctx, tx, lockSuggestionSQL, id)
	if err != nil {
		return coopmap.Suggestion{}, err
	}
	if err := sg.CheckPending(); err != nil {
		return coopmap.Suggestion{}, err
	}
	if _, err := tx.Exec(ctx, rejectSuggestionSQL, id, reason, c.By, now()); err != nil {
		return coopmap.Suggestion{}, err
	}
	if sg, err = loadSuggestion(ctx, tx, suggestionSQL, id); err != nil {
		return coopmap.Suggestion{}, err
	}
	return sg, tx.Commit(ctx)
}
