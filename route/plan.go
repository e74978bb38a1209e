package route

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// Limits on one plan.
const (
	// MaxPoints bounds the points of one route, start and end included.
	MaxPoints = 50
	// MaxExactOrder is the most points whose best order Plan finds
	// exactly (Held–Karp); more are ordered by nearest insertion and
	// 2-opt, which is good but not always best.
	MaxExactOrder = 9
)

// Options configure Plan. The zero value keeps the points' order and
// ends at the last point.
type Options struct {
	// Optimize reorders the points for the cheapest route. The first
	// point stays the start; the last stays the end unless RoundTrip or
	// FreeEnd.
	Optimize bool
	// RoundTrip adds a leg from the last point visited back to the first.
	RoundTrip bool
	// FreeEnd lets Optimize end at any point rather than the last one.
	FreeEnd bool
	// MaxSnap is the farthest a point may be from a way, in metres;
	// 0 means DefaultMaxSnap.
	MaxSnap float64
}

// Route is a planned route through points.
type Route struct {
	// Stops are the points snapped to the graph, in the order given.
	Stops []Snap
	// Order lists the indices of Stops in the order they are visited;
	// for a round trip the first index comes again at the end.
	Order []int
	// Legs join consecutive visited stops.
	Legs []Leg
	// Geometry is the whole route; DistanceM and DurationS its length
	// and estimated riding time.
	Geometry  orb.LineString
	DistanceM float64
	DurationS float64
}

// Leg is the route from one stop to the next.
type Leg struct {
	// From and To are indices into Route.Stops.
	From, To  int
	Geometry  orb.LineString
	DistanceM float64
	DurationS float64
	// Cues are the turns along the leg, from departure to arrival.
	Cues []Cue
}

// Cue is one instruction of the cue sheet.
type Cue struct {
	// Type is "depart", "turn", "continue" or "arrive".
	Type string
	// Modifier is the direction of a turn: "left", "right", "slight
	// left", "slight right", "sharp left", "sharp right", "straight" or
	// "uturn"; empty for depart and arrive.
	Modifier string
	// Street is the name of the way the cue leads onto, or a description
	// such as "the cycleway" when it has no name.
	Street string
	// Text is the instruction in English.
	Text string
	// Location is where the cue applies; DistanceM how far the rider
	// then goes before the next cue.
	Location  orb.Point
	DistanceM float64
}

// Plan routes through points with the bike profile, in the given order
// or, with Options.Optimize, in the cheapest order.
//
// Plan's error is a coopmap error naming the point as its field
// ("points[2]"): CodeInvalid for a point that is not a longitude and
// latitude or is the same as the point before it, CodeTooLarge (field
// "points") for more than MaxPoints points, CodeInvalid for fewer than 2,
// and CodeUnroutable for a point farther than MaxSnap from any way a bike
// may use, or that cannot be reached from the point before it (an island,
// or oneways that lead away); ctx.Err() when ctx ends.
func (g *Graph) Plan(ctx context.Context, points []orb.Point, o Options) (*Route, error) {
	switch {
	case len(points) > MaxPoints:
		return nil, &coopmap.Error{Code: coopmap.CodeTooLarge, Field: "points", Message: fmt.Sprintf("%d points; a route has at most %d", len(points), MaxPoints)}
	case len(points) < 2:
		return nil, coopmap.Invalidf("points", "%d point(s); a route needs at least 2", len(points))
	}
	for i, p := range points {
		if err := geo.ValidatePoint(p); err != nil {
			return nil, coopmap.Invalidf(fmt.Sprintf("points[%d]", i), "%v", err)
		}
		if i > 0 && p == points[i-1] {
			return nil, coopmap.Invalidf(fmt.Sprintf("points[%d]", i), "the same as points[%d]; consecutive points must differ", i-1)
		}
	}
	r := &Route{Stops: make([]Snap, len(points))}
	for i, p := range points {
		s, err := g.Snap(p, o.MaxSnap)
		if err != nil {
			return nil, fieldErr(i, err)
		}
		r.Stops[i] = s
	}
	r.Order = make([]int, len(points))
	for i := range r.Order {
		r.Order[i] = i
	}
	if o.Optimize && len(points) > 2 {
		m, err := g.Matrix(ctx, r.Stops)
		if err != nil {
			return nil, err
		}
		if r.Order, err = Order(m, OrderOptions{RoundTrip: o.RoundTrip, FreeEnd: o.FreeEnd}); err != nil {
			return nil, err
		}
	}
	if o.RoundTrip {
		r.Order = append(r.Order, r.Order[0])
	}
	for i := 0; i+1 < len(r.Order); i++ {
		from, to := r.Order[i], r.Order[i+1]
		leg, err := g.leg(ctx, r.Stops, from, to)
		if err != nil {
			return nil, err
		}
		r.Legs = append(r.Legs, leg)
		r.DistanceM += leg.DistanceM
		r.DurationS += leg.DurationS
		line := leg.Geometry
		if len(r.Geometry) > 0 && len(line) > 0 && r.Geometry[len(r.Geometry)-1] == line[0] {
			line = line[1:]
		}
		r.Geometry = append(r.Geometry, line...)
	}
	return r, nil
}

