package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/coopmap/coopmap"
)

// querier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// collectRows scans every row of rows with scan and closes rows; the
// slice is empty, not nil, when there are none (as database/sql's
// answer to pgx.CollectRows).
func collectRows[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

const sourceColumns = `id, title, description, kind, licence_id, licence_name, licence_url,
	attribution, owner, origin, retrieved_at, updated_at, feature_count, version`

func scanSource(sc scanner) (coopmap.Source, error) {
	var s coopmap.Source
	err := sc.Scan(&s.ID, textCol{&s.Title}, textCol{&s.Description}, &s.Kind,
		&s.Licence.ID, textCol{&s.Licence.Name}, textCol{&s.Licence.URL},
		&s.Attribution, textCol{&s.Owner}, textCol{&s.Origin},
		timeCol{&s.RetrievedAt}, timeCol{&s.UpdatedAt}, &s.FeatureCount, &s.Version)
	return s, err
}

// Sources returns every source, ordered by id. It fails only when the
// database does, or with ctx's error.
func (s *Store) Sources(ctx context.Context) ([]coopmap.Source, error) {
	const q = `SELECT ` + sourceColumns + ` FROM sources ORDER BY id`
	rows, err := s.r.QueryContext(ctx, q)
	if err != nil {
		return nil, dbError(ctx, "list sources", err)
	}
	out, err := collectRows(rows, scanSource)
	if err != nil {
		return nil, dbError(ctx, "list sources", err)
	}
	return out, nil
}

// Source returns one source. The error has CodeNotFound when there is no
// source with that id.
func (s *Store) Source(ctx context.Context, id string) (coopmap.Source, error) {
	src, err := loadSource(ctx, s.r, id)
	if err != nil {
		return coopmap.Source{}, dbError(ctx, "source "+id, err)
	}
	return src, nil
}

// loadSource reads a source; a missing one is a not-found error.
func loadSource(ctx context.Context, q querier, id string) (coopmap.Source, error) {
	const sel = `SELECT ` + sourceColumns + ` FROM sources WHERE id = ?`
	src, err := scanSource(q.QueryRowContext(ctx, sel, id))
	if errors.Is(err, sql.ErrNoRows) {
		return coopmap.Source{}, coopmap.NotFoundf("no source has id %q", id)
	}
	return src, err
}

// sameMetadata reports whether a stored source already has src's
// metadata (everything the caller sets; not the store-maintained count,
// version and update time).
func sameMetadata(old, src coopmap.Source) bool {
	return old.Title == src.Title && old.Description == src.Description &&
		old.Licence == src.Licence && old.Attribution == src.Attribution &&
		old.Owner == src.Owner && old.Origin == src.Origin &&
		old.RetrievedAt.Equal(storeTime(src.RetrievedAt))
}

// updateSourceMetadata stores the metadata a caller sets; the version and
// update time are the caller's to bump.
const updateSourceMetadata = `UPDATE sources SET title = ?, description = ?, licence_id = ?, licence_name = ?,
	licence_url = ?, attribution = ?, owner = ?, origin = ?, retrieved_at = ? WHERE id = ?`

// ReplaceSource stores src and makes features its complete contents, in
// one write transaction: nothing changes unless everything succeeds. A nil
// features is an empty source. The error is src's or a feature's
// validation error (CodeInvalid, with the field prefixed "features[i]."),
// CodeInvalid "features[i].id" for an id repeated within the import,
// CodeInvalid "features[i].source_id" for a feature of another source,
// CodeConflict "features[i].id" for an id that another source holds,
// CodeConflict when src changes an existing source's kind, CodeInvalid
// "features" for features offered to a tours source, the iterator's own
// error (wrapped), or ctx's error. The versions it writes are by the
// Change ctx carries (coopmap.ImportChange; CodeInvalid "by" or "note").
func (s *Store) ReplaceSource(ctx context.Context, src coopmap.Source, features iter.Seq2[coopmap.Feature, error]) (coopmap.ReplaceResult, error) {
	var res coopmap.ReplaceResult
	if err := src.Validate(); err != nil {
		return res, err
	}
	ch, err := coopmap.ImportChange(ctx)
	if err != nil {
		return res, err
	}
	op := fmt.Sprintf("replace source %q", src.ID)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return res, dbError(ctx, op, err)
	}
	defer tx.Rollback()

	now := storeTime(time.Now())
	old, err := loadSource(ctx, tx, src.ID)
	exists := err == nil
	switch {
	case coopmap.ErrorCode(err) == coopmap.CodeNotFound:
		const insert = `INSERT INTO sources (` + sourceColumns + `)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)`
		if _, err := tx.ExecContext(ctx, insert, src.ID, textArg(src.Title), textArg(src.Description), string(src.Kind),
			src.Licence.ID, textArg(src.Licence.Name), textArg(src.Licence.URL), src.Attribution,
			textArg(src.Owner), textArg(src.Origin), timeArg(src.RetrievedAt), timeArg(now)); err != nil {
			return res, dbError(ctx, op, err)
		}
	case err != nil:
		return res, dbError(ctx, op, err)
	case old.Kind != src.Kind:
		return res, coopmap.Errorf(coopmap.CodeConflict, "source %q holds %s; it cannot become a source of %s (delete it first)", src.ID, old.Kind, src.Kind)
	case !sameMetadata(old, src):
		if _, err := tx.ExecContext(ctx, updateSourceMetadata, textArg(src.Title), textArg(src.Description),
			src.Licence.ID, textArg(src.Licence.Name), textArg(src.Licence.URL), src.Attribution,
			textArg(src.Owner), textArg(src.Origin), timeArg(src.RetrievedAt), src.ID); err != nil {
			return res, dbError(ctx, op, err)
		}
	}
	metaChanged := !exists || !sameMetadata(old, src)
	if metaOp := coopmap.ImportMetaOp(!exists, metaChanged); metaOp != "" {
		if err := recordSourceMeta(ctx, tx, src.ID, metaOp, ch, now); err != nil {
			return res, dbError(ctx, op, err)
		}
	}

	count := old.FeatureCount // a tours source counts its tours
	if features == nil {
		features = func(func(coopmap.Feature, error) bool) {}
	}
	if src.Kind == coopmap.KindTours {
		for _, err := range features {
			if err != nil {
				return res, fmt.Errorf("sqlite: %s: reading features[0]: %w", op, err)
			}
			return res, coopmap.Invalidf("features", "source %q is a tours source; it holds tours, not features", src.ID)
		}
	} else if err := importFeatures(ctx, tx, src.ID, features, now, ch, &res); err != nil {
		return res, dbError(ctx, op, err)
	}
	if src.Kind != coopmap.KindTours {
		count = res.Added + res.Updated + res.Unchanged
	}

	if metaChanged || res.Changed() {
		const bump = `UPDATE sources SET version = version + 1, updated_at = ?, feature_count = ? WHERE id = ?`
		if _, err := tx.ExecContext(ctx, bump, timeArg(now), count, src.ID); err != nil {
			return res, dbError(ctx, op, err)
		}
		if err := touchContents(ctx, tx, "sources", now); err != nil {
			return res, dbError(ctx, op, err)
		}
	}
	if res.Changed() {
		if err := touchContents(ctx, tx, "features", now); err != nil {
			return res, dbError(ctx, op, err)
		}
	}
	if res.Source, err = loadSource(ctx, tx, src.ID); err != nil {
		return res, dbError(ctx, op, err)
	}
	if err := tx.Commit(); err != nil {
		return res, dbError(ctx, op, err)
	}
	return res, nil
}

