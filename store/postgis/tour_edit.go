package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopmap/coopmap"
)

var _ coopmap.TourEditor = (*Store)(nil)

const (
	// recordTourSQL copies the tours row of a tour into its history, as
	// the version it has ($1 = 0) or, for a tombstone, the next ($1 = 1).
	recordTourSQL = `INSERT INTO tour_revisions (tour_id, version, source_id, op, changed_by, note, at,
		deleted, title, region, description, stops, legs, route, distance_m)
	SELECT id, version + $1, source_id, $2, $3, $4, $5, $6, title, region, description, stops, legs,
		route, distance_m
	FROM tours WHERE id = $7`

	liveTourSQL   = `SELECT source_id, version FROM tours WHERE id = $1`
	newestTourSQL = `SELECT source_id, version, deleted FROM tour_revisions WHERE tour_id = $1
	ORDER BY version DESC LIMIT 1`

	insertTourSQL = `INSERT INTO tours (id, source_id, title, region, description, stops, legs, route,
		distance_m, updated_at, version)
	VALUES ($1, $2, $3, $4, $5, $6, $7, ST_GeomFromWKB($8, 4326), $9, $10, $11)`

	updateTourSQL = `UPDATE tours SET title = $2, region = $3, description = $4, stops = $5, legs = $6,
		route = ST_GeomFromWKB($7, 4326), distance_m = $8, updated_at = $9, version = version + 1
	WHERE id = $1`

	deleteTourSQL = `DELETE FROM tours WHERE id = $1`

	restoreTourSQL = `INSERT INTO tours (id, source_id, title, region, description, stops, legs, route,
		distance_m, updated_at, version)
	SELECT tour_id, source_id, title, region, description, stops, legs, route, distance_m, $1, version + 1
	FROM tour_revisions WHERE tour_id = $2 AND version = $3`

	// tourRevisionColumns are those of tourColumns, then the revision's
	// own, as scanTourRevision reads them.
	tourRevisionColumns = `tour_id, source_id, title, region, description, stops, legs, ST_AsBinary(route),
	distance_m, at, version, op, changed_by, note, deleted`

	tourRevisionSQL = `SELECT ` + tourRevisionColumns + ` FROM tour_revisions
	WHERE tour_id = $1 AND version = $2 AND NOT deleted`

	tourHistorySQL = `SELECT ` + tourRevisionColumns + ` FROM tour_revisions
	WHERE tour_id = $1 ORDER BY version DESC`

	// touchToursSourceSQL records a change to a tours source's contents.
	touchToursSourceSQL = `UPDATE sources SET feature_count = feature_count + $2, version = version + 1,
		updated_at = $3 WHERE id = $1`
)

// recordTour keeps the current tours row of id as a revision made by c.
func recordTour(ctx context.Context, tx pgx.Tx, id, op string, c coopmap.Change, at time.Time, deleted bool) error {
	bump := 0
	if deleted {
		bump = 1
	}
	_, err := tx.Exec(ctx, recordTourSQL, bump, op, c.By, c.Note, at, deleted, id)
	return err
}

// tourState reads whether tour id is live or deleted, its newest version
// and its source.
func tourState(ctx context.Context, q querier, id string) (coopmap.TourState, string, error) {
	var (
		st  coopmap.TourState
		src string
	)
	err := q.QueryRow(ctx, liveTourSQL, id).Scan(&src, &st.Version)
	if err == nil {
		st.Live = true
		return st, src, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return st, "", err
	}
	err = q.QueryRow(ctx, newestTourSQL, id).Scan(&src, &st.Version, &st.Deleted)
	if errors.Is(err, pgx.ErrNoRows) {
		return coopmap.TourState{}, "", nil
	}
	return st, src, err
}

// lockedTourState locks the source of tour id, so no other tour write to
// it can run until tx ends, and then reads the tour's state.
func lockedTourState(ctx context.Context, tx pgx.Tx, id string) (coopmap.TourState, string, error) {
	_, src, err := tourState(ctx, tx, id)
	if err != nil || src == "" {
		return coopmap.TourState{}, "", err
	}
	if _, err := tx.Exec(ctx, lockToursSourceSQL, src); err != nil {
		return coopmap.TourState{}, "", err
	}
	return tourState(ctx, tx, id) // a tour never changes source
}

