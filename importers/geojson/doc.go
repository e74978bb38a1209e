// Package geojson reads GeoJSON (RFC 7946) into coopmap features: a
// FeatureCollection, a single Feature, or a bare geometry.
//
// A FeatureCollection is streamed: Parse reads the "features" array one
// feature at a time with a json.Decoder, so memory stays flat however many
// features the file holds, and the collection's members may come in any
// order. Each feature is at most MaxFeatureSize bytes of JSON nested at
// most MaxDepth deep; a stream that breaks either limit is refused as a
// whole, because a record that size is not a mistake to skip but a file
// to look at.
//
// # Records
//
// Every geometry type is read, including GeometryCollection (as an
// orb.Collection). Positions keep longitude and latitude; altitude and
// further numbers are dropped, as orb is two-dimensional. Numbers too
// large for a float64 (1e400) make the feature a problem, never an
// infinity. Coordinates out of range are left to Feature.Validate, which
// the import engine calls.
//
// The feature's "id" (a string, or a number kept as written: 17, 1.5e3) is
// its key. A feature without an id gets a key derived from its content,
// "h" and 16 hex digits of a SHA-256 of its name and geometry, so the same
// unnamed point at the same place keeps its key across re-imports and a
// moved one gets a new key. A top-level "id" inside properties is not used
// as the key.
//
// Properties are kept as JSON values (string, float64, bool, nil, []any,
// map[string]any). Well-known names move into the feature's fields and out
// of Properties when their value is a string: name or title → Name,
// description or desc → Description, website, url, contact:website or web
// → Website (http and https URLs only), email, contact:email or e-mail →
// Email, address → Address, postcode, postal_code or addr:postcode →
// Postcode (when it looks like a postcode). Names match exactly first,
// then ignoring case. Precision is always exact.
//
// where strings are "name: features[17]" (0-based, as in a JSON path),
// "name: feature" for a lone Feature and "name: geometry" for a bare
// geometry.
//
// GeoJSON text sequences (RFC 8142) and arrays of features are not
// GeoJSON and are refused.
package geojson
