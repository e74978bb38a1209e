package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/coopmap/coopmap"
)

var _ coopmap.TourEditor = (*Store)(nil)

// recordTourSQL copies the tours row of a tour into its history, as the
// version it has (bump 0) or, for a tombstone, the next one (bump 1).
const recordTourSQL = `INSERT INTO tour_revisions (tour_id, version, source_id, op, changed_by, note, at,
	deleted, title, region, description, stops, legs, distance_m, route)
SELECT id, version + ?, source_id, ?, ?, ?, ?, ?, title, region, description, stops, legs, distance_m, route
FROM tours WHERE id = ?`

// recordTour keeps the current tours row of id as a revision made by c.
func recordTour(ctx context.Context, tx *sql.Tx, id, op string, c coopmap.Change, at time.Time, deleted bool) error {
	bump := 0
	if deleted {
		bump = 1
	}
	_, err := tx.ExecContext(ctx, recordTourSQL, bump, op, textArg(c.By), textArg(c.Note), timeArg(at), deleted, id)
	return err
}

// tourState reads whether tour id is live or deleted, its newest version
// and its source.
func tourState(ctx context.Context, q querier, id string) (coopmap.TourState, string, error) {
	const (
		live   = `SELECT source_id, version FROM tours WHERE id = ?`
		newest = `SELECT source_id, version, deleted FROM tour_revisions WHERE tour_id = ? ORDER BY version DESC LIMIT 1`
	)
	var (
		st  coopmap.TourState
		src string
	)
	err := q.QueryRowContext(ctx, live, id).Scan(&src, &st.Version)
	if err == nil {
		st.Live = true
		return st, src, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return st, "", err
	}
	err = q.QueryRowContext(ctx, newest, id).Scan(&src, &st.Version, &st.Deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return coopmap.TourState{}, "", nil
	}
	return st, src, err
}

// CreateTour stores a new tour in a tours source and returns it as stored,
// with version 1 (or the version after a deleted tour's tombstone) and its
// stops resolved; the change is kept in the tour's history without a name.
// The error is t's validation error (CodeInvalid naming the field,
// CodeTooLarge for too many stops), CodeInvalid "source_id" when the
// source is missing or not a tours source, CodeInvalid
// "stops[i].feature_id" for a stop that references no feature,
// CodeConflict when the id is taken, or the database's or ctx's error.
func (s *Store) CreateTour(ctx context.Context, t coopmap.Tour) (coopmap.Tour, error) {
	return s.CreateTourAs(ctx, t, coopmap.Change{})
}

