// Package route is coopmap's bike routing engine, in pure Go: it builds a
// compact routable graph from an OpenStreetMap extract, routes on it
// with a bike profile, snaps points to the nearest way, and orders stops.
//
//	g, report, err := route.Build(ctx, extract, route.BuildOptions{Source: "london.osm.pbf"})
//	_, err = g.WriteTo(file)               // coopmap graph build
//	g, err = route.LoadFile("london.graph") // coopmap serve --graph
//	r, err := g.Plan(ctx, points, route.Options{Optimize: true, RoundTrip: true})
//
// # The graph
//
// Build reads OSM XML, bzip2 or gzip XML, or PBF through osm.Read. Every
// way the bike profile accepts is cut at its junctions (nodes shared with
// another way, its ends, and the via nodes of turn restrictions); each
// stretch between two junctions is an edge, with its geometry, street
// name (name, else ref), length, riding time and cost in each direction.
// Vertices keep their positions; outgoing arcs are stored compressed
// (CSR), as are edge geometries. A way whose nodes are not all in the
// file, as at the edge of an extract, keeps its parts between the missing
// nodes. The Report says what was read, used and left out, and why.
//
// Graph files (see WriteTo for the layout) carry a magic string, a
// version and a CRC-32C checksum; Load refuses a file of another version,
// a truncated or corrupt one, and one whose arrays are inconsistent, so a
// bad file is an error, never a panic. Loading a city's graph takes
// milliseconds (docs/PERFORMANCE.md).
//
// # The bike profile
//
// Cost is riding time times a factor ≥ 1; the router minimises cost, and
// reports real distance and time.
//
//   - Ridden at RideSpeed (18 km/h): highway=cycleway (factor 1.0),
//     living_street (1.05), residential (1.1), unclassified and road
//     (1.2), service (1.3), tertiary (1.4), secondary (1.7), primary
//     (2.2), track (1.4), path (1.5), bridleway (1.6); the _link roads as
//     their roads. bicycle=designated, bicycle_road=yes and
//     cyclestreet=yes make any of them 1.0. On tertiary, secondary and
//     primary roads a cycle track (cycleway[:left|:right|:both]=track)
//     multiplies the factor by 0.6 and a cycle lane by 0.75, never
//     below 1.
//   - Not routable: motorway, trunk and their links; bicycle=no, private
//     or use_sidepath; access=no|private or vehicle=no|private unless
//     bicycle=yes|designated|permissive|destination overrides it; highway
//     values not listed here (construction, proposed, platform, …);
//     areas other than pedestrian squares.
//   - Walked at WalkSpeed (5 km/h) with DismountFactor: bicycle=dismount,
//     and footway or pedestrian without bicycle=yes|designated|permissive
//     (with it they are ridden, factor 1.2, or 1.0 when designated).
//     highway=steps are walked with StepsFactor (8): used only when
//     there is no reasonable way round. Walked ways ignore oneway.
//   - Surface: compacted and fine gravel cap the speed at 15 km/h and add
//     0.2 to the factor; sett, cobblestone, gravel and unpaved at 12 km/h,
//     +0.4; dirt, ground, grass, mud and sand at 9 km/h, +0.8. A track
//     without a surface tag counts as unpaved (tracktype=grade1 as paved),
//     a path without one as compacted. access=destination|customers adds
//     0.5.
//   - Oneway: oneway=yes|1|true|-1 (and junction=roundabout|circular)
//     holds for bikes too, unless oneway:bicycle=no or a contraflow
//     cycleway (cycleway=opposite*, cycleway:left|right|both=
//     opposite_lane|opposite_track, cycleway:left|right:oneway=no|-1)
//     opens the other direction; oneway:bicycle=yes makes a way oneway
//     for bikes alone.
//   - Turn restrictions: relations type=restriction with a from way, a
//     via node and a to way; restriction:bicycle wins over restriction,
//     except=bicycle exempts bikes. no_* forbids the turn, only_* every
//     other turn from the from way at the via. Restrictions whose via is
//     a way are left out (and reported). Turning back on the same way
//     costs UTurnCost.
//
// # Routing
//
// A point is snapped to the nearest routable way within DefaultMaxSnap
// (300 m) through a grid index of edge segments; ways on small islands
// of the network are used only when nothing else is near. Routes are
// found by A* over arcs (so that turn restrictions hold) with the
// straight-line distance times the least cost per metre as its
// admissible heuristic. Plan validates the points (at most MaxPoints,
// finite, in range, consecutive points different), snaps them, orders
// them when asked, and routes each leg, with a cue sheet of turns.
//
// # Stop ordering
//
// Order starts at the first point and ends at the last one, returns to
// the first (RoundTrip), or ends anywhere (FreeEnd). Up to MaxExactOrder
// (9) points the order is the best there is (Held–Karp over the matrix of
// route costs); up to MaxPoints it is nearest insertion improved by 2-opt
// and point moves.
//
// # Errors
//
// Errors are coopmap errors: CodeInvalid for malformed input (with the
// field, "points[2]"), CodeTooLarge past a limit, and CodeUnroutable for
// points too far from any way or that cannot reach each other.
package route
