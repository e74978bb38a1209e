package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

var (
	_ coopmap.Editor     = (*Store)(nil)
	_ coopmap.Moderation = (*Store)(nil)
)

// Editing runs every write in one immediate transaction on the one write
// connection, so writes to a record are serialised and a version read at
// the start of a transaction is still the stored one when it commits: no
// lost updates without any row locks. See migrations/sqlite/0003_edit.sql
// for which versions feature_revisions keeps.

// revisionData are the content columns features and feature_revisions
// share.
const revisionData = `name, sector, org_type, address, postcode, website, email, description,
	founded, status, properties, precision, geom`

const (
	// revisionInsert heads every copy of a features row into the history.
	revisionInsert = `INSERT ` + revisionInto
	revisionInto   = `INTO feature_revisions (feature_id, version, source_id, op, changed_by, note, at,
		deleted, ` + revisionData + `) `
	// archiveSelect copies live rows about to be superseded, as versions
	// made by an import that named nobody; a version already kept (made
	// by an edit or an attributed import, see import.go) is left alone by
	// INSERT OR IGNORE.
	archiveSelect = `SELECT id, version, source_id, 'import', NULL, NULL, updated_at, 0, ` + revisionData + `
		FROM features `
	archiveByID = `INSERT OR IGNORE ` + revisionInto + archiveSelect + `WHERE id = ?`
	// archiveFids archives the rows whose fids are in the JSON array ?1.
	archiveFids = `INSERT OR IGNORE ` + revisionInto + archiveSelect +
		`WHERE fid IN (SELECT value FROM json_each(?1))`
	// recordRevision copies the live row as the version an edit made.
	recordRevision = revisionInsert + `SELECT id, version, source_id, ?2, ?3, ?4, updated_at, 0, ` + revisionData + `
		FROM features WHERE id = ?1`
	// recordTombstone copies the live row about to be deleted as the
	// tombstone: the next version, with its last content.
	recordTombstone = revisionInsert + `SELECT id, version + 1, source_id, ?2, ?3, ?4, ?5, 1, ` + revisionData + `
		FROM features WHERE id = ?1`

	// revisionColumns are read by scanRevision: featureColumns' order,
	// then the revision's own.
	revisionColumns = `feature_id, source_id, name, sector, org_type, address, postcode, website, email,
	description, founded, status, properties, precision, at, version, geom, op, changed_by, note, deleted`
)

// scanRevision reads one row of revisionColumns.
func scanRevision(sc scanner) (coopmap.Revision, error) {
	var r coopmap.Revision
	f, err := scanFeature(appendScan{sc, []any{&r.Op, textCol{&r.By}, textCol{&r.Note}, &r.Deleted}})
	if err != nil {
		return r, err
	}
	r.FeatureID, r.Version, r.At, r.Feature = f.ID, f.Version, f.UpdatedAt, f
	return r, nil
}

// appendScan scans the caller's destinations followed by extra ones, so
// scanFeature and scanTour read revision rows too.
type appendScan struct {
	sc    scanner
	extra []any
}

func (a appendScan) Scan(dest ...any) error { return a.sc.Scan(append(dest, a.extra...)...) }

// recordState reads what a write needs to know about id, with the live
// row's fid (0 when not live).
func recordState(ctx context.Context, q querier, id string) (coopmap.RecordState, int64, error) {
	const (
		live   = `SELECT fid, source_id, version FROM features WHERE id = ?`
		newest = `SELECT source_id, version FROM feature_revisions WHERE feature_id = ? ORDER BY version DESC LIMIT 1`
	)
	var (
		st  coopmap.RecordState
		fid int64
	)
	err := q.QueryRowContext(ctx, live, id).Scan(&fid, &st.SourceID, &st.Version)
	if err == nil {
		st.Live, st.Exists = true, true
		return st, fid, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return st, 0, err
	}
	err = q.QueryRowContext(ctx, newest, id).Scan(&st.SourceID, &st.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return st, 0, nil
	}
	st.Exists = err == nil
	return st, 0, err
}

