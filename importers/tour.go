package importers

import (
	"context"
	"fmt"
	"iter"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// DefaultMatchDistance is how far, in metres, a tour stop may be from a
// co-op record it is matched with, when TourOptions.MatchDistance is 0.
// Co-op locations are often postcode centroids, so it is not tiny.
const DefaultMatchDistance = 250.0

// TourOptions configure ImportTour.
type TourOptions struct {
	// Source is the tours source the tour goes in: an existing source of
	// kind tours, or a new one, which needs Licence.ID and Attribution as
	// for Import (its Kind is set to tours).
	Source coopmap.Source
	// TourID is the tour's slug; "" derives it from the input's name.
	TourID string
	// Title is the tour's title; "" takes the name of the input's first
	// line (a GPX track or route), or else the tour id.
	Title string
	// Parser reads the input (gpx.Parse for GPX); its points become the
	// stops, in order, and its lines the route.
	Parser Parser
	// MatchSources are the sources searched for records to reference
	// from stops; nil means every source of kind coops.
	MatchSources []string
	// MatchDistance is the furthest, in metres, a matched record may be
	// from its stop; 0 means DefaultMatchDistance.
	MatchDistance float64
	// DryRun matches the stops but writes nothing.
	DryRun bool
}

// StopMatch says what became of one point of the input.
type StopMatch struct {
	// Where locates the point in the input, as problems do.
	Where string `json:"where"`
	// Name and Lon/Lat are the point's, as read.
	Name string  `json:"name"`
	Lon  float64 `json:"lon"`
	Lat  float64 `json:"lat"`
	// FeatureID and FeatureName name the record the stop references;
	// empty when none matched and the stop is a named point.
	FeatureID   string `json:"feature_id,omitempty"`
	FeatureName string `json:"feature_name,omitempty"`
	// DistanceM is the distance from the point to the matched record.
	DistanceM float64 `json:"distance_m,omitempty"`
}

// TourReport is the outcome of ImportTour, filled in as far as it got.
type TourReport struct {
	Source string      `json:"source"`
	Tour   string      `json:"tour"`
	DryRun bool        `json:"dry_run"`
	Stops  []StopMatch `json:"stops"`
	// Matched counts the stops that reference a record.
	Matched int `json:"matched"`
	// RouteM is the length of the route taken from the input's lines, in
	// metres; 0 when it has none.
	RouteM float64 `json:"route_m"`
	// Problems are the points and lines left out, with why.
	Problems []Problem `json:"problems"`
	// Action is "created", "updated" or "unchanged" (in a dry run, what
	// would be done).
	Action   string        `json:"action,omitempty"`
	Duration time.Duration `json:"-"`
	Error    string        `json:"error,omitempty"`
}

// Summary returns the report in one line, for example
//
//	tours/north-london: 7 stops, 5 matched to co-op records, route 12.3 km; created (0.2s)
func (r TourReport) Summary() string {
	name := r.Source + "/" + r.Tour
	if r.DryRun {
		name += " (dry run, nothing written)"
	}
	if r.Error != "" {
		return fmt.Sprintf("%s: tour import failed, nothing written: %s", name, r.Error)
	}
	route := "no route"
	if r.RouteM > 0 {
		route = fmt.Sprintf("route %.1f km", r.RouteM/1000)
	}
	return fmt.Sprintf("%s: %d stops, %d matched to co-op records, %s, %d left out; %s (%s)",
		name, len(r.Stops), r.Matched, route, len(r.Problems), r.Action, roundDuration(r.Duration))
}

// ImportTour reads one input (a GPX file, with opts.Parser = gpx.Parse)
// as a tour: each point, in order, becomes a stop, and the lines (tracks,
// routes) joined become its route. A stop is matched to an existing
// record when one lies within opts.MatchDistance and their names agree
// (ignoring case, accents, punctuation and words such as "limited" and
// "co-operative"): the stop then references the record, so corrections
// to it show in the tour; otherwise it is a named point. The report says
// which record each stop was matched with and how far away it is.
//
// The tour is created in opts.Source, or replaces the tour of the same id
// there; a replacement identical to what is stored writes nothing. A new
// tours source is created with it, and removed again if the tour cannot
// be stored.
//
// Errors: CodeInvalid for bad options, an input with no usable point, a
// source of another kind, or a tour id taken by another source's tour;
// CodeTooLarge for more than coopmap.MaxStops points; the parser's error
// for an unreadable input; the store's error. In every error case the
// store is as it was.
func ImportTour(ctx context.Context, st coopmap.Store, opts TourOptions, in Input) (TourReport, error) {
	start := time.Now()
	rep := TourReport{Source: opts.Source.ID, Tour: opts.TourID, DryRun: opts.DryRun, Stops: []StopMatch{}, Problems: []Problem{}}
	err := importTour(ctx, st, opts, in, &rep)
	rep.Duration = time.Since(start)
	if err != nil {
		rep.Error = err.Error()
		rep.Action = ""
	}
	return rep, err
}

// tourReader is the Emitter ImportTour hands the parser.
type tourReader struct {
	rep   *TourReport
	stops []coopmap.Stop
	lines []orb.LineString
	title string
}

func (r *tourReader) Feature(f coopmap.Feature, where string) error {
	if err := geo.Validate(f.Geometry); err != nil {
		r.Problem(where, err.Error())
		return nil
	}
	switch g := f.Geometry.(type) {
	case orb.Point:
		name := f.Name
		if name == "" {
			name = fmt.Sprintf("Stop %d", len(r.stops)+1)
		}
		if len(r.stops) == coopmap.MaxStops {
			return &coopmap.Error{Code: coopmap.CodeTooLarge, Field: "stops", Message: fmt.Sprintf("%s: more than %d points; a tour has at most %d stops", where, coopmap.MaxStops, coopmap.MaxStops)}
		}
		r.stops = append(r.stops, coopmap.Stop{Name: clip(name, coopmap.MaxShort), Location: g, Note: clip(f.Description, coopmap.MaxText)})
		r.rep.Stops = append(r.rep.Stops, StopMatch{Where: where, Name: name, Lon: g[0], Lat: g[1]})
	case orb.LineString:
		r.line(f, g)
	case orb.MultiLineString:
		for _, l := range g {
			r.line(f, l)
		}
	default:
		r.Problem(where, fmt.Sprintf("a %s is neither a stop (a point) nor part of the route (a line)", f.Geometry.GeoJSONType()))
	}
	return nil
}

func (r *tourReader) line(f coopmap.Feature, l orb.LineString) {
	if r.title == "" {
		r.title = f.Name
	}
	r.lines = append(r.lines, l)
}

func (r *tourReader) Problem(where, why string) {
	r.rep.Problems = append(r.rep.Problems, Problem{Where: where, Reason: why})
}

func importTour(ctx context.Context, st coopmap.Store, opts TourOptions, in Input, rep *TourReport) error {
	if opts.Parser == nil || in.Reader == nil {
		return coopmap.Invalidf("format", "ImportTour needs a parser and an input")
	}
	if opts.TourID == "" {
		opts.TourID = slugFromName(in.Name)
		rep.Tour = opts.TourID
	}
	if !coopmap.ValidSlug(opts.TourID) {
		return coopmap.Invalidf("tour", "tour id %q must be 1–64 lower-case letters, digits and inner hyphens", opts.TourID)
	}
	dist := opts.MatchDistance
	if dist == 0 {
		dist = DefaultMatchDistance
	}
	if dist < 0 || dist > 10_000 {
		return coopmap.Invalidf("match-distance", "%g m: want a distance between 0 and 10 km", dist)
	}
	src, create, err := tourSource(ctx, st, opts.Source)
	if err != nil {
		return err
	}

	r := &tourReader{rep: rep}
	raw := &limitReader{r: in.Reader, max: MaxInputSize, name: in.Name}
	if err := safeParse(ctx, opts.Parser, raw, in.Name, r); err != nil {
		if raw.err != nil {
			return raw.err
		}
		return named(in.Name, err)
	}
	if len(r.stops) == 0 {
		return coopmap.Invalidf("stops", "%s has no usable point (GPX waypoint) to make a stop of (%d left out)", in.Name, len(rep.Problems))
	}
	if err := matchStops(ctx, st, opts.MatchSources, dist, r.stops, rep); err != nil {
		return err
	}

	t := coopmap.Tour{ID: opts.TourID, SourceID: src.ID, Title: opts.Title, Stops: r.stops}
	if t.Title == "" {
		t.Title = r.title
	}
	if t.Title == "" {
		t.Title = t.ID
	}
	t.Title = clip(t.Title, coopmap.MaxShort)
	for _, l := range r.lines {
		if len(t.Route) > 0 && t.Route[len(t.Route)-1] == l[0] {
			l = l[1:]
		}
		if len(t.Route)+len(l) > geo.MaxVertices {
			return &coopmap.Error{Code: coopmap.CodeTooLarge, Field: "route", Message: fmt.Sprintf("%s: the route has more than %d points", in.Name, geo.MaxVertices)}
		}
		t.Route = append(t.Route, l...)
	}
	if len(t.Route) == 1 {
		t.Route = nil
	}
	if t.Route != nil {
		t.DistanceM = geo.Length(t.Route)
		rep.RouteM = t.DistanceM
	}
	if err := t.Validate(); err != nil {
		return err
	}
	return storeTour(ctx, st, src, create, t, opts.DryRun, rep)
}

// tourSource finds or prepares the tours source; create reports that it
// does not exist yet.
func tourSource(ctx context.Context, st coopmap.Store, src coopmap.Source) (_ coopmap.Source, create bool, _ error) {
	if !coopmap.ValidSlug(src.ID) {
		return src, false, coopmap.Invalidf("source.id", "source id %q must be 1–64 lower-case letters, digits and inner hyphens", src.ID)
	}
	old, err := st.Source(ctx, src.ID)
	switch {
	case err == nil:
		if old.Kind != coopmap.KindTours {
			return src, false, coopmap.Invalidf("kind", "source %q holds %s, not tours; give a tours source for --as-tour", src.ID, old.Kind)
		}
		return old, false, nil
	case coopmap.ErrorCode(err) != coopmap.CodeNotFound:
		return src, false, err
	}
	if src.Kind != "" && src.Kind != coopmap.KindTours {
		return src, false, coopmap.Invalidf("kind", "a tour goes in a source of kind tours, not %s", src.Kind)
	}
	src.Kind = coopmap.KindTours
	src, _, err = resolveSource(ctx, st, src, nil)
	if err != nil && coopmap.ErrorField(err) == "kind" {
		err = nil // resolveSource refuses tours sources for plain imports
	}
	if src.Title == "" {
		src.Title = src.ID
	}
	src.Licence = src.Licence.Complete()
	if err == nil {
		err = src.Validate()
	}
	return src, true, err
}

// matchStops references records from stops where a record of the match
// sources lies within dist metres and has an agreeing name.
func matchStops(ctx context.Context, st coopmap.Store, sources []string, dist float64, stops []coopmap.Stop, rep *TourReport) error {
	if sources == nil {
		all, err := st.Sources(ctx)
		if err != nil {
			return err
		}
		for _, s := range all {
			if s.Kind == coopmap.KindCoops {
				sources = append(sources, s.ID)
			}
		}
		if len(sources) == 0 {
			return nil
		}
	}
	for i := range stops {
		s := &stops[i]
		// Degrees of latitude are 111 km; of longitude fewer, so the box
		// is widened by 1/cos(latitude) (up to 60°N, twice).
		dLat := dist / 111_000
		dLon := dLat * 2
		box, err := geo.NewBBox(max(s.Location[0]-dLon, -180), max(s.Location[1]-dLat, -90), min(s.Location[0]+dLon, 180), min(s.Location[1]+dLat, 90))
		if err != nil {
			return err
		}
		page, err := st.Features(ctx, coopmap.Query{BBox: &box, Sources: sources, Limit: coopmap.MaxLimit})
		if err != nil {
			return err
		}
		best, bestD := -1, dist
		for j, f := range page.Features {
			d := geo.Distance(s.Location, coopmap.Anchor(f.Geometry))
			if d <= bestD && sameName(s.Name, f.Name) {
				best, bestD = j, d
			}
		}
		if best < 0 {
			continue
		}
		f := page.Features[best]
		rep.Stops[i].FeatureID, rep.Stops[i].FeatureName, rep.Stops[i].DistanceM = f.ID, f.Name, float64(int(bestD+0.5))
		rep.Matched++
		*s = coopmap.Stop{FeatureID: f.ID, Note: s.Note}
	}
	return nil
}

// filler are words that do not tell co-ops apart.
var filler = map[string]bool{
	"the": true, "and": true, "of": true, "limited": true, "ltd": true, "co": true, "op": true, "operative": true,
	"cooperative": true, "coop": true, "society": true, "cic": true, "llp": true, "plc": true, "cbs": true, "uk": true,
}

// words returns the words of a name that tell it apart, folded.
func words(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(coopmap.Fold(s), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	}) {
		if !filler[w] {
			out = append(out, w)
		}
	}
	return out
}

