// Package geo holds the small pieces of geometry logic the rest of coopmap
// shares: bounding boxes that may cross the antimeridian, validation of
// WGS84 coordinates and geometries, and distances. It depends on orb only
// and does no I/O.
package geo