// CreateTourAs is CreateTour made by c (coopmap.TourEditor); c must be
// valid (CodeInvalid "by" or "note").
func (s *Store) CreateTourAs(ctx context.Context, t coopmap.Tour, c coopmap.Change) (coopmap.Tour, error) {
	if err := coopmap.CheckTourChange(c); err != nil {
		return coopmap.Tour{}, err
	}
	if err := t.Validate(); err != nil {
		return coopmap.Tour{}, err
	}
	op := fmt.Sprintf("create tour %q", t.ID)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	defer tx.Rollback()
	if err := checkTourSource(ctx, tx, t.SourceID); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	if err := checkStops(ctx, tx, t.Stops); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	st, _, err := tourState(ctx, tx, t.ID)
	if err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	version, err := st.NextVersion(t.ID)
	if err != nil {
		return coopmap.Tour{}, err
	}
	now := storeTime(time.Now())
	vals, err := tourValues(t, timeArg(now))
	if err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	const insert = `INSERT INTO tours (id, source_id, version, title, region, description, stops,
		legs, distance_m, updated_at, route) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := tx.ExecContext(ctx, insert, append([]any{t.ID, t.SourceID, version}, vals...)...); err != nil {
		if isUnique(err) {
			return coopmap.Tour{}, coopmap.Errorf(coopmap.CodeConflict, "a tour with id %q already exists", t.ID)
		}
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	if err := recordTour(ctx, tx, t.ID, coopmap.OpCreate, c, now, false); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	if err := bumpSource(ctx, tx, t.SourceID, 1, now); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	return s.finishTour(ctx, tx, op, t.ID, now)
}

// finishTour records the change in gpkg_contents, reads the tour back and
// commits.
func (s *Store) finishTour(ctx context.Context, tx *sql.Tx, op, id string, now time.Time) (coopmap.Tour, error) {
	if err := touchContents(ctx, tx, "tours", now); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	out, err := loadTour(ctx, tx, id)
	if err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	if err := tx.Commit(); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	return out, nil
}

// UpdateTour replaces a tour whose stored version is t.Version and returns
// it as stored, with the next version and its stops resolved; the change
// is kept in the tour's history without a name. A tour stays in its
// source. The error has CodeNotFound when there is no such tour, a
// *coopmap.VersionConflict (CodeConflict) when t.Version is not the stored
// version, CodeConflict for a deleted tour, and is otherwise as for
// CreateTour.
func (s *Store) UpdateTour(ctx context.Context, t coopmap.Tour) (coopmap.Tour, error) {
	return s.UpdateTourAs(ctx, t, t.Version, coopmap.Change{})
}

// UpdateTourAs is UpdateTour made by c and based on ifVersion
// (coopmap.TourEditor).
func (s *Store) UpdateTourAs(ctx context.Context, t coopmap.Tour, ifVersion int64, c coopmap.Change) (coopmap.Tour, error) {
	if err := t.Validate(); err != nil {
		return coopmap.Tour{}, err
	}
	return s.changeTour(ctx, t.ID, ifVersion, c, coopmap.OpUpdate, func(*sql.Tx, string) (coopmap.Tour, error) { return t, nil })
}

// RevertTour makes a new version of a live tour whose content is that of
// its version toVersion (coopmap.TourEditor). The error has CodeNotFound
// for no such tour or version ("version"), a *coopmap.VersionConflict,
// CodeConflict for a deleted tour, CodeInvalid for a stop whose feature is
// gone, or the database's or ctx's.
func (s *Store) RevertTour(ctx context.Context, id string, toVersion, ifVersion int64, c coopmap.Change) (coopmap.Tour, error) {
	return s.changeTour(ctx, id, ifVersion, c, coopmap.OpRevert, func(tx *sql.Tx, _ string) (coopmap.Tour, error) {
		const sel = `SELECT ` + tourRevisionColumns + ` FROM tour_revisions WHERE tour_id = ? AND version = ? AND NOT deleted`
		rv, err := scanTourRevision(tx.QueryRowContext(ctx, sel, id, toVersion))
		if errors.Is(err, sql.ErrNoRows) {
			return coopmap.Tour{}, &coopmap.Error{Code: coopmap.CodeNotFound, Field: "version",
				Message: fmt.Sprintf("tour %q has no version %d to revert to", id, toVersion)}
		}
		return rv.Tour, err
	})
}

// changeTour replaces the content of live tour id at ifVersion with what
// content returns (given the transaction and the tour's source), as a new
// version made by c with operation op.
func (s *Store) changeTour(ctx context.Context, id string, ifVersion int64, c coopmap.Change, opName string,
	content func(*sql.Tx, string) (coopmap.Tour, error)) (coopmap.Tour, error) {
	if err := coopmap.CheckTourChange(c); err != nil {
		return coopmap.Tour{}, err
	}
	op := fmt.Sprintf("%s tour %q", opName, id)
	tx, st, src, err := s.beginTourChange(ctx, op, id)
	if err != nil {
		return coopmap.Tour{}, err
	}
	defer tx.Rollback()
	if err := st.Check(id, ifVersion, true); err != nil {
		return coopmap.Tour{}, err
	}
	t, err := content(tx, src)
	if err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	if t.SourceID != src {
		return coopmap.Tour{}, coopmap.Invalidf("source_id", "tour %q belongs to source %q and cannot move to another", id, src)
	}
	if err := checkStops(ctx, tx, t.Stops); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	now := storeTime(time.Now())
	vals, err := tourValues(t, timeArg(now))
	if err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	const update = `UPDATE tours SET version = version + 1, title = ?, region = ?,
		description = ?, stops = ?, legs = ?, distance_m = ?, updated_at = ?, route = ? WHERE id = ?`
	if _, err := tx.ExecContext(ctx, update, append(vals, id)...); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	if err := recordTour(ctx, tx, id, opName, c, now, false); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	if err := bumpSource(ctx, tx, src, 0, now); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	return s.finishTour(ctx, tx, op, id, now)
}

// DeleteTour deletes a tour, keeping a tombstone in its history. The error
// has CodeNotFound when there is no such tour; otherwise it is the
// database's or ctx's.
func (s *Store) DeleteTour(ctx context.Context, id string) error {
	_, err := s.deleteTour(ctx, id, -1, coopmap.Change{})
	return err
}

// DeleteTourAs deletes a tour at ifVersion, made by c, and returns its last
// content with the tombstone's version (coopmap.TourEditor). The error has
// CodeNotFound, a *coopmap.VersionConflict, CodeConflict for a tour that
// is already deleted, or the database's or ctx's.
func (s *Store) DeleteTourAs(ctx context.Context, id string, ifVersion int64, c coopmap.Change) (coopmap.Tour, error) {
	if err := coopmap.CheckTourChange(c); err != nil {
		return coopmap.Tour{}, err
	}
	return s.deleteTour(ctx, id, ifVersion, c)
}

// deleteTour deletes tour id at ifVersion, or at any version when
// ifVersion is negative.
func (s *Store) deleteTour(ctx context.Context, id string, ifVersion int64, c coopmap.Change) (coopmap.Tour, error) {
	op := fmt.Sprintf("delete tour %q", id)
	tx, st, src, err := s.beginTourChange(ctx, op, id)
	if err != nil {
		return coopmap.Tour{}, err
	}
	defer tx.Rollback()
	if ifVersion < 0 {
		if !st.Live {
			return coopmap.Tour{}, coopmap.NotFoundf("no tour has id %q", id)
		}
		ifVersion = st.Version
	}
	if err := st.Check(id, ifVersion, true); err != nil {
		return coopmap.Tour{}, err
	}
	last, err := loadTour(ctx, tx, id)
	if err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	now := storeTime(time.Now())
	if err := recordTour(ctx, tx, id, coopmap.OpDelete, c, now, true); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM tours WHERE id = ?`, id); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	if err := bumpSource(ctx, tx, src, -1, now); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	if err := touchContents(ctx, tx, "tours", now); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	if err := tx.Commit(); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	last.Version, last.UpdatedAt = ifVersion+1, now
	return last, nil
}

