// Package sqlite is coopmap's embedded store: the coopmap.Store contract on
// one GeoPackage 1.3 file, through modernc.org/sqlite (pure Go, no cgo).
//
// The file is a valid GeoPackage, so the data a server holds can be handed
// to anyone as it is: ogrinfo, ogr2ogr, QGIS and other GIS tools open it
// and see three layers:
//
//   - sources (attributes, no geometry): one row per imported dataset with
//     its licence (licence_id, licence_name, licence_url), attribution,
//     owner, origin, retrieval time, feature count and version. Every other
//     row names its source in source_id, so provenance travels with the data.
//   - features (geometry column geom, any type, EPSG:4326): co-ops and
//     overlay features of every source, with their co-op fields as columns,
//     other fields as a JSON object in properties, and the store's
//     bookkeeping (version, updated_at, hash, search_text).
//   - tours (geometry column route, LineString, EPSG:4326, NULL until
//     routed): co-op bike tours; stops and legs are JSON. A stop that
//     references a feature keeps only feature_id and note, and gets the
//     feature's current name and location when read.
//
// Both feature tables have gpkg_rtree_index spatial indexes (rtree_features_geom,
// rtree_tours_route) kept current by the standard's triggers, so tools that
// edit the file keep them right too. Geometries are GeoPackage binary:
// a small header with the SRS and envelope, then WKB (see geometry.go).
// Times are UTC text, 'YYYY-MM-DDTHH:MM:SS.sssZ'; stored times are
// truncated to the millisecond. Optional text is NULL when absent.
//
// Besides the GeoPackage tables the file holds coopmap_schema, the applied
// schema migrations (from migrations/sqlite), which GIS tools do not list.
// PRAGMA application_id and user_version are GeoPackage's ('GPKG', 10300).
//
// While a Store is open the file is in WAL mode: reads run on a pool of
// connections, each on a consistent snapshot, while writes are serialised
// on a single connection, so concurrent writers queue instead of failing
// with SQLITE_BUSY. Close turns the file back to a rollback journal when no
// other process has it open, so the GeoPackage at rest is a single file.
package sqlite