// tourWrite runs write in a transaction, wrapping its error as the
// exported methods do.
func (s *Store) tourWrite(ctx context.Context, op, id string, c coopmap.Change, write func(pgx.Tx) (coopmap.Tour, error)) (coopmap.Tour, error) {
	out, err := func() (coopmap.Tour, error) {
		if err := coopmap.CheckTourChange(c); err != nil {
			return coopmap.Tour{}, err
		}
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			return coopmap.Tour{}, err
		}
		defer rollback(ctx, tx)
		out, err := write(tx)
		if err != nil {
			return coopmap.Tour{}, err
		}
		return out, tx.Commit(ctx)
	}()
	if err != nil {
		return coopmap.Tour{}, fmt.Errorf("postgis: %s tour %q: %w", op, id, ctxErr(ctx, err))
	}
	return out, nil
}

// CreateTour stores a new tour in an existing tours source, version 1 (or
// the version after a deleted tour's tombstone), and returns it as Tour
// would; the source's count and version go up and the change is kept in
// the tour's history without a name. Errors: CodeInvalid naming the field
// for an invalid tour, a source that is missing or not a tours source
// ("source_id"), or a stop whose feature does not exist
// ("stops[2].feature_id"); CodeTooLarge for too many stops; CodeConflict
// when the id is taken; the context's error when ctx ends first; a
// database error.
func (s *Store) CreateTour(ctx context.Context, t coopmap.Tour) (coopmap.Tour, error) {
	return s.CreateTourAs(ctx, t, coopmap.Change{})
}

// CreateTourAs is CreateTour made by c (coopmap.TourEditor); c must be
// valid (CodeInvalid "by" or "note").
func (s *Store) CreateTourAs(ctx context.Context, t coopmap.Tour, c coopmap.Change) (coopmap.Tour, error) {
	return s.tourWrite(ctx, "create", t.ID, c, func(tx pgx.Tx) (coopmap.Tour, error) {
		if err := t.Validate(); err != nil {
			return coopmap.Tour{}, err
		}
		v, err := encodeTour(t)
		if err != nil {
			return coopmap.Tour{}, err
		}
		if err := lockToursSource(ctx, tx, t.SourceID); err != nil {
			return coopmap.Tour{}, err
		}
		if err := checkStopFeatures(ctx, tx, t.Stops); err != nil {
			return coopmap.Tour{}, err
		}
		st, _, err := tourState(ctx, tx, t.ID)
		if err != nil {
			return coopmap.Tour{}, err
		}
		version, err := st.NextVersion(t.ID)
		if err != nil {
			return coopmap.Tour{}, err
		}
		at := now()
		_, err = tx.Exec(ctx, insertTourSQL, t.ID, t.SourceID, t.Title, t.Region, t.Description,
			v.stops, v.legs, v.route, t.DistanceM, at, version)
		if uniqueViolation(err) {
			return coopmap.Tour{}, coopmap.Errorf(coopmap.CodeConflict, "a tour with id %q already exists", t.ID)
		}
		if err != nil {
			return coopmap.Tour{}, err
		}
		return finishTour(ctx, tx, t.ID, t.SourceID, coopmap.OpCreate, c, at, 1)
	})
}

// finishTour keeps the tour's new version in its history, records the
// change in its source (delta to its count) and reads the tour back.
func finishTour(ctx context.Context, tx pgx.Tx, id, sourceID, op string, c coopmap.Change, at time.Time, delta int) (coopmap.Tour, error) {
	if err := recordTour(ctx, tx, id, op, c, at, false); err != nil {
		return coopmap.Tour{}, err
	}
	if _, err := tx.Exec(ctx, touchToursSourceSQL, sourceID, delta, at); err != nil {
		return coopmap.Tour{}, err
	}
	return readTour(ctx, tx, id)
}

// UpdateTour replaces a tour whose stored version equals t.Version and
// returns it as Tour would, with the next version; the source's version
// goes up and the change is kept in the tour's history without a name. A
// tour stays in its source. Errors: CodeNotFound when there is no such
// tour; a *coopmap.VersionConflict (CodeConflict) when t.Version is not
// the stored version; CodeConflict for a deleted tour; CodeInvalid and
// CodeTooLarge as for CreateTour, and CodeInvalid ("source_id") for a move
// to another source; the context's error when ctx ends first; a database
// error.
func (s *Store) UpdateTour(ctx context.Context, t coopmap.Tour) (coopmap.Tour, error) {
	return s.UpdateTourAs(ctx, t, t.Version, coopmap.Change{})
}

