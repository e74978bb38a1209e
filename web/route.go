package web

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
	"github.com/coopmap/coopmap/route"
	"github.com/coopmap/coopmap/tours"
)

// maxPointsBytes bounds the points parameter: room for route.MaxPoints
// points written with full float64 precision.
const maxPointsBytes = route.MaxPoints * 48

// routeHandler answers /route?points=lon,lat;lon,lat;…&order=keep|optimize
// &roundtrip=true|false&end=fixed|free with the bike route through the
// points as a GeoJSON FeatureCollection: the route, one feature per leg
// and one per stop, with the cue sheet (docs/API.md, "Routing").
func (s *Server) routeHandler(w http.ResponseWriter, r *http.Request) error {
	pts, opts, err := routeParams(r.URL.RawQuery)
	if err != nil {
		return err
	}
	if s.cfg.Graph == nil {
		return noGraph()
	}
	rt, err := s.cfg.Graph.Plan(r.Context(), pts, opts)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/geo+json")
	return json.NewEncoder(w).Encode(routeCollection(rt, opts.RoundTrip))
}

// routeParams reads the query of /route. Errors are invalid (too_large
// for too many points) and name the parameter, or the point as
// "points[2]".
func routeParams(raw string) ([]orb.Point, route.Options, error) {
	var opts route.Options
	ps, rest, err := rawParam(raw, "points")
	if err != nil {
		return nil, opts, err
	}
	switch {
	case len(ps) == 0 || strings.TrimSpace(ps[0]) == "":
		return nil, opts, coopmap.Invalidf("points", "is required: give lon,lat;lon,lat;… (at least 2, at most %d points)", route.MaxPoints)
	case len(ps) > 1:
		return nil, opts, coopmap.Invalidf("points", "is given %d times; give it once, with the points separated by ;", len(ps))
	case len(ps[0]) > maxPointsBytes:
		return nil, opts, &coopmap.Error{Code: coopmap.CodeTooLarge, Field: "points", Message: fmt.Sprintf("is %d bytes long; the limit is %d", len(ps[0]), maxPointsBytes)}
	}
	v, err := params(rest, "order", "roundtrip", "end")
	if err != nil {
		return nil, opts, err
	}
	opts, err = routeOptions(v)
	if err != nil {
		return nil, opts, err
	}
	parts := strings.Split(ps[0], ";")
	if len(parts) > route.MaxPoints {
		return nil, opts, &coopmap.Error{Code: coopmap.CodeTooLarge, Field: "points", Message: fmt.Sprintf("%d points; a route has at most %d", len(parts), route.MaxPoints)}
	}
	pts := make([]orb.Point, len(parts))
	for i, p := range parts {
		field := fmt.Sprintf("points[%d]", i)
		lon, lat, ok := strings.Cut(p, ",")
		if !ok || strings.Contains(lat, ",") {
			return nil, opts, coopmap.Invalidf(field, "%q is not lon,lat", clipParam(p))
		}
		for j, s := range []string{lon, lat} {
			f, err := geo.ParseDecimal(strings.TrimSpace(s))
			if err != nil {
				return nil, opts, coopmap.Invalidf(field, "%q is not a number", clipParam(s))
			}
			pts[i][j] = f
		}
		if math.Abs(pts[i][0]) > 180 || math.Abs(pts[i][1]) > 90 {
			return nil, opts, coopmap.Invalidf(field, "%s is out of range: longitude first (-180 to 180), then latitude (-90 to 90)", clipParam(p))
		}
	}
	return pts, opts, nil
}

// rawParam returns the values of the query parameter name, read from the
// raw query by hand, as its ; separators are not allowed in query strings
// by url.ParseQuery and it may be longer than params allows, and the rest
// of the query for params to check.
func rawParam(raw, name string) (values []string, rest string, err error) {
	var others []string
	for _, part := range strings.Split(raw, "&") {
		k, val, _ := strings.Cut(part, "=")
		if k != name {
			others = append(others, part)
			continue
		}
		u, err := url.QueryUnescape(val)
		if err != nil {
			return nil, "", coopmap.Invalidf(name, "is not valid in a query string: %v", err)
		}
		values = append(values, u)
	}
	return values, strings.Join(others, "&"), nil
}

