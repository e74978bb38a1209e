// Package kml reads KML and KMZ files (Google My Maps, Google Earth,
// location history and GIS exports) into coopmap features.
//
// Parse streams the KML element by element, emitting each Placemark when
// it closes. A KMZ (a zip archive, recognised by its first bytes) is
// copied to a temporary file, at most MaxKMZSize bytes, because zip needs
// random access; Parse then reads its doc.kml, or failing that the first
// .kml entry, refusing archives with more than MaxKMZEntries entries. A
// KML whose declared uncompressed size is over MaxKMLSize, or (over 8 MiB)
// more than MaxKMZRatio times its compressed size, is refused before it
// is inflated, so a zip bomb costs neither time nor memory; the declared
// size binds (archive/zip inflates no further), and reading stops after
// MaxKMLSize bytes in any case. An archive with an entry whose path is
// absolute, has a drive letter or backslash, or climbs out with "..", is
// refused (CodeInvalid): nothing is ever extracted, but such an archive is
// hostile. Nothing else in the archive (images, models) is read, and the
// temporary file is removed before Parse returns.
//
// # Geometry
//
// Point, LineString, LinearRing (as a Polygon), Polygon (outerBoundaryIs
// and innerBoundaryIs), MultiGeometry (flattened; all points become a
// MultiPoint, all lines a MultiLineString, all polygons a MultiPolygon,
// a mixture an orb.Collection, and a single member itself), gx:Track (a
// LineString of its gx:coord; a Point when it has one, as Google location
// history writes a place visit) and gx:MultiTrack (a MultiLineString). A
// placemark with several geometry elements side by side is read as if
// they were in a MultiGeometry, and empty geometries (<coordinates/>) are
// left out. Coordinates are "lon,lat[,alt]" tuples separated by any
// whitespace, with stray spaces after commas tolerated; altitude is
// dropped. Rings are closed when the file leaves them open. Coordinates
// out of range are left to Feature.Validate, which the import engine
// calls.
//
// # Records
//
// name becomes Name, description Description (kept as text, whatever HTML
// it holds; it is never interpreted), address Address. ExtendedData
// (Data/value and SchemaData/SimpleData) become string properties, and
// well-known names among them fill empty fields and leave Properties:
// name or title → Name, description → Description, website, url or
// contact:website → Website (http and https URLs only), email →
// Email, address → Address, postcode, postal_code or addr:postcode →
// Postcode; names match exactly first, then ignoring case. These
// properties come from the structure, replacing any ExtendedData of the
// same name: folder, the names of the enclosing Folders joined with " / "
// (a Google My Maps layer is a Folder; an unnamed one is "Folder[n]");
// time (TimeStamp/when); time_begin and time_end (TimeSpan, or the first
// and last gx:Track when); snippet (Snippet); phone (phoneNumber).
// Styles, styleUrl, views and regions are ignored. Precision is exact.
//
// The key is the Placemark's id attribute; without one it is derived from
// content: "h" and 16 hex digits of a SHA-256 of the name and geometry, so
// a placemark keeps its key across re-imports while it neither moves nor
// is renamed.
//
// A placemark is a problem, not a feature, when it has no geometry or
// only empty ones, when a coordinate is not a number, or when it holds a
// 3D Model. NetworkLink, GroundOverlay, PhotoOverlay and ScreenOverlay
// are problems too ("not supported"): their links and images are never
// fetched.
//
// where strings are paths below <kml>, 1-based, with the placemark's name:
// "name: Document/Folder[2]/Placemark[3] \"Title\"". A Folder's name goes
// into the folder property only when it comes before the Folder's
// placemarks, as every writer puts it.
//
// # XML safety
//
// The file is read with encoding/xml, which never expands entities beyond
// the five predefined ones and never fetches anything. On top of that a
// DOCTYPE that declares entities is refused, elements may nest at most
// MaxDepth deep, and one token may be at most MaxTokenSize bytes and
// the text kept for one placemark MaxRecordText. UTF-8, UTF-16, ISO-8859-1, Windows-1252 and
// ISO-8859-15 files are read.
package kml

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
