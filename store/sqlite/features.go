package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/coopmap/coopmap"
)

const featureColumns = `id, source_id, name, sector, org_type, address, postcode, website, email,
	description, founded, status, properties, precision, updated_at, version, geom`

func scanFeature(sc interface{ Scan(...any) error }) (coopmap.Feature, error) {
	var (
		f           coopmap.Feature
		props, geom []byte
	)
	err := sc.Scan(&f.ID, &f.SourceID, textCol{&f.Name}, textCol{&f.Sector}, textCol{&f.OrgType},
		textCol{&f.Address}, textCol{&f.Postcode}, textCol{&f.Website}, textCol{&f.Email},
		textCol{&f.Description}, textCol{&f.Founded}, textCol{&f.Status}, &props, &f.Precision,
		timeCol{&f.UpdatedAt}, &f.Version, &geom)
	if err != nil {
		return f, err
	}
	if props != nil {
		if err := json.Unmarshal(props, &f.Properties); err != nil {
			return f, fmt.Errorf("feature %q: stored properties: %w", f.ID, err)
		}
	}
	if f.Geometry, err = decodeGeometry(geom); err != nil {
		return f, fmt.Errorf("feature %q: stored geometry: %w", f.ID, err)
	}
	return f, nil
}

// Feature returns one feature by id. The error has CodeNotFound when there
// is none; otherwise it is the database's or ctx's.
func (s *Store) Feature(ctx context.Context, id string) (coopmap.Feature, error) {
	const q = `SELECT ` + featureColumns + ` FROM features WHERE id = ?`
	f, err := scanFeature(s.r.QueryRowContext(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return coopmap.Feature{}, coopmap.NotFoundf("no feature has id %q", id)
	}
	if err != nil {
		return coopmap.Feature{}, dbError(ctx, fmt.Sprintf("feature %q", id), err)
	}
	return f, nil
}

// Query fragments for Features. Each is fixed text with ? placeholders;
// only which fragments are joined depends on the query.
const (
	// bboxMatch selects the features whose bounding box touches one box,
	// taking (maxX, minX, maxY, minY) three times. The R*Tree keeps
	// float32 boxes rounded outwards, so it may offer a feature up to one
	// float32 step (< 2e-5°) outside the box. A candidate more than 1e-4°
	// inside every edge is certain; one nearer an edge is checked exactly
	// against its stored geometry.
	bboxMatch = `SELECT r.id FROM rtree_features_geom r
		WHERE r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?
		AND ((r.minx <= ? - 1e-4 AND r.maxx >= ? + 1e-4 AND r.miny <= ? - 1e-4 AND r.maxy >= ? + 1e-4)
			OR EXISTS (SELECT 1 FROM features e WHERE e.fid = r.id
				AND ST_MinX(e.geom) <= ? AND ST_MaxX(e.geom) >= ? AND ST_MinY(e.geom) <= ? AND ST_MaxY(e.geom) >= ?))`
	whereAll     = `1 = 1`
	whereBBox    = ` AND fid IN (` + bboxMatch + `)`
	whereBBox2   = ` AND fid IN (` + bboxMatch + ` UNION ALL ` + bboxMatch + `)`
	whereSources = ` AND source_id IN (?` // then ", ?" per further source and ")"
	whereSector  = ` AND sector = ?`
	whereOrgType = ` AND org_type = ?`
	whereText    = ` AND search_text LIKE '%' || ? || '%' ESCAPE '\'`
	whereAfter   = ` AND id > ?`

	countFeatures = `SELECT count(*) FROM features WHERE `
	// With only a bbox, the R*Tree counts alone: it has one row per
	// feature with a geometry. UNION, not UNION ALL: a feature as wide as
	// the world lies in both halves of a box across the antimeridian.
	countBBox    = `SELECT count(*) FROM (` + bboxMatch + `)`
	countBBox2   = `SELECT count(*) FROM (` + bboxMatch + ` UNION ` + bboxMatch + `)`
	pageFeatures = `SELECT ` + featureColumns + ` FROM features WHERE `
	// A bbox query sorts its candidates (few, found by the R*Tree); without
	// a bbox, walking an index in id order is cheapest. The unary + keeps
	// SQLite from choosing the id index for a bbox query, which would scan
	// every feature and probe the candidate list.
	orderByID     = ` ORDER BY id LIMIT ?`
	orderByIDSort = ` ORDER BY +id LIMIT ?`
)

// featureFilter returns the WHERE clause and its arguments for a
// normalised query, without the cursor.
func featureFilter(q coopmap.Query) (string, []any) {
	var (
		w    strings.Builder
		args []any
	)
	w.WriteString(whereAll)
	if q.BBox != nil {
		bounds := q.BBox.Bounds()
		if len(bounds) == 1 {
			w.WriteString(whereBBox)
		} else {
			w.WriteString(whereBBox2)
		}
		for _, b := range bounds {
			for range 3 {
				args = append(args, b.Max[0], b.Min[0], b.Max[1], b.Min[1])
			}
		}
	}
	if len(q.Sources) > 0 {
		w.WriteString(whereSources)
		w.WriteString(strings.Repeat(", ?", len(q.Sources)-1))
		w.WriteString(")")
		for _, s := range q.Sources {
			args = append(args, s)
		}
	}
	if q.Sector != "" {
		w.WriteString(whereSector)
		args = append(args, q.Sector)
	}
	if q.OrgType != "" {
		w.WriteString(whereOrgType)
		args = append(args, q.OrgType)
	}
	if q.Text != "" {
		w.WriteString(whereText)
		args = append(args, coopmap.EscapeLike(q.Text))
	}
	return w.String(), args
}

// Features returns one page of the features matching q, in id order, with
// the exact number matched; the count and the page come from one snapshot.
// The error is q's validation error (CodeInvalid naming the field), the
// database's, or ctx's.
func (s *Store) Features(ctx context.Context, q coopmap.Query) (coopmap.Page, error) {
	q, after, err := q.Normalize()
	if err != nil {
		return coopmap.Page{}, err
	}
	where, args := featureFilter(q)
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return coopmap.Page{}, dbError(ctx, "query features", err)
	}
	defer tx.Rollback()

	var page coopmap.Page
	count := countFeatures + where
	if q.BBox != nil && len(q.Sources) == 0 && q.Sector == "" && q.OrgType == "" && q.Text == "" {
		count = countBBox
		if q.BBox.CrossesAntimeridian() {
			count = countBBox2
		}
	}
	if err := tx.QueryRowContext(ctx, count, args...).Scan(&page.Matched); err != nil {
		return coopmap.Page{}, dbError(ctx, "count features", err)
	}
	if page.Matched == 0 {
		return page, nil
	}
	sel := pageFeatures + where
	if after != "" {
		sel += whereAfter
		args = append(args, after)
	}
	if q.BBox != nil {
		sel += orderByIDSort
	} else {
		sel += orderByID
	}
	args = append(args, q.Limit+1)
	rows, err := tx.QueryContext(ctx, sel, args...)
	if err != nil {
		return coopmap.Page{}, dbError(ctx, "query features", err)
	}
	defer rows.Close()
	page.Features = make([]coopmap.Feature, 0, min(q.Limit, page.Matched))
	for rows.Next() {
		f, err := scanFeature(rows)
		if err != nil {
			return coopmap.Page{}, dbError(ctx, "query features", err)
		}
		page.Features = append(page.Features, f)
	}
	if err := rows.Err(); err != nil {
		return coopmap.Page{}, dbError(ctx, "query features", err)
	}
	if len(page.Features) > q.Limit {
		page.Features = page.Features[:q.Limit]
		page.Next = coopmap.Cursor(page.Features[q.Limit-1].ID)
	}
	return page, nil
}

// SourceFeatures streams every feature of a source in id order from one
// snapshot, holding one row at a time. A missing source yields one error
// with CodeNotFound; a failure yields the database's or ctx's error, after
// which the sequence ends. Stopping early releases the connection.
func (s *Store) SourceFeatures(ctx context.Context, sourceID string) iter.Seq2[coopmap.Feature, error] {
	return func(yield func(coopmap.Feature, error) bool) {
		op := fmt.Sprintf("stream features of source %q", sourceID)
		tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			yield(coopmap.Feature{}, dbError(ctx, op, err))
			return
		}
		defer tx.Rollback()
		if _, err := loadSource(ctx, tx, sourceID); err != nil {
			yield(coopmap.Feature{}, dbError(ctx, op, err))
			return
		}
		const q = `SELECT ` + featureColumns + ` FROM features WHERE source_id = ? ORDER BY id`
		rows, err := tx.QueryContext(ctx, q, sourceID)
		if err != nil {
			yield(coopmap.Feature{}, dbError(ctx, op, err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			f, err := scanFeature(rows)
			if err != nil {
				yield(coopmap.Feature{}, dbError(ctx, op, err))
				return
			}
			if !yield(f, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(coopmap.Feature{}, dbError(ctx, op, err))
		}
	}
}
