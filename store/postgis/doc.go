// Package postgis is the coopmap.Store on PostgreSQL 15+ with PostGIS 3,
// through pgx/v5 and its connection pool.
//
// # Connecting and readiness
//
// Open parses the DSN and builds a pool without connecting, so a server can
// start while the database is down. Ping (and CheckSchema) then report
// whether the database answers and whether its schema is current: a
// *SchemaError, which matches ErrSchemaVersion, means "reachable but run the
// migrations"; any other error means "unreachable or failing".
//
// # Migrations
//
// The schema is created by the numbered SQL files in migrations/postgis,
// embedded in the binary (package migrations). Migrate applies those the
// database lacks, each in its own transaction under a transaction-level
// advisory lock, and records each version in coopmap_schema_migrations; several
// processes may migrate at once and one does the work. LatestSchemaVersion
// is the version this code needs. Migration 0001 creates the postgis and
// pg_trgm extensions if the database lacks them, which needs a role allowed
// to create them (or a database where an administrator already has). All
// names are unqualified, so the store lives in the first schema on the
// connection's search_path: tests give each store a schema of its own with
// search_path=t_xxx,public in the DSN.
//
// # Schema
//
//	sources   one row per source: metadata, kind, feature_count (features,
//	          or tours for a tours source) and version, both maintained here
//	features  one row per feature, source_id → sources ON DELETE CASCADE:
//	          the co-op fields as columns, properties as jsonb, precision,
//	          updated_at, version, hash (coopmap.Feature.Hash), search_text
//	          (coopmap.Feature.SearchText) and geom geometry(Geometry, 4326)
//	tours     one row per tour, source_id → sources ON DELETE CASCADE:
//	          stops and legs as jsonb, route geometry(LineString, 4326)
//
// Ids are text COLLATE "C", so that pages ordered by id, and keyset cursors
// (id > $n), compare bytes as the GeoPackage store does, whatever the
// database's default collation. Indexes: GiST on features.geom for bounding
// box queries (&& against ST_MakeEnvelope, then an exact box3d check,
// since the index keeps float4 boxes), btree (source_id, id),
// (sector, id) and (org_type, id) for filtered pages, and a pg_trgm GIN
// index on search_text for free text (LIKE '%…%' on folded text, so case
// and accents never depend on the database's collation). Times are stored
// to the millisecond and returned in UTC.
//
// Geometry crosses the boundary as WKB (orb/encoding/wkb with
// ST_GeomFromWKB and ST_AsBinary); coordinates round-trip exactly.
//
// # Writes
//
// Every write to a source's contents holds that source's row lock (SELECT …
// FOR UPDATE) for its transaction, so writes to one source are serialised
// while writes to different sources proceed in parallel. ReplaceSource
// validates features as it reads them and COPYs them into a temporary
// staging table, then merges with set-based INSERT, UPDATE and DELETE
// statements: memory stays flat in the number of features, and a failure
// or cancellation anywhere rolls everything back.
package postgis
