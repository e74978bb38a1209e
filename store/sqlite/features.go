package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"

	"github.com/coopmap/coopmap"
)

const featureColumns = `id, source_id, name, sector, org_type, address, postcode, website, email,
	description, founded, status, properties, precision, updated_at, version, geom`

func scanFeature(sc scanner) (coopmap.Feature, error) {
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

// SourceFeatures streams every feature of a source in id order from one
// snapshot, holding one row at a time. A missing source yields one error
// with CodeNotFound; a failure yields the database's or ctx's error, after
// which the sequence ends. Stopping early releases the connection.
func (s *Store) SourceFeatures(ctx context.Context, sourceID string) iter.Seq2[coopmap.Feature, error] {
	return func(yield func(coopmap.Feature, error) bool) {
		op := fmt.Sprintf("stream features of source %q", sourceID)
		tx, end, err := s.beginStream(ctx)
		if err != nil {
			yield(coopmap.Feature{}, dbError(ctx, op, err))
			return
		}
		defer end()
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
