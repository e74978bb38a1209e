// Package pmtiles writes PMTiles version 3 archives: one file holding a
// whole tile pyramid that a map reads with HTTP range requests, so a tile
// set can be hosted as a static file without a tile server.
//
// A Writer takes tiles in ascending TileID order (a Hilbert curve per zoom,
// zoom after zoom), spools their bytes to a scratch file, stores each
// distinct tile content once (repeats refer back to it, and a run of equal
// tiles on consecutive ids becomes one directory entry with a run length),
// and Finish writes the archive: the 127-byte header, the root directory,
// the JSON metadata, the leaf directories when the root would not fit in
// the first 16 KiB, and the tile data in TileID order (clustered).
// Directories and metadata are gzip-compressed.
//
// The format is the PMTiles v3 specification of Protomaps
// (github.com/protomaps/PMTiles, spec/v3/spec.md). The package writes only;
// readers are in every map library (the pmtiles npm package, go-pmtiles).
package pmtiles
