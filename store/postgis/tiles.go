package postgis

import (
	"context"
	"fmt"
	"iter"

	"github.com/jackc/pgx/v5"

	"github.com/coopmap/coopmap"
)

var (
	_ coopmap.TileReader   = (*Store)(nil)
	_ coopmap.TileRenderer = (*Store)(nil)
)

// tileFeaturesSQL reads the columns a tile shows for the features of a
// source whose boxes touch a lon/lat box ($2–$5), found by the GiST index
// with && on the stored SRID (4326), so no row is transformed to be
// filtered.
const tileFeaturesSQL = `SELECT id, name, sector, org_type, ST_AsBinary(geom) FROM features
WHERE source_id = $1 AND geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)`

// TileFeatures streams the features of q.SourceID whose boxes touch
// q.BBox (as the index keeps them, rounded outwards to float4), with only
// id, source, name, sector, org type and geometry set. A failure yields
// the database's or ctx's error and ends the sequence. It implements
// coopmap.TileReader.
func (s *Store) TileFeatures(ctx context.Context, q coopmap.TileQuery) iter.Seq2[coopmap.Feature, error] {
	return func(yield func(coopmap.Feature, error) bool) {
		bounds := q.BBox.Bounds()
		seen := map[string]bool{} // only across the two halves of a box across ±180°
		for _, b := range bounds {
			rows, err := s.pool.Query(ctx, tileFeaturesSQL, q.SourceID, b.Min[0], b.Min[1], b.Max[0], b.Max[1])
			if err != nil {
				yield(coopmap.Feature{}, fmt.Errorf("postgis: tile features of %q: %w", q.SourceID, ctxErr(ctx, err)))
				return
			}
			for rows.Next() {
				var (
					f    = coopmap.Feature{SourceID: q.SourceID}
					geom []byte
				)
				if err := rows.Scan(&f.ID, &f.Name, &f.Sector, &f.OrgType, &geom); err != nil {
					rows.Close()
					yield(coopmap.Feature{}, fmt.Errorf("postgis: tile features of %q: %w", q.SourceID, ctxErr(ctx, err)))
					return
				}
				if len(bounds) > 1 {
					if seen[f.ID] {
						continue
					}
					seen[f.ID] = true
				}
				if f.Geometry, err = decodeGeom(geom); err != nil {
					rows.Close()
					yield(coopmap.Feature{}, fmt.Errorf("postgis: feature %q: %w", f.ID, err))
					return
				}
				if !yield(f, nil) {
					rows.Close()
					return
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				yield(coopmap.Feature{}, fmt.Errorf("postgis: tile features of %q: %w", q.SourceID, ctxErr(ctx, err)))
				return
			}
		}
	}
}

// renderLayerSQL renders one layer of a tile with ST_AsMVT, following
// coopmap.TileSpec. Arguments:
//
//	$1 source id          $2–$5 query box, lon/lat (tile + buffer)
//	$6–$9 tile bounds in EPSG:3857 (minx, miny, maxx, maxy)
//	$10 extent  $11 buffer  $12 simplify tolerance (m)  $13 min size (m)
//	$14 cluster cell (m)  $15 cells per tile edge  $16 always cluster
//	$17 max raw points    $18 layer name
//
// The tile's features are read once (src), through the GiST index with
// && on the stored SRID (4326). Points are projected to Web Mercator with
// the spherical formula (what ST_Transform to 3857 computes, without
// PROJ's cost per point); lines and polygons with ST_Transform. Points are
// clustered when $16 is set or when more than $17 touch the query box
// (counted over src by a window); a cell's index is relative to the tile,
// and cells outside it belong to other tiles. When $16 is set, points
// carry only id and position through src; a single point's properties
// come from the primary key. The MVT id is the low 53 bits of
// the id's MD5, as coopmap.TileFeatureID computes.
const renderLayerSQL = `WITH src AS (
	SELECT id, pt, x, y, g, name, sector, org_type,
		pt AND ($16::boolean OR count(*) FILTER (WHERE pt) OVER () > $17::int) AS clustered
	FROM (
		SELECT id, pt, CASE WHEN pt THEN ` + tileMercatorXSQL + ` END AS x,
			CASE WHEN pt THEN ` + tileMercatorYSQL + ` END AS y,
			CASE WHEN NOT pt THEN ST_Transform(geom, 3857) END AS g,
			CASE WHEN NOT (pt AND $16::boolean) THEN name END AS name,
			CASE WHEN NOT (pt AND $16::boolean) THEN sector END AS sector,
			CASE WHEN NOT (pt AND $16::boolean) THEN org_type END AS org_type
		FROM (SELECT *, GeometryType(geom) = 'POINT' AS pt FROM features
			WHERE source_id = $1 AND geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)) f
	) p
), clusters AS (
	SELECT count(*) AS n, min(id) AS rep, avg(x) AS x, avg(y) AS y
	FROM (SELECT id, x, y, floor((x - $6::float8) / $14::float8) AS cx, floor(($9::float8 - y) / $14::float8) AS cy
		FROM src WHERE clustered) c
	WHERE cx >= 0 AND cx < $15::int AND cy >= 0 AND cy < $15::int
	GROUP BY cx, cy
), rows AS (
	SELECT c.rep AS key, c.n AS count, f.id, f.name, f.sector, f.org_type, ST_SetSRID(ST_MakePoint(c.x, c.y), 3857) AS g, true AS pt
	FROM clusters c LEFT JOIN features f ON c.n = 1 AND f.id = c.rep
	UNION ALL
	SELECT id, NULL, id, name, sector, org_type, CASE WHEN pt THEN ST_SetSRID(ST_MakePoint(x, y), 3857) ELSE g END, pt
	FROM src WHERE NOT clustered
), ` + tileCTESQL + `
SELECT coalesce(ST_AsMVT(t, $18::text, $10::int, 'geom', 'fid'), '') FROM (SELECT * FROM tile WHERE geom IS NOT NULL ORDER BY fid) t`

// renderRawLayerSQL renders one layer of a tile that clusters only when it
// is dense (coopmap.TileSpec.ClusterAlways unset, so z ≥ 14 by default):
// the tile renderLayerSQL makes when it does not cluster, without its
// window over src and its cluster grid. It answers (dense, tile): dense
// when more than $14 points touch the query box, and then an empty tile,
// for renderLayerSQL to render clustered. Arguments $1–$13 as for
// renderLayerSQL, $14 max raw points, $15 layer name.
const renderRawLayerSQL = `WITH src AS (
	SELECT id, name, sector, org_type, pt,
		CASE WHEN pt THEN ST_SetSRID(ST_MakePoint(` + tileMercatorXSQL + `, ` + tileMercatorYSQL + `), 3857)
			ELSE ST_Transform(geom, 3857) END AS g
	FROM (SELECT id, name, sector, org_type, geom, GeometryType(geom) = 'POINT' AS pt FROM features
		WHERE source_id = $1 AND geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)) f
), rows AS (
	SELECT id AS key, NULL::bigint AS count, id, name, sector, org_type, g, pt FROM src
), ` + tileCTESQL + `
SELECT n > $14::int, CASE WHEN n > $14::int THEN '' ELSE
	(SELECT coalesce(ST_AsMVT(t, $15::text, $10::int, 'geom', 'fid'), '') FROM (SELECT * FROM tile WHERE geom IS NOT NULL ORDER BY fid) t) END
FROM (SELECT count(*) AS n FROM src WHERE pt) c`

// Fragments shared by renderLayerSQL and renderRawLayerSQL. The first two
// are the spherical Web Mercator x and y of a lon/lat point geom. tileCTESQL
// turns rows (key, count, id, name, sector, org_type, g in EPSG:3857, pt)
// into the MVT rows of a tile: id from key, properties, geometry
// simplified by $12, clipped to the tile ($6–$9, extent $10, buffer $11)
// and dropped under $13 wide and high.
const (
	tileMercatorXSQL = `6378137 * radians(ST_X(geom))`
	tileMercatorYSQL = `6378137 * ln(tan(pi() / 4 + radians(greatest(-85.05112877980659, least(85.05112877980659, ST_Y(geom)))) / 2))`
	tileCTESQL       = `tile AS (
	SELECT ('x' || substr(md5(key), 1, 16))::bit(64)::bigint & 9007199254740991 AS fid, count, id,
		NULLIF(name, '') AS name, NULLIF(sector, '') AS sector, NULLIF(org_type, '') AS org_type,
		ST_AsMVTGeom(CASE WHEN pt OR $12::float8 <= 0 THEN g ELSE ST_Simplify(g, $12::float8) END,
			ST_MakeEnvelope($6, $7, $8, $9, 3857)::box2d, $10::int, $11::int, true) AS geom
	FROM rows
	WHERE pt OR $13::float8 <= 0 OR ST_XMax(g) - ST_XMin(g) >= $13::float8 OR ST_YMax(g) - ST_YMin(g) >= $13::float8
)`
)

// The settings a tile query runs with. PostGIS gives ST_Transform and
// ST_AsMVTGeom high costs, so the planner's estimate for a tile crosses
// jit_above_cost and parallel-query thresholds: JIT compilation then costs
// seconds and parallel workers cost more than they save on a query of a
// few milliseconds. The clustering sort gets room to stay in memory.
const (
	beginTileSQL    = `BEGIN READ ONLY`
	tileSettingsSQL = `SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true),
	set_config('work_mem', '32MB', true)`
	commitTileSQL = `COMMIT`
)

// RenderTile renders a tile in the database with ST_AsMVT, one query per
// layer sent in one round trip, and returns the layers concatenated (an
// MVT tile is a sequence of layers); a layer without features adds
// nothing. A layer that clusters only when dense is rendered raw
// (renderRawLayerSQL) and, when it turns out dense, again clustered in a
// second round trip. Errors are the database's or ctx's. It implements
// coopmap.TileRenderer.
func (s *Store) RenderTile(ctx context.Context, spec coopmap.TileSpec) ([]byte, error) {
	var (
		b      = spec.QueryBox
		size   = spec.Bounds.Max[0] - spec.Bounds.Min[0]
		unit   = size / float64(spec.Extent) // metres per tile unit
		cell   = size / float64(max(spec.ClusterCells, 1))
		cells  = max(spec.ClusterCells, 0) // with none, no cell is inside the tile
		always = spec.ClusterAlways && cells > 0
		layers = make([][]byte, len(spec.Layers))
		dense  []int // layers to render again, clustered
	)
	if b.CrossesAntimeridian() { // tiles never cross it; cut to the tile's side
		b.MaxLon = 180
	}
	args := func(l coopmap.TileLayer) []any { // $1–$13 of both layer queries
		return []any{l.SourceID, b.MinLon, b.MinLat, b.MaxLon, b.MaxLat,
			spec.Bounds.Min[0], spec.Bounds.Min[1], spec.Bounds.Max[0], spec.Bounds.Max[1],
			spec.Extent, spec.Buffer, spec.Simplify * unit, spec.MinSize * unit}
	}
	clustered := func(batch *pgx.Batch, i int) {
		l := spec.Layers[i]
		batch.Queue(renderLayerSQL, append(args(l), cell, cells, always, spec.MaxRawPoints, l.Name)...).QueryRow(func(row pgx.Row) error {
			return row.Scan(&layers[i])
		})
	}
	err := s.tileBatch(ctx, func(batch *pgx.Batch) {
		for i, l := range spec.Layers {
			if always {
				clustered(batch, i)
				continue
			}
			batch.Queue(renderRawLayerSQL, append(args(l), spec.MaxRawPoints, l.Name)...).QueryRow(func(row pgx.Row) error {
				var isDense bool
				if err := row.Scan(&isDense, &layers[i]); err != nil {
					return err
				}
				if isDense {
					dense = append(dense, i)
				}
				return nil
			})
		}
	})
	if err == nil && len(dense) > 0 {
		err = s.tileBatch(ctx, func(batch *pgx.Batch) {
			for _, i := range dense {
				clustered(batch, i)
			}
		})
	}
	if err != nil {
		return nil, fmt.Errorf("postgis: render tile %d/%d/%d: %w", spec.Z, spec.X, spec.Y, ctxErr(ctx, err))
	}
	out := []byte{}
	for _, l := range layers {
		out = append(out, l...)
	}
	return out, nil
}

// tileBatch sends the tile queries queue adds in one round trip: a
// read-only transaction whose settings (tileSettingsSQL) last only as long
// as it does.
func (s *Store) tileBatch(ctx context.Context, queue func(*pgx.Batch)) error {
	var batch pgx.Batch
	batch.Queue(beginTileSQL)
	batch.Queue(tileSettingsSQL)
	queue(&batch)
	batch.Queue(commitTileSQL)
	return s.pool.SendBatch(ctx, &batch).Close()
}