// editSource checks that a record can be written to source id: it exists
// (CodeInvalid "source_id" otherwise, the record's field) and holds
// records.
func editSource(ctx context.Context, q querier, id string) error {
	src, err := loadSource(ctx, q, id)
	if coopmap.ErrorCode(err) == coopmap.CodeNotFound {
		return coopmap.Invalidf("source_id", "there is no source %q", id)
	}
	if err != nil {
		return err
	}
	if src.Kind == coopmap.KindTours {
		return coopmap.Invalidf("source_id", "source %q holds tours, not records", id)
	}
	return nil
}

// edit runs one editing write: it checks c, opens the write transaction,
// reads id's state and hands both to fn, then commits and returns fn's
// record.
func (s *Store) edit(ctx context.Context, op, id string, c coopmap.Change, fn func(tx *sql.Tx, st coopmap.RecordState, fid int64, now time.Time) (coopmap.Feature, error)) (coopmap.Feature, error) {
	if err := c.Validate(); err != nil {
		return coopmap.Feature{}, err
	}
	op = fmt.Sprintf("%s %q", op, id)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return coopmap.Feature{}, dbError(ctx, op, err)
	}
	defer tx.Rollback()
	st, fid, err := recordState(ctx, tx, id)
	if err != nil {
		return coopmap.Feature{}, dbError(ctx, op, err)
	}
	f, err := fn(tx, st, fid, storeTime(time.Now()))
	if err != nil {
		return coopmap.Feature{}, dbError(ctx, op, err)
	}
	if err := tx.Commit(); err != nil {
		return coopmap.Feature{}, dbError(ctx, op, err)
	}
	return f, nil
}

// writeLive stores f as the next version of a record in state st (live
// row fid, or none: a create or restore), records the revision, and
// bumps the source.
func writeLive(ctx context.Context, tx *sql.Tx, st coopmap.RecordState, fid int64, f coopmap.Feature, op string, c coopmap.Change, now time.Time) (coopmap.Feature, error) {
	row, err := appendFeatureRow(nil, f, f.Hash())
	if err != nil {
		return coopmap.Feature{}, err
	}
	stamp := timeArg(now)
	delta := 0
	if st.Live {
		if _, err := tx.ExecContext(ctx, archiveByID, f.ID); err != nil {
			return coopmap.Feature{}, fmt.Errorf("archiving version %d: %w", st.Version, err)
		}
		q := updateFeaturesHead + valuesList(1) + updateFeaturesTail
		if _, err := tx.ExecContext(ctx, q, stamp, fmt.Sprintf("[%d%s", fid, row)); err != nil {
			return coopmap.Feature{}, err
		}
	} else {
		// The insert numbers the version after the newest kept one.
		q := insertFeaturesHead + valuesList(1) + insertFeaturesTail
		if _, err := tx.ExecContext(ctx, q, f.SourceID, stamp, "[null"+string(row)); err != nil {
			if isUnique(err) {
				return coopmap.Feature{}, coopmap.Errorf(coopmap.CodeConflict, "a record with id %q already exists", f.ID)
			}
			return coopmap.Feature{}, err
		}
		delta = 1
	}
	if _, err := tx.ExecContext(ctx, recordRevision, f.ID, op, textArg(c.By), textArg(c.Note)); err != nil {
		return coopmap.Feature{}, fmt.Errorf("recording the revision: %w", err)
	}
	bound := f.Geometry.Bound()
	if err := touchFeatures(ctx, tx, f.SourceID, delta, &bound, now); err != nil {
		return coopmap.Feature{}, err
	}
	const reread = `SELECT ` + featureColumns + ` FROM features WHERE id = ?`
	return scanFeature(tx.QueryRowContext(ctx, reread, f.ID))
}

