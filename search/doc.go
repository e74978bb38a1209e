// Package search answers the map's search box and "what is near here":
// ranked, typo-tolerant text search over every co-op and overlay source of
// a store, place search by UK postcode, and k-nearest records, all from an
// in-memory index.
//
// # The index
//
// An Index reads each co-op and overlay source (not tours) from the store
// with Reader.SourceFeatures and keeps, per source, a Record per feature
// (its id, name, address, postcode, sector, organisation type and one
// point), an inverted index of their folded words, a trigram index of the
// vocabulary, and a k-d tree of the points. Before answering, it asks the
// store for its sources (one small query; Options.CheckEvery can space
// these out) and re-reads only sources whose Version changed, so an
// import shows up in the next search. Searches read an immutable snapshot,
// so any number may run while a refresh builds the next one. The index
// holds at most MaxRecords records.
//
// # Text search
//
// The query and the fields are folded with coopmap.Fold (case, accents and
// punctuation do not matter) and split into words. Each query word
// matches an indexed word exactly, as a prefix (type-ahead: "bris" finds
// "Bristol"; a one-character word only as the last of several, "bs4 4"),
// or, for words of four or more letters without digits that
// are not themselves in the index, with one typo (two from eight
// letters): an insertion, deletion, substitution or swap of neighbouring
// letters. Words of up to three letters are also
// indexed joined to the next word, so "cooperative" and "coop" find
// "Co-operative" and "Co-op". A record must match every query word, in any
// of its fields; when no record does, those matching more than half of
// the words are returned instead (two of three, three of four).
//
// Each word scores the best of its matches: exact 1, prefix 0.75–0.95,
// typo 0.45–0.7, times the field's weight (name and postcode 1, address
// 0.7, sector 0.6, organisation type 0.5). A record's score is the mean
// over the query's words, plus 0.5 when its name is the query and 0.2
// when its name starts with it. Hits come best first, then by shorter
// name, then by id. Each hit names the field that contributed most
// (Hit.Matched).
//
// # Places
//
// A query that is a postcode in the shipped table ("N22 6BH"), a district
// ("N22") or a sector ("N22 6") also returns a Place to fly to, with the
// extent of the district or sector. The table is Ordnance Survey open
// data: show postcodes.Attribution with it.
//
// # Nearest
//
// Nearest returns the k records nearest a point by great-circle distance,
// searched in a k-d tree over points on the unit sphere, so the answer is
// right across the antimeridian and at the poles. Lines and polygons are
// represented by the centre of their extent (Representative).
//
// # Limits
//
// Queries: MaxQuery bytes, MaxWords words, MaxLimit hits (DefaultLimit
// when unset). Nearest: MaxNearest records (DefaultNearest when unset).
// Breaking a limit is a coopmap.CodeInvalid error naming the parameter
// ("q", "limit", "n", "lon", "lat", "source").
package search