// UpdateTourAs is UpdateTour made by c and based on ifVersion
// (coopmap.TourEditor).
func (s *Store) UpdateTourAs(ctx context.Context, t coopmap.Tour, ifVersion int64, c coopmap.Change) (coopmap.Tour, error) {
	return s.changeTour(ctx, t.ID, ifVersion, c, coopmap.OpUpdate, func(pgx.Tx) (coopmap.Tour, error) { return t, nil })
}

// RevertTour makes a new version of a live tour whose content is that of
// its version toVersion (coopmap.TourEditor). Errors: CodeNotFound for no
// such tour or version ("version"), a *coopmap.VersionConflict,
// CodeConflict for a deleted tour, CodeInvalid for a stop whose feature is
// gone, the context's error, a database error.
func (s *Store) RevertTour(ctx context.Context, id string, toVersion, ifVersion int64, c coopmap.Change) (coopmap.Tour, error) {
	return s.changeTour(ctx, id, ifVersion, c, coopmap.OpRevert, func(tx pgx.Tx) (coopmap.Tour, error) {
		rv, err := scanTourRevision(tx.QueryRow(ctx, tourRevisionSQL, id, toVersion))
		if errors.Is(err, pgx.ErrNoRows) {
			return coopmap.Tour{}, &coopmap.Error{Code: coopmap.CodeNotFound, Field: "version",
				Message: fmt.Sprintf("tour %q has no version %d to revert to", id, toVersion)}
		}
		return rv.Tour, err
	})
}

// changeTour replaces the content of live tour id at ifVersion with what
// content returns, as a new version made by c with operation op.
func (s *Store) changeTour(ctx context.Context, id string, ifVersion int64, c coopmap.Change, op string,
	content func(pgx.Tx) (coopmap.Tour, error)) (coopmap.Tour, error) {
	return s.tourWrite(ctx, op, id, c, func(tx pgx.Tx) (coopmap.Tour, error) {
		st, src, err := lockedTourState(ctx, tx, id)
		if err != nil {
			return coopmap.Tour{}, err
		}
		if err := st.Check(id, ifVersion, true); err != nil {
			return coopmap.Tour{}, err
		}
		t, err := content(tx)
		if err != nil {
			return coopmap.Tour{}, err
		}
		if err := t.Validate(); err != nil {
			return coopmap.Tour{}, err
		}
		if t.SourceID != src {
			return coopmap.Tour{}, coopmap.Invalidf("source_id", "tour %q belongs to source %q and cannot move to %q", id, src, t.SourceID)
		}
		v, err := encodeTour(t)
		if err != nil {
			return coopmap.Tour{}, err
		}
		if err := checkStopFeatures(ctx, tx, t.Stops); err != nil {
			return coopmap.Tour{}, err
		}
		at := now()
		if _, err := tx.Exec(ctx, updateTourSQL, id, t.Title, t.Region, t.Description,
			v.stops, v.legs, v.route, t.DistanceM, at); err != nil {
			return coopmap.Tour{}, err
		}
		return finishTour(ctx, tx, id, src, op, c, at, 0)
	})
}

// DeleteTour deletes a tour, keeping a tombstone in its history; its
// source's count goes down and its version up. The error is CodeNotFound
// when there is no such tour, the context's error when ctx ends first, or
// a database error.
func (s *Store) DeleteTour(ctx context.Context, id string) error {
	_, err := s.deleteTour(ctx, id, -1, coopmap.Change{})
	return err
}

// DeleteTourAs deletes a tour at ifVersion, made by c, and returns its
// last content with the tombstone's version (coopmap.TourEditor). Errors:
// CodeNotFound, a *coopmap.VersionConflict, CodeConflict for a tour that
// is already deleted, the context's error, a database error.
func (s *Store) DeleteTourAs(ctx context.Context, id string, ifVersion int64, c coopmap.Change) (coopmap.Tour, error) {
	return s.deleteTour(ctx, id, ifVersion, c)
}