// touchFeatures records a change to a source's records: delta to its
// count, and in gpkg_contents the time and an extent grown to take in
// bound (nil: a record deleted). Unlike an import's touchContents, which
// reads the whole R*Tree for the exact extent, an edit only ever grows it
// (a GeoPackage extent must hold the content, not fit it tightly), so its
// cost does not grow with the file; the next import makes it exact again.
func touchFeatures(ctx context.Context, tx *sql.Tx, sourceID string, delta int, bound *orb.Bound, now time.Time) error {
	const (
		stamp = `UPDATE gpkg_contents SET last_change = ?1 WHERE table_name = 'features'`
		grow  = `UPDATE gpkg_contents SET last_change = ?1,
			min_x = min(coalesce(min_x, ?2), ?2), max_x = max(coalesce(max_x, ?3), ?3),
			min_y = min(coalesce(min_y, ?4), ?4), max_y = max(coalesce(max_y, ?5), ?5)
			WHERE table_name = 'features'`
	)
	if err := bumpSource(ctx, tx, sourceID, delta, now); err != nil {
		return err
	}
	var err error
	if bound == nil {
		_, err = tx.ExecContext(ctx, stamp, timeArg(now))
	} else {
		_, err = tx.ExecContext(ctx, grow, timeArg(now), bound.Min[0], bound.Max[0], bound.Min[1], bound.Max[1])
	}
	if err != nil {
		return fmt.Errorf("updating gpkg_contents for features: %w", err)
	}
	return nil
}

// CreateFeature stores a new record at version 1; see coopmap.Editor.
func (s *Store) CreateFeature(ctx context.Context, f coopmap.Feature, c coopmap.Change) (coopmap.Feature, error) {
	f, err := coopmap.NewFeature(f)
	if err != nil {
		return coopmap.Feature{}, err
	}
	return s.edit(ctx, "create record", f.ID, c, func(tx *sql.Tx, st coopmap.RecordState, fid int64, now time.Time) (coopmap.Feature, error) {
		if err := st.CheckNew(f.ID); err != nil {
			return coopmap.Feature{}, err
		}
		if err := editSource(ctx, tx, f.SourceID); err != nil {
			return coopmap.Feature{}, err
		}
		return writeLive(ctx, tx, st, fid, f, coopmap.OpCreate, c, now)
	})
}

// UpdateFeature replaces a live record's content; see coopmap.Editor.
func (s *Store) UpdateFeature(ctx context.Context, f coopmap.Feature, ifVersion int64, c coopmap.Change) (coopmap.Feature, error) {
	return s.edit(ctx, "update record", f.ID, c, func(tx *sql.Tx, st coopmap.RecordState, fid int64, now time.Time) (coopmap.Feature, error) {
		if err := st.Check(f.ID, ifVersion, true); err != nil {
			return coopmap.Feature{}, err
		}
		f, err := st.SameSource(f)
		if err != nil {
			return coopmap.Feature{}, err
		}
		return writeLive(ctx, tx, st, fid, f, coopmap.OpUpdate, c, now)
	})
}

// DeleteFeature tombstones a live record; see coopmap.Editor.
func (s *Store) DeleteFeature(ctx context.Context, id string, ifVersion int64, c coopmap.Change) (coopmap.Feature, error) {
	return s.edit(ctx, "delete record", id, c, func(tx *sql.Tx, st coopmap.RecordState, fid int64, now time.Time) (coopmap.Feature, error) {
		if err := st.Check(id, ifVersion, true); err != nil {
			return coopmap.Feature{}, err
		}
		if _, err := tx.ExecContext(ctx, archiveByID, id); err != nil {
			return coopmap.Feature{}, fmt.Errorf("archiving version %d: %w", st.Version, err)
		}
		if _, err := tx.ExecContext(ctx, recordTombstone, id, coopmap.OpDelete, textArg(c.By), textArg(c.Note), timeArg(now)); err != nil {
			return coopmap.Feature{}, fmt.Errorf("recording the tombstone: %w", err)
		}
		const del = `DELETE FROM features WHERE fid = ?`
		if _, err := tx.ExecContext(ctx, del, fid); err != nil {
			return coopmap.Feature{}, err
		}
		if err := touchFeatures(ctx, tx, st.SourceID, -1, nil, now); err != nil {
			return coopmap.Feature{}, err
		}
		r, err := loadRevision(ctx, tx, id, st.Version+1)
		return r.Feature, err
	})
}