// touchContents records a change to one of coopmap's tables in
// gpkg_contents: the time, and for a feature table the exact extent. The
// R*Tree finds the extent cheaply but in float32, rounded outwards; the
// features within 1e-4° (more than a float32 step) of its edges are then
// read exactly.
func touchContents(ctx context.Context, tx querier, table string, now time.Time) error {
	const (
		sources  = `UPDATE gpkg_contents SET last_change = ? WHERE table_name = 'sources'`
		features = `WITH r AS (SELECT min(minx) AS x0, max(maxx) AS x1, min(miny) AS y0, max(maxy) AS y1
				FROM rtree_features_geom)
			UPDATE gpkg_contents SET last_change = ?,
			min_x = (SELECT min(ST_MinX(geom)) FROM features WHERE fid IN
				(SELECT id FROM rtree_features_geom WHERE minx <= (SELECT x0 FROM r) + 1e-4)),
			max_x = (SELECT max(ST_MaxX(geom)) FROM features WHERE fid IN
				(SELECT id FROM rtree_features_geom WHERE maxx >= (SELECT x1 FROM r) - 1e-4)),
			min_y = (SELECT min(ST_MinY(geom)) FROM features WHERE fid IN
				(SELECT id FROM rtree_features_geom WHERE miny <= (SELECT y0 FROM r) + 1e-4)),
			max_y = (SELECT max(ST_MaxY(geom)) FROM features WHERE fid IN
				(SELECT id FROM rtree_features_geom WHERE maxy >= (SELECT y1 FROM r) - 1e-4))
			WHERE table_name = 'features'`
		tours = `WITH r AS (SELECT min(minx) AS x0, max(maxx) AS x1, min(miny) AS y0, max(maxy) AS y1
				FROM rtree_tours_route)
			UPDATE gpkg_contents SET last_change = ?,
			min_x = (SELECT min(ST_MinX(route)) FROM tours WHERE fid IN
				(SELECT id FROM rtree_tours_route WHERE minx <= (SELECT x0 FROM r) + 1e-4)),
			max_x = (SELECT max(ST_MaxX(route)) FROM tours WHERE fid IN
				(SELECT id FROM rtree_tours_route WHERE maxx >= (SELECT x1 FROM r) - 1e-4)),
			min_y = (SELECT min(ST_MinY(route)) FROM tours WHERE fid IN
				(SELECT id FROM rtree_tours_route WHERE miny <= (SELECT y0 FROM r) + 1e-4)),
			max_y = (SELECT max(ST_MaxY(route)) FROM tours WHERE fid IN
				(SELECT id FROM rtree_tours_route WHERE maxy >= (SELECT y1 FROM r) - 1e-4))
			WHERE table_name = 'tours'`
	)
	var q string
	switch table {
	case "sources":
		q = sources
	case "features":
		q = features
	case "tours":
		q = tours
	default:
		return fmt.Errorf("touchContents: unknown table %q", table)
	}
	if _, err := tx.ExecContext(ctx, q, timeArg(now)); err != nil {
		return fmt.Errorf("updating gpkg_contents for %s: %w", table, err)
	}
	return nil
}

