package importers

import (
	"context"
	"io"

	"github.com/coopmap/coopmap"
)

// Emitter receives what a Parser decodes.
type Emitter interface {
	// Feature hands over one decoded feature. The parser sets f.ID to the
	// record's own key (a registered number, a GeoJSON or OSM id, a
	// placemark id) and never to its position in the file; the importer
	// turns it into the stable coopmap.FeatureID and fills SourceID.
	// where locates the record for reports ("coops.csv:123",
	// "places.geojson: features[17]"). A non-nil error means stop: return
	// it from Parse unchanged.
	//
	// Two refinements (they only widen what a parser may hand over): a
	// record with no key of its own may leave f.ID empty, and the importer
	// keys it by a digest of its content ("h" and hex digits), stable
	// across re-imports while the content is unchanged; an empty
	// f.Precision means coopmap.PrecisionExact.
	Feature(f coopmap.Feature, where string) error
	// Problem reports a record left out, with where it is and why.
	Problem(where, reason string)
}

// Parser decodes one input stream named name (a file name, for reports)
// and hands each record to e. It returns an error only when the stream as
// a whole cannot be read (not the format, truncated, over a limit), or
// when ctx ends or e.Feature says stop; bad records are e.Problem. It must
// read the stream incrementally, so memory stays flat with input size,
// and must never fetch a URL found in its input.
type Parser func(ctx context.Context, r io.Reader, name string, e Emitter) error

// Noter is an optional Emitter capability for problems that do not cost
// the record: a value dropped or repaired (a website that is not an http
// URL, text decoded as Windows-1252). Parsers check for it with a type
// assertion; when the Emitter lacks it, the note is simply not reported.
// The importer's Emitter has it: notes go into the report beside the
// problems, marked as kept, and neither count as skipped records nor fail
// a strict import.
type Noter interface {
	// Note reports a value left out of, or changed in, a record that is
	// still imported, with where it is and why.
	Note(where, reason string)
}

// Note reports a note through e when e is a Noter, and does nothing
// otherwise.
func Note(e Emitter, where, reason string) {
	if n, ok := e.(Noter); ok {
		n.Note(where, reason)
	}
}
