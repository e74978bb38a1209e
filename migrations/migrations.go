package migrations

import "embed"

// PostGIS holds the PostGIS store's migrations as postgis/NNNN_*.sql,
// applied in order by store/postgis.
//
//go:embed postgis/*.sql
var PostGIS embed.FS

// SQLite holds the embedded GeoPackage store's migrations as
// sqlite/NNNN_*.sql. store/sqlite runs each file whole, in one transaction.
//
//go:embed sqlite/*.sql
var SQLite embed.FS