// RestoreTour brings back a tour deleted at ifVersion with the content it
// had, as the next version made by c (coopmap.TourEditor). The error has
// CodeNotFound for an id with no history, a *coopmap.VersionConflict,
// CodeConflict when the tour is not deleted, or the database's or ctx's.
func (s *Store) RestoreTour(ctx context.Context, id string, ifVersion int64, c coopmap.Change) (coopmap.Tour, error) {
	if err := coopmap.CheckTourChange(c); err != nil {
		return coopmap.Tour{}, err
	}
	op := fmt.Sprintf("restore tour %q", id)
	tx, st, src, err := s.beginTourChange(ctx, op, id)
	if err != nil {
		return coopmap.Tour{}, err
	}
	defer tx.Rollback()
	if err := st.Check(id, ifVersion, false); err != nil {
		return coopmap.Tour{}, err
	}
	now := storeTime(time.Now())
	const insert = `INSERT INTO tours (id, source_id, version, title, region, description, stops, legs,
		distance_m, updated_at, route)
	SELECT tour_id, source_id, version + 1, title, region, description, stops, legs, distance_m, ?, route
	FROM tour_revisions WHERE tour_id = ? AND version = ?`
	if _, err := tx.ExecContext(ctx, insert, timeArg(now), id, ifVersion); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	if err := recordTour(ctx, tx, id, coopmap.OpRestore, c, now, false); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	if err := bumpSource(ctx, tx, src, 1, now); err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	return s.finishTour(ctx, tx, op, id, now)
}

// tourRevisionColumns are the columns scanTourRevision reads: those of
// tourColumns, then the revision's own.
const tourRevisionColumns = `tour_id, source_id, title, region, description, stops, legs, distance_m,
	at, version, route, op, changed_by, note, deleted`

// scanTourRevision reads one row of tourRevisionColumns.
// beginTourChange starts the write transaction of a change to tour id and
// reads the tour's state in it; errors are wrapped as op. On success the
// caller rolls tx back when it does not commit.
func (s *Store) beginTourChange(ctx context.Context, op, id string) (*sql.Tx, coopmap.TourState, string, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, coopmap.TourState{}, "", dbError(ctx, op, err)
	}
	st, src, err := tourState(ctx, tx, id)
	if err != nil {
		tx.Rollback()
		return nil, coopmap.TourState{}, "", dbError(ctx, op, err)
	}
	return tx, st, src, nil
}

func scanTourRevision(sc scanner) (coopmap.TourRevision, error) {
	var rv coopmap.TourRevision
	t, err := scanTour(appendScan{sc, []any{&rv.Op, textCol{&rv.By}, textCol{&rv.Note}, &rv.Deleted}})
	if err != nil {
		return rv, err
	}
	rv.TourID, rv.Version, rv.At, rv.Tour = t.ID, t.Version, t.UpdatedAt, t
	return rv, nil
}

// TourHistory returns every kept version of a tour, newest first
// (coopmap.TourEditor). The error has CodeNotFound for an id with no
// history; otherwise it is the database's or ctx's.
func (s *Store) TourHistory(ctx context.Context, id string) ([]coopmap.TourRevision, error) {
	const sel = `SELECT ` + tourRevisionColumns + ` FROM tour_revisions WHERE tour_id = ? ORDER BY version DESC`
	op := fmt.Sprintf("history of tour %q", id)
	rows, err := s.r.QueryContext(ctx, sel, id)
	if err != nil {
		return nil, dbError(ctx, op, err)
	}
	revs, err := collectRows(rows, scanTourRevision)
	if err != nil {
		return nil, dbError(ctx, op, err)
	}
	if len(revs) == 0 {
		return nil, coopmap.NotFoundf("no tour has id %q", id)
	}
	coopmap.FillTourFields(revs)
	r, err := newStopResolver(ctx, s.r)
	if err != nil {
		return nil, dbError(ctx, op, err)
	}
	defer r.Close()
	for i := range revs {
		if err := r.resolve(ctx, &revs[i].Tour); err != nil {
			return nil, dbError(ctx, op, err)
		}
	}
	return revs, nil
}
