// Package importers brings files of every shape people have (Co-operatives
// UK CSV and other CSVs, GeoJSON, KML/KMZ from Google My Maps, GPX,
// OpenStreetMap) into a coopmap store, all or nothing, with a report of
// what was added, updated, unchanged and removed and of every record left
// out and why.
//
// Each format lives in its own package (importers/csv, importers/geojson,
// …) as a Parser: it decodes a stream into coopmap.Feature values and
// problems, and knows nothing of stores. This package detects formats,
// validates and de-duplicates what parsers emit, streams it into
// coopmap.Writer.ReplaceSource and writes the report.
//
// # The engine
//
// Import is the one entry point, for the command line and the web upload
// alike. The caller passes the parsers it has as Formats (cmd/coopmap
// wires every format package), so this package imports none of them.
// Each input is unwrapped if gzip or bzip2 compressed, its format is
// detected from its first bytes (Detect) unless Options.Format names one,
// and its parser's records are checked and streamed into the store: each
// gets the id coopmap.FeatureID(source, key) and is validated with
// coopmap.Feature.Validate; invalid records and repeated keys become
// problems ("file:line: field: reason") and are left out. A record
// without a key is keyed by its content.
//
// Nothing is written unless the import as a whole succeeds: a stream that
// cannot be read, a broken limit, cancellation, a strict import's first
// problem, or inputs without one usable record all leave the stored
// source as it was. A dry run reads everything and compares it with the
// stored features by content hash, writing nothing. The Report says what
// was read, imported, skipped, added, updated, unchanged and removed,
// keeps the first MaxProblems problems and notes (values dropped from
// records that were kept), and renders itself as one line (Summary) or
// as JSON.
//
// # Tours
//
// ImportTour reads one input, typically GPX, as a coopmap.Tour instead:
// its points become the stops in order, each matched to an existing co-op
// record when one within TourOptions.MatchDistance has an agreeing name
// (the stop then references the record), its lines the route. The
// TourReport lists every stop with the record it was matched to and how
// far away it is. The tour is created or replaced with
// coopmap.Writer.CreateTour or UpdateTour, in a source of kind tours.
//
// # Limits
//
// Every limit is a constant: MaxInputSize bytes per input (also after
// decompression), MaxInputs inputs and MaxFeatures records per import,
// MaxProblems problems and notes kept, DefaultTimeout unless
// Options.Timeout says otherwise. Breaking one fails the import with
// coopmap.CodeTooLarge. Format packages add their own (record sizes,
// nesting depth); importers/csv, for example, bounds a record to
// csv.MaxRecordSize. Memory stays flat in the size of the inputs, apart
// from a 16-byte digest per record kept to find repeated keys (about 30
// MB for a million records).
package importers