// DeleteSource deletes a source with its features and tours. The error has
// CodeNotFound when there is no such source; otherwise it is the
// database's or ctx's.
func (s *Store) DeleteSource(ctx context.Context, id string) error {
	op := fmt.Sprintf("delete source %q", id)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return dbError(ctx, op, err)
	}
	defer tx.Rollback()
	// The foreign keys cascade to features and tours, and the R*Tree
	// triggers follow.
	const del = `DELETE FROM sources WHERE id = ?`
	r, err := tx.ExecContext(ctx, del, id)
	if err != nil {
		return dbError(ctx, op, err)
	}
	if n, err := r.RowsAffected(); err != nil {
		return dbError(ctx, op, err)
	} else if n == 0 {
		return coopmap.NotFoundf("no source has id %q", id)
	}
	now := storeTime(time.Now())
	for _, t := range []string{"sources", "features", "tours"} {
		if err := touchContents(ctx, tx, t, now); err != nil {
			return dbError(ctx, op, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return dbError(ctx, op, err)
	}
	return nil
}

// bumpSource records a change to a source's contents made outside
// ReplaceSource (a tour written or deleted): delta to its count, a new
// version and update time.
func bumpSource(ctx context.Context, tx querier, id string, delta int, now time.Time) error {
	const bump = `UPDATE sources SET version = version + 1, updated_at = ?, feature_count = feature_count + ? WHERE id = ?`
	if _, err := tx.ExecContext(ctx, bump, timeArg(now), delta, id); err != nil {
		return fmt.Errorf("updating source %q: %w", id, err)
	}
	return touchContents(ctx, tx, "sources", now)
}
