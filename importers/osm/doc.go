// Package osm reads OpenStreetMap data into coopmap features: OSM XML
// (.osm), the same compressed with bzip2 (.osm.bz2) or gzip, and the PBF
// format (.osm.pbf). The format is recognised from the first bytes of the
// stream, so it does not matter whether the caller decompressed it.
//
// # Which objects become features
//
// An Options.Filter decides, given each tagged node and way (untagged ones
// are never offered). DefaultFilter, used by Parse, keeps
//
//   - nodes with a name and any of amenity, shop, craft, office, tourism
//     or leisure, or a co-operative tag (cooperative=*, operator:type=
//     cooperative, ownership=cooperative): shops, cafés, pubs, offices;
//   - closed ways with a name and any of building, landuse, leisure, the
//     node keys above or a co-operative tag, as polygons.
//
// Highways, open ways and relations (multipolygons among them) are left
// out: routing reads the road network separately.
//
// ParseFilter builds another filter from terms such as
// "amenity=bicycle_parking,shop=bicycle" (coopmap import --osm-filter):
// it keeps nodes and ways, highways too, with any of the tags, named or
// not.
//
// A closed way becomes a Polygon unless it is tagged area=no, or is a
// highway, barrier, railway or waterway without area=yes; then, like an
// open way a custom filter keeps, it becomes a LineString. A way's
// geometry needs its nodes' positions. OSM files list nodes before ways,
// so Parse keeps the position of every node it reads, 16 bytes each in
// OSM's own 1e-7 degree precision, in a sorted array (about 320 MB for
// the default limit of DefaultMaxNodes, 20 million nodes, enough for a
// large city or a small country; a country extract needs more, and
// Parse fails with CodeTooLarge instead of running out of memory). A way
// whose nodes are not all in the file, as at the edge of an extract, is a
// problem.
//
// # Records
//
// The key is "node/123" or "way/456"; where strings are "name: node/123".
// Every tag is kept in Properties as a string, so the record stays a
// faithful OSM object; the fields are filled from tags as well: name →
// Name, description → Description, website, contact:website or url →
// Website (http and https URLs only), email or contact:email → Email,
// addr:postcode → Postcode (when it looks like a postcode), and Address
// composed from addr:full, or addr:housename, addr:housenumber with
// addr:street (or addr:place) and addr:city. Precision is exact. Objects
// deleted in the file (visible="false", action="delete") are skipped.
//
// # Reading OSM for other uses
//
// Read streams the raw nodes, ways and relations, with their tags, to a
// Handler, under the same limits; Parse is built on it, and so is the
// route package's graph builder. Positions is the compact node position
// store Parse uses for way geometry.
//
// # Safety
//
// OSM XML is read with encoding/xml under the same limits as the gpx and
// kml packages: no DOCTYPE declaring entities, MaxDepth, MaxTokenSize,
// MaxRecordText.
// PBF is read by a small decoder in this package that checks every length
// and index against the data and the format's own bounds (a blob header
// under 64 KiB, a blob under 32 MiB compressed and uncompressed), reads
// raw and zlib blobs, and refuses files that require features other than
// OsmSchema-V0.6 and DenseNodes (history files, for one).
package osm

import "github.com/coopmap/coopmap/importers/internal/xmlsafe"

// Limits on the XML itself; breaking one makes Parse fail with
// coopmap.CodeTooLarge.
const (
	// MaxDepth bounds how deeply elements nest.
	MaxDepth = xmlsafe.MaxDepth
	// MaxTokenSize bounds one XML token, in bytes.
	MaxTokenSize = xmlsafe.MaxTokenSize
	// MaxRecordText bounds the text kept for one record, summed over its
	// tokens, in bytes.
	MaxRecordText = xmlsafe.MaxRecordText
)
