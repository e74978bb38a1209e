// Package tiles makes Mapbox Vector Tiles (MVT 2.1) from a coopmap store:
// tile addressing and validation (Tile, Parse), the embedded renderer that
// encodes with orb's encoding/mvt (Renderer), server-side point clustering
// on a global grid so clusters agree across tile borders, per-zoom
// simplification and clipping, a per-tile size cap, and an in-memory LRU
// cache with a byte budget (Cache).
//
// A store that implements coopmap.TileRenderer (PostGIS, with ST_AsMVT)
// renders in the database instead; both follow coopmap.TileSpec, which
// Options.Spec fills, so they make the same tiles.
//
// Coordinates are Web Mercator (EPSG:3857) on the sphere of radius
// 6378137 m, tiles in the XYZ scheme (y downwards from the north), as
// MapLibre, Leaflet and OpenLayers expect.
package tiles