// fieldErr names point i as the field of a coopmap error.
func fieldErr(i int, err error) error {
	var e *coopmap.Error
	if !errors.As(err, &e) {
		return err
	}
	return &coopmap.Error{Code: e.Code, Field: fmt.Sprintf("points[%d]", i), Message: e.Message}
}

// unreachable is the error for a pair of stops with no path.
func (g *Graph) unreachable(stops []Snap, from, to int) error {
	why := "no way a bike may use leads there"
	if a, b := g.comp[g.from[stops[from].edge]], g.comp[g.from[stops[to].edge]]; a != b {
		why = fmt.Sprintf("they lie on parts of the road network that do not connect (one has %d junctions, the other %d)", g.compSize[a], g.compSize[b])
	}
	return &coopmap.Error{Code: coopmap.CodeUnroutable, Field: fmt.Sprintf("points[%d]", to), Message: fmt.Sprintf("points[%d] cannot be reached from points[%d] by bike: %s", to, from, why)}
}

// leg routes from stops[from] to stops[to].
func (g *Graph) leg(ctx context.Context, stops []Snap, from, to int) (Leg, error) {
	src, dst := stops[from], stops[to]
	if g.comp[g.from[src.edge]] != g.comp[g.from[dst.edge]] {
		return Leg{}, g.unreachable(stops, from, to)
	}
	ends, s, err := g.shortest(ctx, src, []Snap{dst})
	if err != nil {
		return Leg{}, err
	}
	defer g.pool.Put(s)
	end := ends[0]
	if end.how == endNone {
		return Leg{}, g.unreachable(stops, from, to)
	}
	ps := g.pieces(s, src, dst, end)
	leg := Leg{From: from, To: to}
	for _, p := range ps {
		leg.DistanceM += p.meters
		leg.DurationS += p.seconds
		line := p.line
		if n := len(leg.Geometry); n > 0 && len(line) > 0 && leg.Geometry[n-1] == line[0] {
			line = line[1:]
		}
		leg.Geometry = append(leg.Geometry, line...)
	}
	if len(leg.Geometry) == 1 {
		leg.Geometry = append(leg.Geometry, leg.Geometry[0])
	}
	leg.Cues = g.cues(ps, to)
	return leg, nil
}

// piece is the part of one edge a path rides.
type piece struct {
	edge    uint32
	back    bool
	line    orb.LineString
	meters  float64
	seconds float64
}

// pieces turns a search result into the edge pieces ridden, with their
// geometry cut at the snapped points.
func (g *Graph) pieces(s *search, src, dst Snap, end pathEnd) []piece {
	var pts []orb.Point
	mk := func(e uint32, back bool, f0, f1 float64, line orb.LineString) piece {
		share := math.Abs(f1 - f0)
		a := e << 1
		if back {
			a |= 1
		}
		return piece{edge: e, back: back, line: line, meters: share * float64(g.length[e]), seconds: share * g.arcTime(a)}
	}
	if end.how == endDirect {
		back := end.last&1 == 1
		pts = g.edgePoints(src.edge, pts[:0])
		line := orb.LineString{src.Point}
		if !back {
			for i := src.seg + 1; i <= dst.seg; i++ {
				line = append(line, pts[i])
			}
		} else {
			for i := src.seg; i > dst.seg; i-- {
				line = append(line, pts[i])
			}
		}
		line = append(line, dst.Point)
		return []piece{mk(src.edge, back, src.frac, dst.frac, line)}
	}
	arcs := s.arcsTo(end.last)
	out := make([]piece, 0, len(arcs)+1)
	for i, a := range arcs {
		e, back := a>>1, a&1 == 1
		pts = g.edgePoints(e, pts[:0])
		var line orb.LineString
		f0 := 0.0
		if back {
			f0 = 1
		}
		if i == 0 { // the seed: from the snapped point
			f0 = src.frac
			line = orb.LineString{src.Point}
			if !back {
				line = append(line, pts[src.seg+1:]...)
			} else {
				for j := src.seg; j >= 0; j-- {
					line = append(line, pts[j])
				}
			}
		} else {
			line = append(orb.LineString(nil), pts...)
			if back {
				line.Reverse()
			}
		}
		f1 := 1.0
		if back {
			f1 = 0
		}
		out = append(out, mk(e, back, f0, f1, line))
	}
	f := dst.edge
	pts = g.edgePoints(f, pts[:0])
	var line orb.LineString
	if end.how == endFwd {
		line = append(line, pts[:dst.seg+1]...)
		line = append(line, dst.Point)
		out = append(out, mk(f, false, 0, dst.frac, line))
	} else {
		for j := len(pts) - 1; j > dst.seg; j-- {
			line = append(line, pts[j])
		}
		line = append(line, dst.Point)
		out = append(out, mk(f, true, 1, dst.frac, line))
	}
	return out
}

// Matrix returns the cost of the cheapest route from each stop to each
// other, +Inf where there is none; the diagonal is 0. Its error is
// ctx.Err() when ctx ends.
func (g *Graph) Matrix(ctx context.Context, stops []Snap) ([][]float64, error) {
	m := make([][]float64, len(stops))
	for i, src := range stops {
		ends, s, err := g.shortest(ctx, src, stops)
		if err != nil {
			return nil, err
		}
		g.pool.Put(s)
		m[i] = make([]float64, len(stops))
		for j, e := range ends {
			m[i][j] = e.cost
		}
		m[i][i] = 0
	}
	return m, nil
}
