package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"iter"

	"github.com/coopmap/coopmap"
)

var _ coopmap.TileReader = (*Store)(nil)

const (
	// tileFeaturesSQL reads the columns a tile shows for the features
	// whose R*Tree box touches the tile's box, taking (maxX, minX, maxY,
	// minY, source). CROSS JOIN keeps the R*Tree as the outer loop, so
	// the cost follows the tile's features, not the source's.
	tileFeaturesSQL = `SELECT f.id, f.name, f.sector, f.org_type, f.geom
		FROM rtree_features_geom r CROSS JOIN features f ON f.fid = r.id
		WHERE r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ? AND f.source_id = ?`
)

// TileFeatures streams the features of q.SourceID whose boxes touch q.BBox
// (as the R*Tree keeps them, up to one float32 step larger), with only id,
// source, name, sector, org type and geometry set, holding one row at a
// time. A failure yields the database's or ctx's error and ends the
// sequence. It implements coopmap.TileReader.
func (s *Store) TileFeatures(ctx context.Context, q coopmap.TileQuery) iter.Seq2[coopmap.Feature, error] {
	return func(yield func(coopmap.Feature, error) bool) {
		op := fmt.Sprintf("tile features of source %q", q.SourceID)
		// A read-only transaction keeps the boxes of a box across the
		// antimeridian on one snapshot.
		tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			yield(coopmap.Feature{}, dbError(ctx, op, err))
			return
		}
		defer tx.Rollback()
		seen := map[string]bool{} // only across the two halves of a box across ±180°
		bounds := q.BBox.Bounds()
		for _, b := range bounds {
			rows, err := tx.QueryContext(ctx, tileFeaturesSQL, b.Max[0], b.Min[0], b.Max[1], b.Min[1], q.SourceID)
			if err != nil {
				yield(coopmap.Feature{}, dbError(ctx, op, err))
				return
			}
			ok := s.yieldTileRows(ctx, op, rows, q.SourceID, len(bounds) > 1, seen, yield)
			rows.Close()
			if !ok {
				return
			}
		}
	}
}

// yieldTileRows yields each row as a feature; it reports whether the
// caller wants more.
func (s *Store) yieldTileRows(ctx context.Context, op string, rows *sql.Rows, sourceID string, dedupe bool, seen map[string]bool, yield func(coopmap.Feature, error) bool) bool {
	for rows.Next() {
		var (
			f    = coopmap.Feature{SourceID: sourceID}
			geom []byte
		)
		if err := rows.Scan(&f.ID, textCol{&f.Name}, textCol{&f.Sector}, textCol{&f.OrgType}, &geom); err != nil {
			yield(coopmap.Feature{}, dbError(ctx, op, err))
			return false
		}
		if dedupe {
			if seen[f.ID] {
				continue
			}
			seen[f.ID] = true
		}
		g, err := decodeGeometry(geom)
		if err != nil {
			yield(coopmap.Feature{}, dbError(ctx, op, fmt.Errorf("feature %q: stored geometry: %w", f.ID, err)))
			return false
		}
		f.Geometry = g
		if !yield(f, nil) {
			return false
		}
	}
	if err := rows.Err(); err != nil {
		yield(coopmap.Feature{}, dbError(ctx, op, err))
		return false
	}
	return true
}