// loadRevision reads one kept version; a missing one is CodeNotFound
// naming "to_version".
func loadRevision(ctx context.Context, q querier, id string, version int64) (coopmap.Revision, error) {
	const sel = `SELECT ` + revisionColumns + ` FROM feature_revisions WHERE feature_id = ? AND version = ?`
	r, err := scanRevision(q.QueryRowContext(ctx, sel, id, version))
	if errors.Is(err, sql.ErrNoRows) {
		return r, &coopmap.Error{Code: coopmap.CodeNotFound, Field: "to_version",
			Message: fmt.Sprintf("record %q has no version %d", id, version)}
	}
	return r, err
}

// RestoreFeature brings back a tombstoned record; see coopmap.Editor.
func (s *Store) RestoreFeature(ctx context.Context, id string, ifVersion int64, c coopmap.Change) (coopmap.Feature, error) {
	return s.edit(ctx, "restore record", id, c, func(tx *sql.Tx, st coopmap.RecordState, fid int64, now time.Time) (coopmap.Feature, error) {
		if err := st.Check(id, ifVersion, false); err != nil {
			return coopmap.Feature{}, err
		}
		tomb, err := loadRevision(ctx, tx, id, st.Version)
		if err != nil {
			return coopmap.Feature{}, err
		}
		if err := editSource(ctx, tx, tomb.Feature.SourceID); err != nil {
			return coopmap.Feature{}, err
		}
		return writeLive(ctx, tx, st, fid, tomb.Feature, coopmap.OpRestore, c, now)
	})
}

// RevertFeature makes a new version equal to an old one; see
// coopmap.Editor.
func (s *Store) RevertFeature(ctx context.Context, id string, toVersion, ifVersion int64, c coopmap.Change) (coopmap.Feature, error) {
	return s.edit(ctx, "revert record", id, c, func(tx *sql.Tx, st coopmap.RecordState, fid int64, now time.Time) (coopmap.Feature, error) {
		if err := st.Check(id, ifVersion, true); err != nil {
			return coopmap.Feature{}, err
		}
		const live = `SELECT ` + featureColumns + ` FROM features WHERE fid = ?`
		to, err := st.RevertTo(toVersion,
			func() (coopmap.Feature, error) { return scanFeature(tx.QueryRowContext(ctx, live, fid)) },
			func(v int64) (coopmap.Revision, error) { return loadRevision(ctx, tx, id, v) })
		if err != nil {
			return coopmap.Feature{}, err
		}
		return writeLive(ctx, tx, st, fid, to, coopmap.OpRevert, c, now)
	})
}

// FeatureHistory returns a record's kept versions, newest first; see
// coopmap.Editor.
func (s *Store) FeatureHistory(ctx context.Context, id string) ([]coopmap.Revision, error) {
	op := fmt.Sprintf("history of record %q", id)
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, dbError(ctx, op, err)
	}
	defer tx.Rollback()
	var live *coopmap.Feature
	const sel = `SELECT ` + featureColumns + ` FROM features WHERE id = ?`
	f, err := scanFeature(tx.QueryRowContext(ctx, sel, id))
	switch {
	case err == nil:
		live = &f
	case !errors.Is(err, sql.ErrNoRows):
		return nil, dbError(ctx, op, err)
	}
	const revs = `SELECT ` + revisionColumns + ` FROM feature_revisions WHERE feature_id = ? ORDER BY version DESC`
	kept, err := collectRevisions(ctx, tx, revs, id)
	if err != nil {
		return nil, dbError(ctx, op, err)
	}
	h := coopmap.AssembleHistory(live, kept)
	if len(h) == 0 {
		return nil, coopmap.NotFoundf("no record has id %q", id)
	}
	return h, nil
}

// collectRevisions runs a query of revisionColumns.
func collectRevisions(ctx context.Context, q querier, query string, args ...any) ([]coopmap.Revision, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collectRows(rows, scanRevision)
}

