package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"

	"github.com/jackc/pgx/v5"

	"github.com/coopmap/coopmap"
)

// featureColumns are the columns scanFeature reads, in its order.
const featureColumns = `id, source_id, name, sector, org_type, address, postcode, website, email,
	description, founded, status, properties, precision, updated_at, version, ST_AsBinary(geom)`

// scanFeature reads one row of featureColumns.
func scanFeature(row pgx.Row) (coopmap.Feature, error) {
	var (
		f         coopmap.Feature
		props     []byte
		precision string
		geom      []byte
	)
	err := row.Scan(&f.ID, &f.SourceID, &f.Name, &f.Sector, &f.OrgType, &f.Address, &f.Postcode, &f.Website, &f.Email,
		&f.Description, &f.Founded, &f.Status, &props, &precision, &f.UpdatedAt, &f.Version, &geom)
	if err != nil {
		return coopmap.Feature{}, err
	}
	f.Precision = coopmap.Precision(precision)
	f.UpdatedAt = f.UpdatedAt.UTC()
	if props != nil {
		if err := json.Unmarshal(props, &f.Properties); err != nil {
			return coopmap.Feature{}, fmt.Errorf("feature %q: properties: %w", f.ID, err)
		}
	}
	if f.Geometry, err = decodeGeom(geom); err != nil {
		return coopmap.Feature{}, fmt.Errorf("feature %q: geometry: %w", f.ID, err)
	}
	return f, nil
}

// encodeProperties returns the JSON stored for p: NULL for nil, so that nil
// and empty properties both survive a round trip.
func encodeProperties(p map[string]any) ([]byte, error) {
	if p == nil {
		return nil, nil
	}
	return json.Marshal(p)
}

const featureByIDSQL = `SELECT ` + featureColumns + ` FROM features WHERE id = $1`

// Feature returns one feature. The error is CodeNotFound when there is no
// feature with that id, the context's error when ctx ends first, or a
// database error.
func (s *Store) Feature(ctx context.Context, id string) (coopmap.Feature, error) {
	f, err := scanFeature(s.pool.QueryRow(ctx, featureByIDSQL, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return coopmap.Feature{}, fmt.Errorf("postgis: %w", coopmap.NotFoundf("there is no feature %q", id))
	}
	if err != nil {
		return coopmap.Feature{}, fmt.Errorf("postgis: feature %q: %w", id, ctxErr(ctx, err))
	}
	return f, nil
}

// streamBatch is how many features SourceFeatures reads per query: enough
// to amortise the round trip, few enough that a batch of large polygons
// stays small.
const streamBatch = 256

const (
	sourceExistsSQL = `SELECT EXISTS (SELECT 1 FROM sources WHERE id = $1)`

	// Keyset batches over the (source_id, id) index.
	sourceFeaturesSQL = `SELECT ` + featureColumns + ` FROM features
	WHERE source_id = $1 AND id > $2 ORDER BY id LIMIT $3`
)

// SourceFeatures streams every feature of a source in id order. It reads
// them in batches inside one read-only, repeatable-read transaction, so the
// stream is a consistent snapshot, memory stays flat, and a consumer that
// stops early just ends the transaction and frees the connection. A
// missing source yields one CodeNotFound error; a failure yields one error
// (the context's when ctx ends first) and ends the stream.
func (s *Store) SourceFeatures(ctx context.Context, sourceID string) iter.Seq2[coopmap.Feature, error] {
	return func(yield func(coopmap.Feature, error) bool) {
		fail := func(err error) {
			yield(coopmap.Feature{}, fmt.Errorf("postgis: features of source %q: %w", sourceID, ctxErr(ctx, err)))
		}
		tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			fail(err)
			return
		}
		defer rollback(ctx, tx)
		var exists bool
		if err := tx.QueryRow(ctx, sourceExistsSQL, sourceID).Scan(&exists); err != nil {
			fail(err)
			return
		}
		if !exists {
			yield(coopmap.Feature{}, fmt.Errorf("postgis: %w", coopmap.NotFoundf("there is no source %q", sourceID)))
			return
		}
		after := ""
		for {
			rows, err := tx.Query(ctx, sourceFeaturesSQL, sourceID, after, streamBatch)
			if err != nil {
				fail(err)
				return
			}
			batch, err := pgx.CollectRows(rows, rowTo(scanFeature))
			if err != nil {
				fail(err)
				return
			}
			for _, f := range batch {
				if !yield(f, nil) {
					return
				}
			}
			if len(batch) < streamBatch {
				return
			}
			after = batch[len(batch)-1].ID
		}
	}
}