// routeOptions reads order, roundtrip and end. Errors are invalid and
// name the parameter.
func routeOptions(v url.Values) (route.Options, error) {
	var opts route.Options
	switch o := v.Get("order"); o {
	case "", "keep":
	case "optimize", "optimise":
		opts.Optimize = true
	default:
		return opts, coopmap.Invalidf("order", "%q is not keep or optimize", clipParam(o))
	}
	if rt := v.Get("roundtrip"); rt != "" {
		b, err := strconv.ParseBool(rt)
		if err != nil {
			return opts, coopmap.Invalidf("roundtrip", "%q is not true or false", clipParam(rt))
		}
		opts.RoundTrip = b
	}
	switch e := v.Get("end"); e {
	case "", "fixed":
	case "free":
		opts.FreeEnd = true
	default:
		return opts, coopmap.Invalidf("end", "%q is not fixed or free", clipParam(e))
	}
	return opts, nil
}

// defaultPlanTitle names a planned tour whose GPX is asked for without a
// title.
const defaultPlanTitle = "Co-op bike tour"

// routeGPXHandler answers /route.gpx?stops=STOP;STOP;…&order=keep|optimize
// &roundtrip=true|false&end=fixed|free&title=TITLE with a planned tour as
// GPX 1.1, as the planner downloads it: the stops are written as the
// coopmap tour command takes them (a record id, or name@lon,lat), routed
// like /route (a round trip rides back to the first stop), and written
// by the tour GPX writer with the ODbL licence of the route and the
// licences of the records the stops reference. Nothing is stored.
// Errors are invalid or too_large naming the parameter or the stop
// ("stops[2]"), unroutable for a stop off the graph, not found without a
// graph.
func (s *Server) routeGPXHandler(w http.ResponseWriter, r *http.Request) error {
	ss, rest, err := rawParam(r.URL.RawQuery, "stops")
	if err != nil {
		return err
	}
	switch {
	case len(ss) == 0 || strings.TrimSpace(ss[0]) == "":
		return coopmap.Invalidf("stops", "is required: give record ids or name@lon,lat, separated by ; (at least 2, at most %d stops)", tours.MaxStops)
	case len(ss) > 1:
		return coopmap.Invalidf("stops", "is given %d times; give it once, with the stops separated by ;", len(ss))
	}
	v, err := params(rest, "order", "roundtrip", "end", "title")
	if err != nil {
		return err
	}
	opts, err := routeOptions(v)
	if err != nil {
		return err
	}
	title := strings.TrimSpace(v.Get("title"))
	if title == "" {
		title = defaultPlanTitle
	}
	if s.cfg.Graph == nil {
		return noGraph()
	}
	stops, err := tours.ParseStops(r.Context(), s.store, ss[0])
	if err != nil {
		return err
	}
	if opts.RoundTrip {
		if len(stops) > tours.MaxStops-1 {
			return &coopmap.Error{Code: coopmap.CodeTooLarge, Field: "stops", Message: fmt.Sprintf("%d stops; a round trip has at most %d, as it rides back to the first", len(stops), tours.MaxStops-1)}
		}
		stops = append(stops, stops[0])
	}
	plan, err := tours.Plan(r.Context(), s.cfg.Graph, s.store, coopmap.Tour{ID: "plan", SourceID: "plan", Title: title, Stops: stops},
		tours.Options{Optimize: opts.Optimize, FreeEnd: opts.FreeEnd && !opts.RoundTrip})
	if err != nil {
		return err
	}
	srcs, err := s.sourceMap(r.Context())
	if err != nil {
		return err
	}
	licence, _ := coopmap.LookupLicence(route.Licence)
	src := coopmap.Source{ID: "plan", Title: "A tour planned on coopmap", Kind: coopmap.KindTours, Licence: licence, Attribution: tours.SourceAttribution}
	return s.writeTourGPX(w, r, plan.Tour, src, srcs, tourTitleSlug(title), time.Time{})
}

// noGraph is the error of routing on a server started without --graph.
func noGraph() error {
	return coopmap.NotFoundf("this server has no routing graph: start it with --graph FILE.graph (built with coopmap graph build EXTRACT.osm.pbf -o FILE.graph)")
}