// deleteTour deletes tour id at ifVersion, or at any version when
// ifVersion is negative.
func (s *Store) deleteTour(ctx context.Context, id string, ifVersion int64, c coopmap.Change) (coopmap.Tour, error) {
	return s.tourWrite(ctx, "delete", id, c, func(tx pgx.Tx) (coopmap.Tour, error) {
		st, src, err := lockedTourState(ctx, tx, id)
		if err != nil {
			return coopmap.Tour{}, err
		}
		if ifVersion < 0 {
			if !st.Live {
				return coopmap.Tour{}, coopmap.NotFoundf("there is no tour %q", id)
			}
			ifVersion = st.Version
		}
		if err := st.Check(id, ifVersion, true); err != nil {
			return coopmap.Tour{}, err
		}
		last, err := readTour(ctx, tx, id)
		if err != nil {
			return coopmap.Tour{}, err
		}
		at := now()
		if err := recordTour(ctx, tx, id, coopmap.OpDelete, c, at, true); err != nil {
			return coopmap.Tour{}, err
		}
		if _, err := tx.Exec(ctx, deleteTourSQL, id); err != nil {
			return coopmap.Tour{}, err
		}
		if _, err := tx.Exec(ctx, touchToursSourceSQL, src, -1, at); err != nil {
			return coopmap.Tour{}, err
		}
		last.Version, last.UpdatedAt = ifVersion+1, at
		return last, nil
	})
}

// RestoreTour brings back a tour deleted at ifVersion with the content it
// had, as the next version made by c (coopmap.TourEditor). Errors:
// CodeNotFound for an id with no history, a *coopmap.VersionConflict,
// CodeConflict when the tour is not deleted, the context's error, a
// database error.
func (s *Store) RestoreTour(ctx context.Context, id string, ifVersion int64, c coopmap.Change) (coopmap.Tour, error) {
	return s.tourWrite(ctx, "restore", id, c, func(tx pgx.Tx) (coopmap.Tour, error) {
		st, src, err := lockedTourState(ctx, tx, id)
		if err != nil {
			return coopmap.Tour{}, err
		}
		if err := st.Check(id, ifVersion, false); err != nil {
			return coopmap.Tour{}, err
		}
		at := now()
		_, err = tx.Exec(ctx, restoreTourSQL, at, id, ifVersion)
		if uniqueViolation(err) {
			return coopmap.Tour{}, coopmap.Errorf(coopmap.CodeConflict, "tour %q is not deleted", id)
		}
		if err != nil {
			return coopmap.Tour{}, err
		}
		return finishTour(ctx, tx, id, src, coopmap.OpRestore, c, at, 1)
	})
}

// scanTourRevision reads one row of tourRevisionColumns.
func scanTourRevision(row pgx.Row) (coopmap.TourRevision, error) {
	var rv coopmap.TourRevision
	t, err := scanTour(extraScan{row, []any{&rv.Op, &rv.By, &rv.Note, &rv.Deleted}})
	if err != nil {
		return rv, err
	}
	rv.TourID, rv.Version, rv.At, rv.Tour = t.ID, t.Version, t.UpdatedAt, t
	return rv, nil
}

// extraScan scans a row's leading columns into what Scan is given and the
// rest into extra, so scanTour reads revisions too.
type extraScan struct {
	row   pgx.Row
	extra []any
}

func (e extraScan) Scan(dest ...any) error { return e.row.Scan(append(dest, e.extra...)...) }

// TourHistory returns every kept version of a tour, newest first
// (coopmap.TourEditor). Errors: CodeNotFound for an id with no history,
// the context's error, a database error.
func (s *Store) TourHistory(ctx context.Context, id string) ([]coopmap.TourRevision, error) {
	rows, err := s.pool.Query(ctx, tourHistorySQL, id)
	if err == nil {
		var revs []coopmap.TourRevision
		revs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (coopmap.TourRevision, error) { return scanTourRevision(r) })
		if err == nil && len(revs) == 0 {
			err = coopmap.NotFoundf("there is no tour %q", id)
		}
		if err == nil {
			coopmap.FillTourFields(revs)
			ts := make([]coopmap.Tour, len(revs))
			for i := range revs {
				ts[i] = revs[i].Tour
			}
			if err = resolveStops(ctx, s.pool, ts); err == nil { // ts shares the stops of revs
				return revs, nil
			}
		}
	}
	return nil, fmt.Errorf("postgis: history of tour %q: %w", id, ctxErr(ctx, err))
}
