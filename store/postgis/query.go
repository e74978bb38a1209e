package postgis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// The pieces of a Features query. Each filter is a constant; a query is the
// conjunction of those its Query sets, with values bound by name.
const (
	selectFeaturesSQL = `SELECT ` + featureColumns + ` FROM features`
	countFeaturesSQL  = `SELECT count(*) FROM features`

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
	filterSourcesSQL     = `source_id = ANY(@sources)`
	filterSectorSQL      = `sector = @sector`
	filterOrgTypeSQL     = `org_type = @org_type`
	filterStatusSQL      = `status = @status`
	filterUpdatedFromSQL = `updated_at >= @updated_from`
	filterUpdatedToSQL   = `updated_at <= @updated_to`
	filterTextSQL        = `search_text LIKE '%' || @text || '%' ESCAPE '\'`

	// Sort keys other than the id. COLLATE "C" compares bytes, as the
	// GeoPackage store does, whatever the database's collation.
	keyNameSQL    = `name COLLATE "C"`
	keyUpdatedSQL = `updated_at`
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
	for _, c := range []struct {
		sql, name string
		v         any
		set       bool
	}{
		{filterSectorSQL, "sector", q.Sector, q.Sector != ""},
		{filterOrgTypeSQL, "org_type", q.OrgType, q.OrgType != ""},
		{filterStatusSQL, "status", q.Status, q.Status != ""},
		{filterUpdatedFromSQL, "updated_from", storedTime(q.Updated.From), !q.Updated.From.IsZero()},
		{filterUpdatedToSQL, "updated_to", storedTime(q.Updated.To), !q.Updated.To.IsZero()},
		// Folded by Normalize; punctuation alone folds to "".
		{filterTextSQL, "text", coopmap.EscapeLike(q.Text), q.Text != ""},
	} {
		if c.set {
			conds = append(conds, c.sql)
			args[c.name] = c.v
		}
	}
	return conds, args
}

// keyset adds to conds and args the condition that starts a page after (or
// before) pos, and returns the ORDER BY … LIMIT clause. Every piece is
// fixed text: the sort field only picks which.
func keyset(q coopmap.Query, pos coopmap.Position, conds []string, args pgx.NamedArgs) ([]string, string) {
	cmp, dir := " > ", ""
	if q.Descending(pos) {
		cmp, dir = " < ", " DESC"
	}
	var key string
	switch q.Sort.Field {
	case coopmap.SortName:
		key, args["key"] = keyNameSQL, pos.Name
	case coopmap.SortUpdated:
		key, args["key"] = keyUpdatedSQL, pos.Updated
	default:
		if !pos.IsZero() {
			conds = append(conds, `id`+cmp+`@after`)
			args["after"] = pos.ID
		}
		return conds, ` ORDER BY id` + dir + ` LIMIT @limit`
	}
	if pos.IsZero() {
		delete(args, "key")
	} else {
		conds = append(conds, `(`+key+cmp+`@key OR (`+key+` = @key AND id`+cmp+`@after))`)
		args["after"] = pos.ID
	}
	return conds, ` ORDER BY ` + key + dir + `, id` + dir + ` LIMIT @limit`
}

// where renders conditions as a WHERE clause.
func where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// Features returns one page of the features matching q, in q's order,
// with the exact number matched; the page and the count come from one
// snapshot. The error is CodeInvalid naming the field for a bad query (see
// coopmap.Query.Normalize), the context's error when ctx ends first, or a
// database error.
func (s *Store) Features(ctx context.Context, q coopmap.Query) (coopmap.Page, error) {
	q, pos, err := q.Normalize()
	if err != nil {
		return coopmap.Page{}, fmt.Errorf("postgis: features: %w", err)
	}
	conds, args := featureFilters(q)
	countSQL := countFeaturesSQL + where(conds)
	conds, order := keyset(q, pos, conds, args)
	pageSQL := selectFeaturesSQL + where(conds) + order
	args["limit"] = q.Limit + 1 // one more tells whether there is a next page

	var (
		rows    []coopmap.Feature
		matched int
	)
	if pos.IsZero() && q.BBox != nil {
		// A first bbox page: the GiST index finds every match and the sort
		// reads them all anyway, so a window count is free and the page is
		// one statement, one round trip.
		rows, matched, err = readCountedPage(ctx, s.pool, selectCountedSQL+where(conds)+order, args)
	} else {
		rows, matched, err = readPage(ctx, s.pool, pageSQL, countSQL, args, q.Limit, pos.IsZero())
	}
	if err != nil {
		return coopmap.Page{}, fmt.Errorf("postgis: features: %w", ctxErr(ctx, err))
	}
	return q.Finish(rows, pos, matched), nil
}