// readSource begins a read-only transaction in which source sourceID
// exists; the caller rolls it back. Errors are dbError's for op, with
// CodeNotFound for a missing source.
func (s *Store) readSource(ctx context.Context, op, sourceID string) (*sql.Tx, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, dbError(ctx, op, err)
	}
	if _, err := loadSource(ctx, tx, sourceID); err != nil {
		tx.Rollback()
		return nil, dbError(ctx, op, err)
	}
	return tx, nil
}

// DeletedFeatures lists a source's tombstones, newest first; see
// coopmap.Editor.
func (s *Store) DeletedFeatures(ctx context.Context, sourceID string, limit int) ([]coopmap.Revision, error) {
	limit, err := coopmap.ListLimit(limit)
	if err != nil {
		return nil, err
	}
	op := fmt.Sprintf("deleted records of source %q", sourceID)
	tx, err := s.readSource(ctx, op, sourceID)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// A tombstone counts while it is its record's newest version and no
	// import has brought the id back.
	const q = `SELECT ` + revisionColumns + ` FROM feature_revisions r
		WHERE r.source_id = ? AND r.deleted = 1
		AND r.version = (SELECT max(version) FROM feature_revisions WHERE feature_id = r.feature_id)
		AND NOT EXISTS (SELECT 1 FROM features f WHERE f.id = r.feature_id)
		ORDER BY r.at DESC, r.feature_id LIMIT ?`
	out, err := collectRevisions(ctx, tx, q, sourceID, limit)
	if err != nil {
		return nil, dbError(ctx, op, err)
	}
	for i := range out {
		out[i].Fields = []string{}
	}
	return out, nil
}

// UpdateSourceMeta replaces a source's metadata, keeping the new version
// in its metadata history (source_history.go); see coopmap.Editor.
func (s *Store) UpdateSourceMeta(ctx context.Context, src coopmap.Source, ifVersion int64, c coopmap.Change) (coopmap.Source, error) {
	return s.changeSourceMeta(ctx, "update", src.ID, coopmap.OpUpdate, c, func(_ *sql.Tx, old coopmap.Source) (coopmap.Source, error) {
		return coopmap.UpdatedMeta(old, src, ifVersion)
	})
}

const suggestionColumns = `id, source_id, feature_id, base_version, proposed, proposed_geom, name, contact, note,
	status, reason, created_at, decided_by, decided_at, feature_version, client_key`

// scanSuggestion reads one row of suggestionColumns.
func scanSuggestion(sc scanner) (coopmap.Suggestion, error) {
	var (
		sg         coopmap.Suggestion
		prop, geom []byte
		fv         sql.NullInt64
	)
	err := sc.Scan(&sg.ID, &sg.SourceID, textCol{&sg.FeatureID}, &sg.BaseVersion, &prop, &geom,
		textCol{&sg.Name}, textCol{&sg.Contact}, textCol{&sg.Note}, &sg.Status, textCol{&sg.Reason},
		timeCol{&sg.CreatedAt}, textCol{&sg.DecidedBy}, timeCol{&sg.DecidedAt}, &fv, &sg.ClientKey)
	if err != nil {
		return sg, err
	}
	sg.FeatureVersion = fv.Int64
	if sg.Proposed, err = coopmap.DecodeProposed(prop); err != nil {
		return sg, fmt.Errorf("suggestion %d: %w", sg.ID, err)
	}
	if sg.Proposed.Geometry, err = decodeGeometry(geom); err != nil {
		return sg, fmt.Errorf("suggestion %d: stored geometry: %w", sg.ID, err)
	}
	return sg, nil
}

// loadSuggestion reads one suggestion; a missing one is CodeNotFound.
func loadSuggestion(ctx context.Context, q querier, id int64) (coopmap.Suggestion, error) {
	const sel = `SELECT ` + suggestionColumns + ` FROM suggestions WHERE id = ?`
	sg, err := scanSuggestion(q.QueryRowContext(ctx, sel, id))
	if errors.Is(err, sql.ErrNoRows) {
		return sg, coopmap.NotFoundf("there is no suggestion %d", id)
	}
	return sg, err
}