// sameName reports whether two names agree: the telling words of one are
// all among the other's ("Bread Co-op" and "The Bread Co-operative
// Limited"; "Unicorn" and "Unicorn Grocery").
func sameName(a, b string) bool {
	wa, wb := words(a), words(b)
	if len(wa) == 0 || len(wb) == 0 {
		return false
	}
	if len(wa) > len(wb) {
		wa, wb = wb, wa
	}
	for _, w := range wa {
		if !slices.Contains(wb, w) {
			return false
		}
	}
	return true
}

// storeTour creates or replaces the tour, unless it is unchanged.
func storeTour(ctx context.Context, st coopmap.Store, src coopmap.Source, create bool, t coopmap.Tour, dry bool, rep *TourReport) error {
	var old coopmap.Tour
	var err error
	if !create {
		old, err = st.Tour(ctx, t.ID)
	} else {
		err = coopmap.NotFoundf("no tour %q", t.ID)
	}
	switch {
	case err == nil && old.SourceID != src.ID:
		return coopmap.Invalidf("tour", "tour %q belongs to source %q; give another tour id", t.ID, old.SourceID)
	case err == nil && sameTour(old, t):
		rep.Action = "unchanged"
		return nil
	case err == nil:
		rep.Action = "updated"
	case coopmap.ErrorCode(err) == coopmap.CodeNotFound:
		rep.Action = "created"
	default:
		return err
	}
	if dry {
		return nil
	}
	if create {
		if _, err := st.ReplaceSource(ctx, src, iter.Seq2[coopmap.Feature, error](func(func(coopmap.Feature, error) bool) {})); err != nil {
			return err
		}
	}
	if rep.Action == "updated" {
		t.Version = old.Version
		_, err = st.UpdateTour(ctx, t)
	} else {
		_, err = st.CreateTour(ctx, t)
	}
	if err != nil && create {
		// Leave no empty source behind: all or nothing.
		if derr := st.DeleteSource(context.WithoutCancel(ctx), src.ID); derr != nil {
			return fmt.Errorf("%w (and removing the new source %s failed: %v)", err, src.ID, derr)
		}
	}
	return err
}

// sameTour compares what ImportTour sets: a stored tour resolves its
// references, so those compare by record id only.
func sameTour(a, b coopmap.Tour) bool {
	if a.Title != b.Title || len(a.Stops) != len(b.Stops) || !slices.Equal(a.Route, b.Route) {
		return false
	}
	for i, s := range a.Stops {
		o := b.Stops[i]
		if s.FeatureID != o.FeatureID || s.Note != o.Note || s.FeatureID == "" && (s.Name != o.Name || s.Location != o.Location) {
			return false
		}
	}
	return true
}

// slugFromName derives a tour id from a file name: "North London ride.gpx"
// → "north-london-ride".
func slugFromName(name string) string {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	var b strings.Builder
	dash := false
	for _, r := range coopmap.Fold(base) {
		switch {
		case 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	if b.Len() == 0 {
		return "tour"
	}
	return b.String()
}
