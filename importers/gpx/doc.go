// Package gpx reads GPX 1.0 and 1.1 files (GPS exchange format, from
// Garmin, Strava, OsmAnd, OpenCPN, Apple Watch exports and the like) into
// coopmap features.
//
// Parse streams the file element by element. Each waypoint (wpt) becomes a
// Point; each route (rte) a LineString of its rtept; each track (trk) a
// LineString, or a MultiLineString when it has more than one segment with
// points. Elevation is dropped from geometries, which are two-dimensional.
//
// # Records
//
// name becomes Name and desc Description. These become properties: cmt,
// src, sym and type as strings; number and a waypoint's ele as numbers; a
// waypoint's time as written; a track's or route's start_time and end_time,
// the times of its first and last points that have one; link, the href of
// the first link (GPX 1.1) or url (GPX 1.0), and links, all of them, when
// there are several. Links are kept as text and never fetched. extensions
// (Garmin, gpxtpx, OGR and others) and everything else are skipped.
//
// GPX records have no ids, so each key is derived from content: "h" and 16
// hex digits of a SHA-256 of the record's name and geometry. A record keeps
// its key across re-imports while it neither moves nor is renamed.
// Precision is exact.
//
// A record is reported as a problem, not emitted, when a point has a
// latitude or longitude that is missing or not a number, when a route or
// track has no points, or when it has no segment of at least two points (a
// line needs two). Segments of one point inside a longer track are
// dropped. Empty or unreadable ele values are ignored. Coordinates out of
// range are left to Feature.Validate, which the import engine calls.
//
// where strings are XPath-like and 1-based, counting each element name
// separately: "name: /gpx/wpt[3]", "name: /gpx/trk[1]", "name: /gpx/rte[2]".
//
// # XML safety
//
// The file is read with encoding/xml, which never expands entities beyond
// the five predefined ones and never fetches anything. On top of that a
// DOCTYPE that declares entities is refused, elements may nest at most
// MaxDepth deep, and one token may be at most MaxTokenSize bytes and the
// text kept for one record MaxRecordText. UTF-8, UTF-16, ISO-8859-1, Windows-1252 and
// ISO-8859-15 files are read.
package gpx

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