// CreateSuggestion queues a suggestion; see coopmap.Moderation.
func (s *Store) CreateSuggestion(ctx context.Context, sg coopmap.Suggestion) (coopmap.Suggestion, error) {
	if err := sg.Validate(); err != nil {
		return coopmap.Suggestion{}, err
	}
	op := fmt.Sprintf("suggest a change to source %q", sg.SourceID)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return coopmap.Suggestion{}, dbError(ctx, op, err)
	}
	defer tx.Rollback()
	src, err := loadSource(ctx, tx, sg.SourceID)
	if err != nil {
		return coopmap.Suggestion{}, dbError(ctx, op, err)
	}
	if err := coopmap.CheckSuggestionTarget(src, sg); err != nil {
		return coopmap.Suggestion{}, err
	}
	sg.BaseVersion = 0
	if sg.FeatureID != "" {
		st, _, err := recordState(ctx, tx, sg.FeatureID)
		if err != nil {
			return coopmap.Suggestion{}, dbError(ctx, op, err)
		}
		if !st.Live || st.SourceID != sg.SourceID {
			return coopmap.Suggestion{}, &coopmap.Error{Code: coopmap.CodeNotFound, Field: "feature_id",
				Message: fmt.Sprintf("source %q has no record %q", sg.SourceID, sg.FeatureID)}
		}
		sg.BaseVersion = st.Version
	}
	const pending = `SELECT
		(SELECT count(*) FROM suggestions WHERE source_id = ? AND status = 'pending'),
		(SELECT count(*) FROM suggestions WHERE client_key = ? AND status = 'pending')`
	var perSource, perClient int
	if err := tx.QueryRowContext(ctx, pending, sg.SourceID, sg.ClientKey).Scan(&perSource, &perClient); err != nil {
		return coopmap.Suggestion{}, dbError(ctx, op, err)
	}
	if err := coopmap.CheckPending(perSource, perClient); err != nil {
		return coopmap.Suggestion{}, err
	}
	prop, err := coopmap.EncodeProposed(sg)
	if err != nil {
		return coopmap.Suggestion{}, err
	}
	geom, err := encodeGeometry(sg.Proposed.Geometry)
	if err != nil {
		return coopmap.Suggestion{}, coopmap.Invalidf("proposed.geometry", "%v", err)
	}
	now := storeTime(time.Now())
	const insert = `INSERT INTO suggestions (source_id, feature_id, base_version, proposed, proposed_geom,
		name, contact, note, status, created_at, client_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`
	r, err := tx.ExecContext(ctx, insert, sg.SourceID, textArg(sg.FeatureID), sg.BaseVersion, prop, geom,
		textArg(sg.Name), textArg(sg.Contact), textArg(sg.Note), timeArg(now), sg.ClientKey)
	if err != nil {
		return coopmap.Suggestion{}, dbError(ctx, op, err)
	}
	id, err := r.LastInsertId()
	if err != nil {
		return coopmap.Suggestion{}, dbError(ctx, op, err)
	}
	out, err := loadSuggestion(ctx, tx, id)
	if err != nil {
		return coopmap.Suggestion{}, dbError(ctx, op, err)
	}
	if err := tx.Commit(); err != nil {
		return coopmap.Suggestion{}, dbError(ctx, op, err)
	}
	return out, nil
}

// Suggestions lists a source's suggestions, oldest first; see
// coopmap.Moderation.
func (s *Store) Suggestions(ctx context.Context, sourceID, status string, limit int) ([]coopmap.Suggestion, error) {
	limit, err := coopmap.SuggestionsLimit(status, limit)
	if err != nil {
		return nil, err
	}
	op := fmt.Sprintf("suggestions for source %q", sourceID)
	tx, err := s.readSource(ctx, op, sourceID)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	const q = `SELECT ` + suggestionColumns + ` FROM suggestions
		WHERE source_id = ?1 AND (?2 = '' OR status = ?2) ORDER BY id LIMIT ?3`
	rows, err := tx.QueryContext(ctx, q, sourceID, status, limit)
	if err != nil {
		return nil, dbError(ctx, op, err)
	}
	out, err := collectRows(rows, scanSuggestion)
	if err != nil {
		return nil, dbError(ctx, op, err)
	}
	return out, nil
}

