package coopmap

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/coopmap/coopmap/geo"
)

// Precision says how exactly a feature's location is known.
type Precision string

// The location precisions.
const (
	// PrecisionExact: surveyed or entered by hand.
	PrecisionExact Precision = "exact"
	// PrecisionPostcode: the centroid of the postcode unit.
	PrecisionPostcode Precision = "postcode"
	// PrecisionArea: somewhere in a larger area (a district, a town).
	PrecisionArea Precision = "area"
)

// Valid reports whether p is one of the known precisions.
func (p Precision) Valid() bool {
	return p == PrecisionExact || p == PrecisionPostcode || p == PrecisionArea
}

// Feature is one record in a source: a co-op in a co-op register, or an
// overlay feature (a point, line or polygon) in any other source. Co-op
// registers use all the named fields; other sources use what they have and
// keep the rest in Properties.
type Feature struct {
	// ID is stable across re-imports; see FeatureID.
	ID       string `json:"id"`
	SourceID string `json:"source_id"`
	Name     string `json:"name"`
	Sector   string `json:"sector,omitempty"`
	// OrgType is the organisation type (worker co-op, housing co-op,
	// community benefit society, …).
	OrgType     string `json:"org_type,omitempty"`
	Address     string `json:"address,omitempty"`
	Postcode    string `json:"postcode,omitempty"`
	Website     string `json:"website,omitempty"`
	Email       string `json:"email,omitempty"`
	Description string `json:"description,omitempty"`
	// Founded is a year ("1844") or a date ("1844-12-21").
	Founded string `json:"founded,omitempty"`
	Status  string `json:"status,omitempty"`
	// Properties holds the source's other fields, as JSON values.
	Properties map[string]any `json:"properties,omitempty"`
	Geometry   orb.Geometry   `json:"-"`
	Precision  Precision      `json:"precision"`
	// UpdatedAt and Version are maintained by the store: a replace that
	// changes the feature's content bumps both; an identical one keeps them.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	Version   int64     `json:"version"`
}

// Coop is a Feature from a co-op register. The co-op fields are columns of
// their own so they can be filtered and indexed.
type Coop = Feature

var (
	postcodeRE = regexp.MustCompile(`^[A-Za-z0-9 ]{2,10}$`)
	foundedRE  = regexp.MustCompile(`^\d{4}(-\d{2}(-\d{2})?)?$`)
)

// Validate checks a feature before it is stored: a valid id and source,
// strings of sane length (see MaxShort), a storable WGS84 geometry,
// a known precision, and properties that encode to at most MaxProperties
// bytes of JSON. The error is CodeInvalid and names the field.
func (f Feature) Validate() error {
	if f.ID == "" {
		return Invalidf("id", "is required")
	}
	if !ValidSlug(f.SourceID) {
		return Invalidf("source_id", "source id %q is not a valid slug", clip(f.SourceID))
	}
	if err := checkStrings(
		field{"id", f.ID, 200},
		field{"name", f.Name, MaxShort},
		field{"sector", f.Sector, MaxShort},
		field{"org_type", f.OrgType, MaxShort},
		field{"address", f.Address, MaxShort},
		field{"postcode", f.Postcode, 16},
		field{"website", f.Website, MaxShort},
		field{"email", f.Email, MaxShort},
		field{"description", f.Description, MaxText},
		field{"founded", f.Founded, 10},
		field{"status", f.Status, 100},
	); err != nil {
		return err
	}
	if f.Postcode != "" && !postcodeRE.MatchString(f.Postcode) {
		return Invalidf("postcode", "%q is not a postcode", clip(f.Postcode))
	}
	if f.Founded != "" && !foundedRE.MatchString(f.Founded) {
		return Invalidf("founded", "%q must be a year (YYYY) or a date (YYYY-MM-DD)", clip(f.Founded))
	}
	if f.Website != "" && !strings.HasPrefix(f.Website, "http://") && !strings.HasPrefix(f.Website, "https://") {
		return Invalidf("website", "must be an http or https URL")
	}
	if !f.Precision.Valid() {
		return Invalidf("precision", "%q must be exact, postcode or area", clip(string(f.Precision)))
	}
	if err := geo.Validate(f.Geometry); err != nil {
		return Invalidf("geometry", "%v", err)
	}
	if len(f.Properties) > 0 {
		b, err := json.Marshal(f.Properties)
		if err != nil {
			return Invalidf("properties", "cannot be encoded as JSON: %v", err)
		}
		if len(b) > MaxProperties {
			return Invalidf("properties", "encode to %d bytes of JSON; the limit is %d", len(b), MaxProperties)
		}
	}
	return nil
}

// SearchText returns the folded text that free-text queries match against:
// name, address, postcode, sector, organisation type and description.
func (f Feature) SearchText() string {
	return Fold(strings.Join([]string{f.Name, f.Address, f.Postcode, strings.ReplaceAll(f.Postcode, " ", ""), f.Sector, f.OrgType, f.Description}, " "))
}

// Hash returns a digest of the feature's content (everything but ID,
// UpdatedAt and Version). Stores compare hashes to tell an updated record
// from an unchanged one on re-import.
func (f Feature) Hash() string {
	h := sha256.New()
	for _, s := range []string{f.SourceID, f.Name, f.Sector, f.OrgType, f.Address, f.Postcode, f.Website, f.Email, f.Description, f.Founded, f.Status, string(f.Precision)} {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	// encoding/json sorts map keys, so equal properties hash equally.
	props, _ := json.Marshal(f.Properties)
	h.Write(props)
	if f.Geometry != nil {
		b, _ := wkb.Marshal(roundGeometry(f.Geometry))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// roundGeometry rounds coordinates to 1e-9° (0.1 mm) so that a round trip
// through a database does not make an unchanged feature look changed.
func roundGeometry(g orb.Geometry) orb.Geometry {
	g = orb.Clone(g)
	r := func(v float64) float64 { return math.Round(v*1e9) / 1e9 }
	switch g := g.(type) {
	case orb.Point:
		return orb.Point{r(g[0]), r(g[1])}
	default:
		roundInPlace(g, r)
	}
	return g
}

func roundInPlace(g orb.Geometry, r func(float64) float64) {
	switch g := g.(type) {
	case orb.MultiPoint:
		for i := range g {
			g[i] = orb.Point{r(g[i][0]), r(g[i][1])}
		}
	case orb.LineString:
		roundInPlace(orb.MultiPoint(g), r)
	case orb.Ring:
		roundInPlace(orb.MultiPoint(g), r)
	case orb.MultiLineString:
		for _, l := range g {
			roundInPlace(l, r)
		}
	case orb.Polygon:
		for _, l := range g {
			roundInPlace(l, r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			roundInPlace(p, r)
		}
	case orb.Collection:
		for i, m := range g {
			if p, ok := m.(orb.Point); ok {
				g[i] = orb.Point{r(p[0]), r(p[1])}
			} else {
				roundInPlace(m, r)
			}
		}
	}
}
