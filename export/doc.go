// Package export writes coopmap features as the files people download:
// GeoJSON, CSV (in a zip with LICENSE.txt), KML 2.2 and GPX 1.1, and
// names GeoPackage, whose writer the caller supplies.
//
// Every writer is a WriteFunc: it takes the source (for its licence,
// attribution, owner, origin and retrieval date) and an
// iter.Seq2[coopmap.Feature, error], and writes to an io.Writer as it
// reads, holding one feature at a time, so a download of a million
// features takes as little memory as one of ten (see the Downloads
// section of docs/PERFORMANCE.md). Formats lists them with their names,
// file extensions and media types.
//
// # Licence and attribution
//
// Every file carries the source's provenance (Notice) in the place its
// format has for it:
//
//   - GeoJSON: foreign members of the FeatureCollection (licence,
//     attribution, owner, origin, retrieved_at, notice, and a
//     rel=license link).
//   - CSV: the download is a zip of the table and LICENSE.txt, because a
//     CSV file has no place for metadata and a comment row would break
//     every reader.
//   - KML: the Document's description, plus atom:author and an
//     atom:link rel="license".
//   - GPX: metadata (desc, author, copyright with the licence URL, and
//     links to the licence and origin).
//   - GeoPackage (written by cmd/coopmap with store/sqlite): the sources
//     table, and a gpkg_metadata row referenced from the features table.
//
// # Records
//
// Every format writes the record's key (its id without the "source."
// prefix coopmap.FeatureID adds) as the record's id, so importing a
// download again into the same source gives every record its old id. The
// fields are named name, sector, org_type, address, postcode, website,
// email, description, founded, status, precision and updated_at; empty
// ones are left out except in CSV, which has a column for each. Other
// properties follow in key order; one whose name is a field's is written
// as "prop_" and its name. Coordinates are WGS84 longitude and latitude
// in plain decimals with the fewest digits that read back exactly.
//
// # Hostile text
//
// Values are written as they are stored, and each format's escaping keeps
// them data: JSON string escapes; CSV quoting (values starting with "="
// or "+" are not altered, so spreadsheet users should import rather than
// open files from sources they do not trust); XML entities, never CDATA,
// so "]]>" and "<script>" are inert text. XML 1.0 cannot carry most
// control characters at all, so in KML and GPX they, and any bytes that
// are not UTF-8, become U+FFFD; characters outside the Basic
// Multilingual Plane are written as they are.
//
// # Reading downloads back
//
// coopmap's importers read every format this package writes. Through
// importers/csv a CSV download comes back equal except that precision,
// updated_at and the properties column become string properties (CSV has
// no types); through importers/geojson and importers/kml, the fields that
// have no place of their own in those formats become properties.
package export
