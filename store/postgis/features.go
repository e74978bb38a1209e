package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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

// The pieces of a Features query. Each filter is a constant; a query is the
// conjunction of those its Query sets, with values bound by name.
const (
	selectFeaturesSQL = `SELECT ` + featureColumns + ` FROM features`
	countFeaturesSQL  = `SELECT count(*) FROM features`
	pageOrderSQL      = ` ORDER BY id LIMIT @limit`

	// The contract keeps features whose bounding box touches the query
	// box, edges included. && finds them with the GiST index, but it
	// compares float4 boxes rounded outwards, so it also passes features up
	// to a few metres outside; the box3d comparisons, computed from the
	// coordinates in double precision, drop those.
	filterBBoxSQL = `(geom && ST_MakeEnvelope(@min_lon, @min_lat, @max_lon, @max_lat, 4326)
		AND ST_XMin(geom::box3d) <= @max_lon AND ST_XMax(geom::box3d) >= @min_lon
		AND ST_YMin(geom::box3d) <= @max_lat AND ST_YMax(geom::box3d) >= @min_lat)`
	// A box across the antimeridian is two boxes; see geo.BBox.Bounds.
	filterBBox2SQL = `((geom && ST_MakeEnvelope(@min_lon, @min_lat, @max_lon, @max_lat, 4326)
		AND ST_XMin(geom::box3d) <= @max_lon AND ST_XMax(geom::box3d) >= @min_lon
		AND ST_YMin(geom::box3d) <= @max_lat AND ST_YMax(geom::box3d) >= @min_lat)
	OR (geom && ST_MakeEnvelope(@min_lon2, @min_lat2, @max_lon2, @max_lat2, 4326)
		AND ST_XMin(geom::box3d) <= @max_lon2 AND ST_XMax(geom::box3d) >= @min_lon2
		AND ST_YMin(geom::box3d) <= @max_lat2 AND ST_YMax(geom::box3d) >= @min_lat2))`
	filterSourcesSQL = `source_id = ANY(@sources)`
	filterSectorSQL  = `sector = @sector`
	filterOrgTypeSQL = `org_type = @org_type`
	filterTextSQL    = `search_text LIKE '%' || @text || '%' ESCAPE '\'`
	filterAfterSQL   = `id > @after`
)

// featureFilters returns the conditions and arguments of a normalised
// query, without its cursor.
func featureFilters(q coopmap.Query) ([]string, pgx.NamedArgs) {
	var conds []string
	args := pgx.NamedArgs{}
	if q.BBox != nil {
		bs := q.BBox.Bounds()
		args["min_lon"], args["min_lat"], args["max_lon"], args["max_lat"] = bs[0].Min[0], bs[0].Min[1], bs[0].Max[0], bs[0].Max[1]
		if len(bs) == 1 {
			conds = append(conds, filterBBoxSQL)
		} else {
			args["min_lon2"], args["min_lat2"], args["max_lon2"], args["max_lat2"] = bs[1].Min[0], bs[1].Min[1], bs[1].Max[0], bs[1].Max[1]
			conds = append(conds, filterBBox2SQL)
		}
	}
	if len(q.Sources) > 0 {
		conds = append(conds, filterSourcesSQL)
		args["sources"] = q.Sources
	}
	if q.Sector != "" {
		conds = append(conds, filterSectorSQL)
		args["sector"] = q.Sector
	}
	if q.OrgType != "" {
		conds = append(conds, filterOrgTypeSQL)
		args["org_type"] = q.OrgType
	}
	if q.Text != "" { // folded by Normalize; punctuation alone folds to ""
		conds = append(conds, filterTextSQL)
		args["text"] = coopmap.EscapeLike(q.Text)
	}
	return conds, args
}

// where renders conditions as a WHERE clause.
func where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// Features returns one page of the features matching q, in id order, with
// the exact number matched; the page and the count come from one snapshot.
// The error is CodeInvalid naming the field for a bad query (see
// coopmap.Query.Normalize), the context's error when ctx ends first, or a
// database error.
func (s *Store) Features(ctx context.Context, q coopmap.Query) (coopmap.Page, error) {
	q, after, err := q.Normalize()
	if err != nil {
		return coopmap.Page{}, fmt.Errorf("postgis: features: %w", err)
	}
	conds, args := featureFilters(q)
	countSQL := countFeaturesSQL + where(conds)
	if after != "" {
		conds = append(conds, filterAfterSQL)
		args["after"] = after
	}
	pageSQL := selectFeaturesSQL + where(conds) + pageOrderSQL
	args["limit"] = q.Limit + 1 // one more tells whether there is a next page

	page, err := readPage(ctx, s.pool, pageSQL, countSQL, args, q.Limit, after != "")
	if err != nil {
		return coopmap.Page{}, fmt.Errorf("postgis: features: %w", ctxErr(ctx, err))
	}
	if len(page.Features) > q.Limit {
		page.Features = page.Features[:q.Limit]
		page.Next = coopmap.Cursor(page.Features[q.Limit-1].ID)
	}
	return page, nil
}

// readPage runs a page query and, when needed, its count in one read-only
// snapshot. The page holds up to limit+1 features.
func readPage(ctx context.Context, pool *pgxpool.Pool, pageSQL, countSQL string, args pgx.NamedArgs, limit int, cursor bool) (coopmap.Page, error) {
	var page coopmap.Page
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return page, err
	}
	defer rollback(ctx, tx)
	rows, err := tx.Query(ctx, pageSQL, args)
	if err != nil {
		return page, err
	}
	if page.Features, err = pgx.CollectRows(rows, rowTo(scanFeature)); err != nil {
		return page, err
	}
	if !cursor && len(page.Features) <= limit {
		// A first page that holds every match is its own count.
		page.Matched = len(page.Features)
	} else if err := tx.QueryRow(ctx, countSQL, args).Scan(&page.Matched); err != nil {
		return page, err
	}
	return page, tx.Commit(ctx)
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
