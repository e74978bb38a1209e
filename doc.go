// Package coopmap holds the domain of the coopmap open-data map service: the
// sources people import (with their licence and attribution), the co-op and
// overlay features inside them, co-op bike tours, and the Store contract that
// both the embedded GeoPackage store and the PostGIS store implement.
//
// Everything else points inward to this package: importers, the web server,
// the tile renderer and the router speak in these types and never import a
// concrete store. Only cmd/coopmap wires a concrete store to them.
package coopmap
