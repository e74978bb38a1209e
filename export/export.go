package export

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/coopmap/coopmap"
)

// WriteFunc writes one download: the features, as one file, with src's
// licence, attribution, owner, origin and retrieval date inside it. It
// reads features once, in order, holding a bounded number at a time, so
// memory stays flat however many there are. It returns the first error
// from features (wrapped, with the number of features written before it),
// from writing to w, or ctx's; what was written by then is incomplete and
// must not be presented as a whole file.
type WriteFunc func(ctx context.Context, w io.Writer, src coopmap.Source, features iter.Seq2[coopmap.Feature, error]) error

// Format describes one download format.
type Format struct {
	// Name is the format's short name, as in ?f= (geojson, csv, kml,
	// gpx, gpkg).
	Name string
	// Ext is the file name extension, without the leading dot
	// ("geojson", "csv.zip").
	Ext string
	// MediaType is the Content-Type of the file.
	MediaType string
	// Write writes the file.
	Write WriteFunc
}

// The format names.
const (
	NameGeoJSON    = "geojson"
	NameCSV        = "csv"
	NameKML        = "kml"
	NameGPX        = "gpx"
	NameGeoPackage = "gpkg"
)

// Formats returns the download formats this package writes itself
// (GeoJSON, CSV in a zip, KML, GPX), followed by GeoPackage when gpkg is
// not nil. GeoPackage needs a store to build the file, so this package
// only names it and the caller (cmd/coopmap) supplies the writer.
func Formats(gpkg WriteFunc) []Format {
	fs := []Format{
		{Name: NameGeoJSON, Ext: "geojson", MediaType: "application/geo+json", Write: WriteGeoJSON},
		{Name: NameCSV, Ext: "csv.zip", MediaType: "application/zip", Write: WriteCSVZip},
		{Name: NameKML, Ext: "kml", MediaType: "application/vnd.google-earth.kml+xml", Write: WriteKML},
		{Name: NameGPX, Ext: "gpx", MediaType: "application/gpx+xml", Write: WriteGPX},
	}
	if gpkg != nil {
		fs = append(fs, Format{Name: NameGeoPackage, Ext: "gpkg", MediaType: "application/geopackage+sqlite3", Write: gpkg})
	}
	return fs
}

// Notice returns the plain-text provenance statement that goes into every
// file: the source's title and id, licence (name, id and URL),
// attribution, owner, origin and retrieval date, one per line, leaving
// out what the source does not have.
func Notice(src coopmap.Source) string {
	src.Licence = src.Licence.Complete()
	var b strings.Builder
	title := src.Title
	if title == "" {
		title = src.ID
	}
	fmt.Fprintf(&b, "%s (coopmap source %q)\n", title, src.ID)
	l := src.Licence
	switch {
	case l.Name != "" && l.URL != "":
		fmt.Fprintf(&b, "Licence: %s (%s), %s\n", l.Name, l.ID, l.URL)
	case l.Name != "":
		fmt.Fprintf(&b, "Licence: %s (%s)\n", l.Name, l.ID)
	case l.URL != "":
		fmt.Fprintf(&b, "Licence: %s, %s\n", l.ID, l.URL)
	default:
		fmt.Fprintf(&b, "Licence: %s\n", l.ID)
	}
	fmt.Fprintf(&b, "Attribution: %s\n", src.Attribution)
	if src.Owner != "" {
		fmt.Fprintf(&b, "Owner: %s\n", src.Owner)
	}
	if src.Origin != "" {
		fmt.Fprintf(&b, "Origin: %s\n", src.Origin)
	}
	if !src.RetrievedAt.IsZero() {
		fmt.Fprintf(&b, "Retrieved: %s\n", src.RetrievedAt.UTC().Format(time.DateOnly))
	}
	return b.String()
}

// key returns the feature's key within its source: its id without the
// "source." prefix that coopmap.FeatureID adds. Files carry the key, so a
// download imported again into the same source gives every record its old
// id (coopmap.FeatureID(source, key) is the id it came with).
func key(f coopmap.Feature) string {
	if k, ok := strings.CutPrefix(f.ID, f.SourceID+"."); ok && k != "" {
		return k
	}
	return f.ID
}

// attr is one named value of a feature, as written in formats with free
// attributes (GeoJSON properties, KML ExtendedData).
type attr struct {
	key   string
	value any // a string, or a JSON value from Feature.Properties
}

// fieldNames are the names of the feature's own fields in every format,
// in the order they are written. A property with one of these names is
// written as propertyPrefix + its name.
var fieldNames = []string{"name", "sector", "org_type", "address", "postcode", "website", "email",
	"description", "founded", "status", "precision", "updated_at"}

// propertyPrefix renames a property whose name is one of fieldNames.
const propertyPrefix = "prop_"

// fields returns the feature's fields, in fieldNames order, as text ("" when
// absent).
func fields(f coopmap.Feature) [12]string {
	updated := ""
	if !f.UpdatedAt.IsZero() {
		updated = f.UpdatedAt.UTC().Format(time.RFC3339Nano)
	}
	return [...]string{f.Name, f.Sector, f.OrgType, f.Address, f.Postcode, f.Website, f.Email,
		f.Description, f.Founded, f.Status, string(f.Precision), updated}
}

// attrs returns the feature's non-empty fields and then its properties in
// key order, renaming properties that clash with a field.
func attrs(f coopmap.Feature) []attr {
	out := make([]attr, 0, len(fieldNames)+len(f.Properties))
	for i, v := range fields(f) {
		if v != "" {
			out = append(out, attr{fieldNames[i], v})
		}
	}
	keys := make([]string, 0, len(f.Properties))
	for k := range f.Properties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		name := k
		for slices.Contains(fieldNames, name) || (name != k && hasKey(f.Properties, name)) {
			name = propertyPrefix + name
		}
		out = append(out, attr{name, f.Properties[k]})
	}
	return out
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

// text returns an attribute value as text: strings as they are, other JSON
// values as JSON.
func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// each runs fn on every feature, stopping at the first error from
// features, from fn, or ctx. An error from features is wrapped with the
// number of features read before it.
func each(ctx context.Context, features iter.Seq2[coopmap.Feature, error], fn func(coopmap.Feature) error) error {
	n := 0
	for f, err := range features {
		if err != nil {
			return fmt.Errorf("export: reading feature %d: %w", n+1, err)
		}
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(f); err != nil {
			return err
		}
		n++
	}
	return ctx.Err()
}
