package coopmap

import (
	"fmt"
	"math"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap/geo"
)

// MaxStops bounds the number of stops on one tour.
const MaxStops = 200

// Tour is a co-op bike tour: an ordered list of stops and the route that
// links them. A tour belongs to a source of KindTours, whose licence and
// attribution it carries (routes derived from OpenStreetMap are ODbL).
type Tour struct {
	// ID is a slug, unique among tours.
	ID       string `json:"id"`
	SourceID string `json:"source_id"`
	Title    string `json:"title"`
	// Region is a free label such as "North London".
	Region      string `json:"region,omitempty"`
	Description string `json:"description,omitempty"`
	Stops       []Stop `json:"stops"`
	// Legs are the routed legs between consecutive stops, when routed.
	Legs []Leg `json:"legs,omitempty"`
	// Route is the whole route; nil until routed.
	Route orb.LineString `json:"-"`
	// DistanceM is the route's length in metres.
	DistanceM float64 `json:"distance_m"`
	// UpdatedAt and Version are maintained by the store; an update must
	// carry the version it was based on.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	Version   int64     `json:"version"`
}

// Stop is one stop of a tour: either a reference to a co-op or feature
// record (so corrections to the record flow through) or a named point.
// For a reference the store keeps only FeatureID and Note, and fills Name
// and Location from the record on every read.
type Stop struct {
	// FeatureID references a Feature; when set, Name and Location are
	// taken from the feature when the tour is shown.
	FeatureID string `json:"feature_id,omitempty"`
	// Name and Location describe a stop that is not a record.
	Name     string    `json:"name,omitempty"`
	Location orb.Point `json:"location,omitzero"`
	Note     string    `json:"note,omitempty"`
	// Unresolved is set by the store on read when FeatureID names a
	// record that no longer exists.
	Unresolved bool `json:"unresolved,omitempty"`
}

// Leg is the routed way from one stop to the next.
type Leg struct {
	Geometry  orb.LineString `json:"geometry"`
	DistanceM float64        `json:"distance_m"`
	DurationS float64        `json:"duration_s"`
}

// Validate checks a stop: a feature reference, or else a name and a valid
// location.
func (s Stop) Validate() error {
	if err := checkStrings(field{"feature_id", s.FeatureID, 200}, field{"name", s.Name, MaxShort}, field{"note", s.Note, MaxText}); err != nil {
		return err
	}
	if s.FeatureID != "" {
		return nil
	}
	if s.Name == "" {
		return Invalidf("name", "a stop needs a feature_id or a name and location")
	}
	if err := geo.ValidatePoint(s.Location); err != nil {
		return Invalidf("location", "%v", err)
	}
	return nil
}

// Validate checks a tour before it is stored. The error is CodeInvalid and
// names the field, with stop and leg indexes ("stops[3].location").
func (t Tour) Validate() error {
	if !ValidSlug(t.ID) {
		return Invalidf("id", "tour id %q must be 1–64 lower-case letters, digits and inner hyphens", clip(t.ID))
	}
	if !ValidSlug(t.SourceID) {
		return Invalidf("source_id", "source id %q is not a valid slug", clip(t.SourceID))
	}
	if t.Title == "" {
		return Invalidf("title", "is required")
	}
	if err := checkStrings(field{"title", t.Title, MaxShort}, field{"region", t.Region, MaxShort}, field{"description", t.Description, MaxText}); err != nil {
		return err
	}
	if len(t.Stops) > MaxStops {
		return &Error{Code: CodeTooLarge, Field: "stops", Message: fmt.Sprintf("%d stops; the limit is %d", len(t.Stops), MaxStops)}
	}
	for i, s := range t.Stops {
		if err := s.Validate(); err != nil {
			return prefixField(fmt.Sprintf("stops[%d]", i), err)
		}
	}
	if len(t.Legs) > 0 && len(t.Legs) != len(t.Stops)-1 {
		return Invalidf("legs", "%d legs for %d stops; want one fewer legs than stops", len(t.Legs), len(t.Stops))
	}
	for i, l := range t.Legs {
		if err := geo.Validate(l.Geometry); err != nil {
			return Invalidf(fmt.Sprintf("legs[%d].geometry", i), "%v", err)
		}
		if !finiteNonNeg(l.DistanceM) || !finiteNonNeg(l.DurationS) {
			return Invalidf(fmt.Sprintf("legs[%d]", i), "distance and duration must be finite and not negative")
		}
	}
	if t.Route != nil {
		if err := geo.Validate(t.Route); err != nil {
			return Invalidf("route", "%v", err)
		}
	}
	if !finiteNonNeg(t.DistanceM) {
		return Invalidf("distance_m", "must be finite and not negative")
	}
	return nil
}

func finiteNonNeg(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 }

// Anchor returns the point that represents a geometry on a map and in tour
// stops: the point itself, or the centre of the bounding box.
func Anchor(g orb.Geometry) orb.Point {
	if p, ok := g.(orb.Point); ok {
		return p
	}
	if g == nil {
		return orb.Point{}
	}
	return g.Bound().Center()
}