// selectCountedSQL selects featureColumns and the number of matches.
const selectCountedSQL = `SELECT ` + featureColumns + `, count(*) OVER () FROM features`

// readCountedPage runs a page query of selectCountedSQL: the features and
// the number matched in one statement.
func readCountedPage(ctx context.Context, pool *pgxpool.Pool, pageSQL string, args pgx.NamedArgs) ([]coopmap.Feature, int, error) {
	rows, err := pool.Query(ctx, pageSQL, args)
	if err != nil {
		return nil, 0, err
	}
	var matched int
	fs, err := pgx.CollectRows(rows, rowTo(func(row pgx.Row) (coopmap.Feature, error) {
		return scanFeature(countedRow{row, &matched})
	}))
	return fs, matched, err
}

// countedRow is a row of featureColumns followed by a count, which Scan
// stores in n.
type countedRow struct {
	pgx.Row
	n *int
}

func (r countedRow) Scan(dest ...any) error { return r.Row.Scan(append(dest, r.n)...) }

// readPage runs a page query and, when needed, its count in one read-only
// snapshot. It returns up to limit+1 features.
func readPage(ctx context.Context, pool *pgxpool.Pool, pageSQL, countSQL string, args pgx.NamedArgs, limit int, first bool) ([]coopmap.Feature, int, error) {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, err
	}
	defer rollback(ctx, tx)
	rows, err := tx.Query(ctx, pageSQL, args)
	if err != nil {
		return nil, 0, err
	}
	fs, err := pgx.CollectRows(rows, rowTo(scanFeature))
	if err != nil {
		return nil, 0, err
	}
	matched := len(fs)
	// A first page that holds every match is its own count.
	if !first || len(fs) > limit {
		if err := tx.QueryRow(ctx, countSQL, args).Scan(&matched); err != nil {
			return nil, 0, err
		}
	}
	return fs, matched, tx.Commit(ctx)
}

var _ coopmap.ExtentReader = (*Store)(nil)

const (
	// ST_Extent computes in double precision from the coordinates, so
	// the extent is exact.
	sourceExtentSQL = `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), lo, hi
	FROM (SELECT ST_Extent(geom) AS e, min(updated_at) AS lo, max(updated_at) AS hi
		FROM features WHERE source_id = $1) x`
)

// SourceExtent returns the bounding box and update-time range of a
// source's features. The error is CodeNotFound for a missing source, the
// context's when ctx ends first, or a database error.
func (s *Store) SourceExtent(ctx context.Context, sourceID string) (coopmap.Extent, error) {
	var (
		e                      coopmap.Extent
		minX, minY, maxX, maxY *float64
		lo, hi                 *time.Time
	)
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, sourceExistsSQL, sourceID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return coopmap.NotFoundf("there is no source %q", sourceID)
		}
		return tx.QueryRow(ctx, sourceExtentSQL, sourceID).Scan(&minX, &minY, &maxX, &maxY, &lo, &hi)
	})
	var de *coopmap.Error
	if errors.As(err, &de) {
		return coopmap.Extent{}, fmt.Errorf("postgis: %w", err)
	}
	if err != nil {
		return coopmap.Extent{}, fmt.Errorf("postgis: extent of source %q: %w", sourceID, ctxErr(ctx, err))
	}
	if minX != nil {
		e.BBox = &geo.BBox{MinLon: *minX, MinLat: *minY, MaxLon: *maxX, MaxLat: *maxY}
	}
	if lo != nil {
		e.Updated = coopmap.TimeRange{From: lo.UTC(), To: hi.UTC()}
	}
	return e, nil
}
