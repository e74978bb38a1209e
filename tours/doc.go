// Package tours plans co-op bike tours: it reads stops written as
// "feature-id-or-name@lon,lat;…", resolves them against a store (a
// feature id becomes a reference to the record, anything else a named
// point), routes the legs between them on a bike graph (route.Graph.Plan,
// optionally in the cheapest order) and stores the tour with its legs,
// route geometry and distance in a tours source whose licence is ODbL,
// as routes derived from OpenStreetMap must be.
//
//	stops, err := tours.ParseStops(ctx, store, "coops-uk.R035956;Bowes Park station@-0.1195,51.6072")
//	p, err := tours.Plan(ctx, graph, store, coopmap.Tour{ID: "bowes-park", SourceID: "tours", Title: "Bowes Park", Stops: stops}, tours.Options{})
//	src, err := tours.EnsureSource(ctx, store, "tours")
//	saved, action, err := tours.Save(ctx, store, p.Tour, tours.SaveReplace)
//
// The coopmap tour command uses it, and so can a web planner: nothing
// here imports a concrete store.
//
// # Limits
//
// A planned tour has at most MaxStops (route.MaxPoints, 50) stops, fewer
// than the stored limit coopmap.MaxStops, because every leg is routed;
// with Options.Optimize up to route.MaxExactOrder (9) stops are put in the
// best order there is and more in a good one. A stops string is at most
// MaxSpecBytes long.
//
// # Errors
//
// Errors are coopmap errors naming the stop as their field ("stops[2]"):
// CodeInvalid for a malformed stop, a NaN or out-of-range coordinate, a
// stop at the same place as the one before it, or a feature id the store
// does not hold; CodeTooLarge for more than MaxStops stops;
// CodeUnroutable for a stop farther than route.DefaultMaxSnap from any
// way a bike may use, or that cannot be reached from the stop before it.
package tours