// Suggestion returns one suggestion; see coopmap.Moderation.
func (s *Store) Suggestion(ctx context.Context, id int64) (coopmap.Suggestion, error) {
	sg, err := loadSuggestion(ctx, s.r, id)
	if err != nil {
		return coopmap.Suggestion{}, dbError(ctx, fmt.Sprintf("suggestion %d", id), err)
	}
	return sg, nil
}

// pendingSuggestion reads a suggestion that must still be pending.
func pendingSuggestion(ctx context.Context, q querier, id int64) (coopmap.Suggestion, error) {
	sg, err := loadSuggestion(ctx, q, id)
	if err != nil {
		return sg, err
	}
	return sg, sg.CheckPending()
}

// AcceptSuggestion applies a pending suggestion as a new version; see
// coopmap.Moderation.
func (s *Store) AcceptSuggestion(ctx context.Context, id int64, edited *coopmap.Feature, ifVersion int64, c coopmap.Change) (coopmap.Feature, coopmap.Suggestion, error) {
	if err := c.Validate(); err != nil {
		return coopmap.Feature{}, coopmap.Suggestion{}, err
	}
	op := fmt.Sprintf("accept suggestion %d", id)
	fail := func(err error) (coopmap.Feature, coopmap.Suggestion, error) {
		return coopmap.Feature{}, coopmap.Suggestion{}, dbError(ctx, op, err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	sg, err := pendingSuggestion(ctx, tx, id)
	if err != nil {
		return fail(err)
	}
	f, err := sg.Applied(edited)
	if err != nil {
		return fail(err)
	}
	st, fid, err := recordState(ctx, tx, f.ID)
	if err != nil {
		return fail(err)
	}
	if sg.FeatureID != "" {
		err = st.Check(f.ID, ifVersion, true)
	} else if st.Exists {
		err = coopmap.Errorf(coopmap.CodeConflict, "a record with id %q already exists", f.ID)
	}
	if err != nil {
		return fail(err)
	}
	if err := editSource(ctx, tx, f.SourceID); err != nil {
		return fail(err)
	}
	now := storeTime(time.Now())
	out, err := writeLive(ctx, tx, st, fid, f, coopmap.OpSuggestion, coopmap.Change{By: c.By, Note: sg.AcceptNote(c)}, now)
	if err != nil {
		return fail(err)
	}
	const decide = `UPDATE suggestions SET status = 'accepted', decided_by = ?, decided_at = ?,
		feature_id = ?, feature_version = ? WHERE id = ?`
	if _, err := tx.ExecContext(ctx, decide, c.By, timeArg(now), out.ID, out.Version, id); err != nil {
		return fail(err)
	}
	if sg, err = loadSuggestion(ctx, tx, id); err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return out, sg, nil
}

// RejectSuggestion rejects a pending suggestion; see coopmap.Moderation.
func (s *Store) RejectSuggestion(ctx context.Context, id int64, reason string, c coopmap.Change) (coopmap.Suggestion, error) {
	if err := coopmap.CheckRejection(reason, c); err != nil {
		return coopmap.Suggestion{}, err
	}
	op := fmt.Sprintf("reject suggestion %d", id)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return coopmap.Suggestion{}, dbError(ctx, op, err)
	}
	defer tx.Rollback()
	if _, err := pendingSuggestion(ctx, tx, id); err != nil {
		return coopmap.Suggestion{}, dbError(ctx, op, err)
	}
	const decide = `UPDATE suggestions SET status = 'rejected', reason = ?, decided_by = ?, decided_at = ? WHERE id = ?`
	if _, err := tx.ExecContext(ctx, decide, textArg(reason), c.By, timeArg(storeTime(time.Now())), id); err != nil {
		return coopmap.Suggestion{}, dbError(ctx, op, err)
	}
	sg, err := loadSuggestion(ctx, tx, id)
	if err != nil {
		return coopmap.Suggestion{}, dbError(ctx, op, err)
	}
	if err := tx.Commit(); err != nil {
		return coopmap.Suggestion{}, dbError(ctx, op, err)
	}
	return sg, nil
}
