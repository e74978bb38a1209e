package coopmap

import (
	"regexp"
	"time"
)

// Kind says what a source holds.
type Kind string

// The source kinds.
const (
	// KindCoops: a register of co-operatives (points, one per co-op).
	KindCoops Kind = "coops"
	// KindFeatures: overlay features of any geometry: orchards, flood
	// zones, sold council sites, venues.
	KindFeatures Kind = "features"
	// KindTours: co-op bike tours.
	KindTours Kind = "tours"
)

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool { return k == KindCoops || k == KindFeatures || k == KindTours }

// Licence identifies the licence a source is published under. ID is a short
// SPDX-style identifier such as "ODC-By-1.0", "ODbL-1.0", "OGL-UK-3.0" or
// "CC-BY-4.0".
type Licence struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	URL  string `json:"url,omitempty"`
}

// knownLicences lists the licences coopmap knows by ID, with their names and
// URLs; Licence.Complete fills a bare ID from it. It is never written to.
var knownLicences = map[string]Licence{
	"ODC-By-1.0":   {"ODC-By-1.0", "Open Data Commons Attribution License v1.0", "https://opendatacommons.org/licenses/by/1-0/"},
	"ODbL-1.0":     {"ODbL-1.0", "Open Data Commons Open Database License v1.0", "https://opendatacommons.org/licenses/odbl/1-0/"},
	"OGL-UK-3.0":   {"OGL-UK-3.0", "Open Government Licence v3.0", "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"},
	"CC-BY-4.0":    {"CC-BY-4.0", "Creative Commons Attribution 4.0 International", "https://creativecommons.org/licenses/by/4.0/"},
	"CC-BY-SA-4.0": {"CC-BY-SA-4.0", "Creative Commons Attribution-ShareAlike 4.0 International", "https://creativecommons.org/licenses/by-sa/4.0/"},
	"CC0-1.0":      {"CC0-1.0", "Creative Commons Zero v1.0 Universal", "https://creativecommons.org/publicdomain/zero/1.0/"},
	"PDDL-1.0":     {"PDDL-1.0", "Open Data Commons Public Domain Dedication and License v1.0", "https://opendatacommons.org/licenses/pddl/1-0/"},
}

// LookupLicence returns the known licence with the given ID.
func LookupLicence(id string) (Licence, bool) {
	l, ok := knownLicences[id]
	return l, ok
}

// Complete returns l with an empty name and URL filled in from the known
// licence of the same ID, if there is one.
func (l Licence) Complete() Licence {
	if k, ok := knownLicences[l.ID]; ok {
		if l.Name == "" {
			l.Name = k.Name
		}
		if l.URL == "" {
			l.URL = k.URL
		}
	}
	return l
}

// Source is one imported dataset and its provenance. Its licence,
// attribution, owner and origin travel with every download, tile set and
// popup made from it.
type Source struct {
	// ID is a stable slug: lower-case letters, digits and hyphens.
	ID          string  `json:"id"`
	Title       string  `json:"title"`
	Description string  `json:"description,omitempty"`
	Kind        Kind    `json:"kind"`
	Licence     Licence `json:"licence"`
	// Attribution is the text a re-user must show.
	Attribution string `json:"attribution"`
	// Owner is the person or organisation who controls the data.
	Owner string `json:"owner,omitempty"`
	// Origin is where the data came from: a URL or a file name.
	Origin string `json:"origin,omitempty"`
	// RetrievedAt is when the data was taken from its origin.
	RetrievedAt time.Time `json:"retrieved_at,omitzero"`
	// UpdatedAt is set by the store whenever the source, its features or
	// its tours change.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// FeatureCount is maintained by the store: features, or tours for a
	// tours source.
	FeatureCount int `json:"feature_count"`
	// Version is maintained by the store and grows on every change to the
	// source or its contents, so caches can key on it.
	Version int64 `json:"version"`
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)

// ValidSlug reports whether s can be a source or tour id: 1–64 lower-case
// letters, digits and inner hyphens.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// Validate checks a source before it is stored. The error is CodeInvalid and
// names the field.
func (s Source) Validate() error {
	if !ValidSlug(s.ID) {
		return Invalidf("id", "source id %q must be 1–64 lower-case letters, digits and inner hyphens", clip(s.ID))
	}
	if !s.Kind.Valid() {
		return Invalidf("kind", "kind %q must be one of coops, features, tours", clip(string(s.Kind)))
	}
	if s.Licence.ID == "" {
		return Invalidf("licence.id", "a licence is required (for example ODC-By-1.0, ODbL-1.0, OGL-UK-3.0, CC-BY-4.0)")
	}
	if s.Attribution == "" {
		return Invalidf("attribution", "attribution text is required")
	}
	return checkStrings(
		field{"title", s.Title, MaxShort},
		field{"description", s.Description, MaxText},
		field{"licence.id", s.Licence.ID, 64},
		field{"licence.name", s.Licence.Name, MaxShort},
		field{"licence.url", s.Licence.URL, MaxShort},
		field{"attribution", s.Attribution, MaxText},
		field{"owner", s.Owner, MaxShort},
		field{"origin", s.Origin, MaxShort},
	)
}