// The GeoJSON of a route.
type (
	routeFC struct {
		Type        string         `json:"type"`
		Licence     string         `json:"licence"`
		Attribution string         `json:"attribution"`
		Features    []routeFeature `json:"features"`
	}
	routeFeature struct {
		Type       string        `json:"type"`
		Geometry   routeGeometry `json:"geometry"`
		Properties any           `json:"properties"`
	}
	routeGeometry struct {
		Type        string `json:"type"`
		Coordinates any    `json:"coordinates"`
	}
	routeProps struct {
		Kind        string     `json:"kind"`
		DistanceM   float64    `json:"distance_m"`
		DurationS   float64    `json:"duration_s"`
		Order       []int      `json:"order"`
		RoundTrip   bool       `json:"roundtrip"`
		Legs        []legProps `json:"legs"`
		Cues        []cueProps `json:"cues"`
		Licence     string     `json:"licence"`
		Attribution string     `json:"attribution"`
	}
	legProps struct {
		Kind      string  `json:"kind,omitempty"`
		Leg       int     `json:"leg"`
		From      int     `json:"from"`
		To        int     `json:"to"`
		DistanceM float64 `json:"distance_m"`
		DurationS float64 `json:"duration_s"`
	}
	cueProps struct {
		Leg       int        `json:"leg"`
		Type      string     `json:"type"`
		Modifier  string     `json:"modifier,omitempty"`
		Street    string     `json:"street,omitempty"`
		Text      string     `json:"text"`
		DistanceM float64    `json:"distance_m"`
		Location  [2]float64 `json:"location"`
	}
	stopProps struct {
		Kind      string     `json:"kind"`
		Index     int        `json:"index"`
		Position  int        `json:"position"`
		Input     [2]float64 `json:"input"`
		SnappedM  float64    `json:"snap_distance_m"`
		Licence   string     `json:"licence"`
		Attribute string     `json:"attribution"`
	}
)

// routeCollection turns a route into its GeoJSON: the whole route first,
// then each leg, then each stop where it was snapped to the road.
func routeCollection(rt *route.Route, round bool) routeFC {
	props := routeProps{Kind: "route", DistanceM: metres(rt.DistanceM), DurationS: metres(rt.DurationS), Order: rt.Order, RoundTrip: round,
		Legs: make([]legProps, len(rt.Legs)), Cues: []cueProps{}, Licence: route.Licence, Attribution: route.Attribution}
	fc := routeFC{Type: "FeatureCollection", Licence: route.Licence, Attribution: route.Attribution}
	fc.Features = append(fc.Features, routeFeature{Type: "Feature", Geometry: line(rt.Geometry), Properties: &props})
	for i, l := range rt.Legs {
		lp := legProps{Leg: i, From: l.From, To: l.To, DistanceM: metres(l.DistanceM), DurationS: metres(l.DurationS)}
		props.Legs[i] = lp
		lp.Kind = "leg"
		fc.Features = append(fc.Features, routeFeature{Type: "Feature", Geometry: line(l.Geometry), Properties: lp})
		for _, c := range l.Cues {
			props.Cues = append(props.Cues, cueProps{Leg: i, Type: c.Type, Modifier: c.Modifier, Street: c.Street, Text: c.Text,
				DistanceM: metres(c.DistanceM), Location: coord(c.Location)})
		}
	}
	position := make([]int, len(rt.Stops))
	for p, i := range rt.Order {
		if p < len(rt.Stops) {
			position[i] = p
		}
	}
	for i, st := range rt.Stops {
		fc.Features = append(fc.Features, routeFeature{Type: "Feature", Geometry: routeGeometry{Type: "Point", Coordinates: coord(st.Point)},
			Properties: stopProps{Kind: "stop", Index: i, Position: position[i], Input: coord(st.Input), SnappedM: metres(st.Distance),
				Licence: route.Licence, Attribute: route.Attribution}})
	}
	return fc
}

func line(l orb.LineString) routeGeometry {
	cs := make([][2]float64, len(l))
	for i, p := range l {
		cs[i] = coord(p)
	}
	return routeGeometry{Type: "LineString", Coordinates: cs}
}

// coord rounds to OSM's precision, 1e-7 degrees.
func coord(p orb.Point) [2]float64 {
	return [2]float64{math.Round(p[0]*1e7) / 1e7, math.Round(p[1]*1e7) / 1e7}
}

// metres rounds a distance or duration to 0.1.
func metres(v float64) float64 { return math.Round(v*10) / 10 }
