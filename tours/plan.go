package tours

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
	"github.com/coopmap/coopmap/route"
)

// Options configure Plan. The zero value keeps the stops' order.
type Options struct {
	// Optimize reorders the stops for the quickest ride: the first stop
	// stays the start and the last the end, unless FreeEnd.
	Optimize bool
	// FreeEnd lets Optimize end the tour at any stop.
	FreeEnd bool
	// MaxSnap is the farthest, in metres, a stop may be from a way a bike
	// may use; 0 means route.DefaultMaxSnap.
	MaxSnap float64
}

// Result is a planned tour.
type Result struct {
	// Tour is the tour given, with its stops in the order ridden and its
	// legs, route and distance filled in. Stops that reference a record
	// carry the record's name and location as read while planning.
	Tour coopmap.Tour
	// DurationS is the estimated riding time, the sum of the legs'.
	DurationS float64
	// SnapM[i] is how far Tour.Stops[i] lies from the way its legs start
	// or end on, in metres.
	SnapM []float64
}

// Plan routes t's stops on g, in the order given or with o.Optimize in
// the quickest order, and returns t with its stops in that order and its
// Legs, Route and DistanceM set. A stop that references a record is
// routed from the record's location as r holds it now.
//
// The error names the stop in t's order ("stops[2]"): CodeNotFound when
// g is nil (no graph); CodeInvalid for fewer than 2 stops, a stop that is
// neither a reference nor a named point with a valid location, a
// reference to a record r does not hold ("stops[2].feature_id"), or a
// stop at the same place as the one before it; CodeTooLarge for more than
// MaxStops stops; CodeUnroutable for a stop too far from any way or
// unreachable from the one before it; r's error, or ctx's when it ends.
func Plan(ctx context.Context, g *route.Graph, r coopmap.Reader, t coopmap.Tour, o Options) (Result, error) {
	switch {
	case g == nil:
		return Result{}, coopmap.NotFoundf("no routing graph: build one with coopmap graph build EXTRACT -o FILE.graph and pass --graph FILE.graph")
	case len(t.Stops) > MaxStops:
		return Result{}, tooMany(len(t.Stops))
	case len(t.Stops) < 2:
		return Result{}, coopmap.Invalidf("stops", "%d stop(s); a tour needs at least 2", len(t.Stops))
	}
	stops := make([]coopmap.Stop, len(t.Stops))
	pts := make([]orb.Point, len(t.Stops))
	for i, s := range t.Stops {
		field := fmt.Sprintf("stops[%d]", i)
		if s.FeatureID == "" {
			s.Unresolved = false
			if err := s.Validate(); err != nil {
				return Result{}, prefix(field, err)
			}
		} else {
			f, err := r.Feature(ctx, s.FeatureID)
			switch {
			case coopmap.ErrorCode(err) == coopmap.CodeNotFound:
				return Result{}, coopmap.Invalidf(field+".feature_id", "no record %q; check the id, or make the stop a named point with a location", clip(s.FeatureID))
			case err != nil:
				return Result{}, err
			}
			s = coopmap.Stop{FeatureID: f.ID, Name: f.Name, Location: coopmap.Anchor(f.Geometry), Note: s.Note}
			if err := geo.ValidatePoint(s.Location); err != nil {
				return Result{}, coopmap.Invalidf(field+".feature_id", "record %q has no usable location: %v", clip(f.ID), err)
			}
		}
		stops[i], pts[i] = s, s.Location
	}
	rt, err := g.Plan(ctx, pts, route.Options{Optimize: o.Optimize, FreeEnd: o.FreeEnd, MaxSnap: o.MaxSnap})
	if err != nil {
		return Result{}, asStops(err)
	}
	res := Result{Tour: t, DurationS: rt.DurationS}
	res.Tour.Stops = make([]coopmap.Stop, len(rt.Order))
	res.SnapM = make([]float64, len(rt.Order))
	for k, i := range rt.Order {
		res.Tour.Stops[k] = stops[i]
		res.SnapM[k] = rt.Stops[i].Distance
	}
	res.Tour.Legs = make([]coopmap.Leg, len(rt.Legs))
	for k, l := range rt.Legs {
		res.Tour.Legs[k] = coopmap.Leg{Geometry: l.Geometry, DistanceM: l.DistanceM, DurationS: l.DurationS}
	}
	res.Tour.Route, res.Tour.DistanceM = rt.Geometry, rt.DistanceM
	if len(res.Tour.Route) > geo.MaxVertices {
		return Result{}, &coopmap.Error{Code: coopmap.CodeTooLarge, Field: "stops", Message: fmt.Sprintf("the route has %d positions; the limit is %d", len(res.Tour.Route), geo.MaxVertices)}
	}
	if err := res.Tour.Validate(); err != nil {
		return Result{}, err
	}
	return res, nil
}

// asStops renames the router's fields and messages from points to stops,
// as the points it was given are the tour's stops in the same order.
func asStops(err error) error {
	var e *coopmap.Error
	if !errors.As(err, &e) {
		return err
	}
	rename := strings.NewReplacer("points[", "stops[", "points", "stops")
	return &coopmap.Error{Code: e.Code, Field: rename.Replace(e.Field), Message: rename.Replace(e.Message)}
}
