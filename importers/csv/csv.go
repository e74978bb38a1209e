package csv

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
	"github.com/coopmap/coopmap/postcodes"
)

// Limits on one CSV input.
const (
	// MaxRecordSize bounds one record in bytes, including the line breaks
	// inside quoted fields.
	MaxRecordSize = 1 << 20
	// MaxFields bounds the number of columns.
	MaxFields = 1000
	// MaxMappingSize bounds a mapping file in bytes.
	MaxMappingSize = 64 << 10
)

// Mapping names the column that holds each feature field. An empty name
// means "find it by its usual names", which are listed beside each field.
// Names are compared ignoring case, spaces and punctuation.
type Mapping struct {
	ID          string `json:"id,omitempty"`          // id, identifier, ref, reference, key, fid, uid, uuid
	Name        string `json:"name,omitempty"`        // name, title, label, organisation, organisation name, company, trading name
	Lon         string `json:"lon,omitempty"`         // lon, lng, long, longitude, x
	Lat         string `json:"lat,omitempty"`         // lat, latitude, y
	WKT         string `json:"wkt,omitempty"`         // wkt, geometry, geom, the_geom
	Postcode    string `json:"postcode,omitempty"`    // postcode, post code, postal code, zip, pcd, pcds
	Address     string `json:"address,omitempty"`     // address, street address, full address
	Sector      string `json:"sector,omitempty"`      // sector, category, industry
	OrgType     string `json:"org_type,omitempty"`    // org type, organisation type, type, legal form
	Website     string `json:"website,omitempty"`     // website, url, web, homepage, www
	Email       string `json:"email,omitempty"`       // email, e-mail, email address
	Description string `json:"description,omitempty"` // description, desc, notes, about, summary
	Founded     string `json:"founded,omitempty"`     // founded, year founded, established, incorporation date
	Status      string `json:"status,omitempty"`      // status
}

// mappingKeys are the keys of a mapping, as in a mapping file or --map.
var mappingKeys = []string{"id", "name", "lon", "lat", "wkt", "postcode", "address", "sector", "org_type", "website", "email", "description", "founded", "status"}

// field returns a pointer to the mapping's field for key, or nil.
func (m *Mapping) field(key string) *string {
	switch key {
	case "id":
		return &m.ID
	case "name":
		return &m.Name
	case "lon":
		return &m.Lon
	case "lat":
		return &m.Lat
	case "wkt":
		return &m.WKT
	case "postcode":
		return &m.Postcode
	case "address":
		return &m.Address
	case "sector":
		return &m.Sector
	case "org_type":
		return &m.OrgType
	case "website":
		return &m.Website
	case "email":
		return &m.Email
	case "description":
		return &m.Description
	case "founded":
		return &m.Founded
	case "status":
		return &m.Status
	}
	return nil
}

// Set maps a field (a key such as "lat" or "org_type") to a column. The
// error is coopmap.CodeInvalid for an unknown key or an empty column.
func (m *Mapping) Set(key, column string) error {
	p := m.field(strings.ToLower(strings.TrimSpace(key)))
	if p == nil {
		return coopmap.Invalidf("mapping", "%q is not a field a column can map to; the fields are %s", key, strings.Join(mappingKeys, ", "))
	}
	column = strings.TrimSpace(column)
	if column == "" {
		return coopmap.Invalidf("mapping."+key, "names no column")
	}
	*p = column
	return nil
}

// IsZero reports whether m maps nothing explicitly.
func (m Mapping) IsZero() bool { return m == Mapping{} }

// ReadMapping reads a mapping file: either a JSON object from field to
// column name ({"lat": "Latitude", "lon": "Longitude"}) or lines of
// key=column, with blank lines and lines starting with # ignored. The
// keys are those of Mapping's JSON names. The error is coopmap.CodeInvalid
// naming the line or key at fault, or CodeTooLarge past MaxMappingSize.
func ReadMapping(r io.Reader) (Mapping, error) {
	var m Mapping
	b, err := io.ReadAll(io.LimitReader(r, MaxMappingSize+1))
	if err != nil {
		return m, err
	}
	if len(b) > MaxMappingSize {
		return m, &coopmap.Error{Code: coopmap.CodeTooLarge, Field: "mapping", Message: fmt.Sprintf("a mapping file is at most %d KiB", MaxMappingSize>>10)}
	}
	s := strings.TrimPrefix(string(b), "\ufeff")
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") {
		var kv map[string]string
		if err := json.Unmarshal([]byte(t), &kv); err != nil {
			return m, coopmap.Invalidf("mapping", "not a JSON object of field names to column names: %v", err)
		}
		keys := make([]string, 0, len(kv))
		for k := range kv {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := m.Set(k, kv[k]); err != nil {
				return m, err
			}
		}
		return m, nil
	}
	sc := bufio.NewScanner(strings.NewReader(s))
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return m, coopmap.Invalidf("mapping", "line %d: want key=column, got %q", line, t)
		}
		if err := m.Set(k, v); err != nil {
			return m, fmt.Errorf("line %d: %w", line, err)
		}
	}
	return m, nil
}

// Encodings accepted by Options.Encoding.
const (
	EncodingAuto        = "auto"
	EncodingUTF8        = "utf-8"
	EncodingWindows1252 = "windows-1252"
	EncodingUTF16       = "utf-16"
)

// Options configure a CSV parser. The zero value detects everything.
type Options struct {
	// Mapping names columns explicitly; fields it leaves empty are found
	// by name. A non-empty Mapping turns off the Co-operatives UK layout.
	Mapping Mapping
	// Delimiter is ',', ';', '\t' or '|'; 0 detects it from the header.
	Delimiter rune
	// Encoding is "" or EncodingAuto (detect), EncodingUTF8,
	// EncodingWindows1252 or EncodingUTF16 (which needs a byte-order
	// mark); "cp1252" and "utf8" are accepted too.
	Encoding string
	// Precision, if set, is the precision of locations taken from
	// coordinates or WKT (for a file whose coordinates are known to be
	// postcode centroids, say). Postcode look-ups are always
	// coopmap.PrecisionPostcode, and the Co-operatives UK layout knows
	// its own precisions.
	Precision coopmap.Precision
}

// normalize checks o and returns it with the encoding in canonical form.
func (o Options) normalize() (Options, error) {
	switch strings.ToLower(strings.TrimSpace(o.Encoding)) {
	case "", EncodingAuto:
		o.Encoding = EncodingAuto
	case EncodingUTF8, "utf8":
		o.Encoding = EncodingUTF8
	case EncodingWindows1252, "cp1252", "windows1252":
		o.Encoding = EncodingWindows1252
	case EncodingUTF16, "utf16":
		o.Encoding = EncodingUTF16
	default:
		return o, coopmap.Invalidf("encoding", "%q is not an encoding this reader knows: auto, utf-8, windows-1252 or utf-16", o.Encoding)
	}
	switch o.Delimiter {
	case 0, ',', ';', '\t', '|':
	default:
		return o, coopmap.Invalidf("delimiter", "%q is not a delimiter this reader accepts: comma, semicolon, tab or |", o.Delimiter)
	}
	if o.Precision != "" && !o.Precision.Valid() {
		return o, coopmap.Invalidf("precision", "%q must be exact, postcode or area", o.Precision)
	}
	return o, nil
}

// New returns a Parser with the given options that places rows lacking
// coordinates by postcode with pcs (which may be nil: such rows are then
// problems). The error is coopmap.CodeInvalid naming the option at fault.
//
// The parser's error, when the file as a whole cannot be read, is
// coopmap.CodeTooLarge for a record over MaxRecordSize or MaxFields and
// coopmap.CodeInvalid for an empty file, a bad header or a mapping that
// finds no location; otherwise the read error, or ctx's.
func New(opts Options, pcs *postcodes.Table) (importers.Parser, error) {
	o, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, r io.Reader, name string, e importers.Emitter) error {
		return parse(ctx, r, name, e, o, pcs)
	}, nil
}

// Parse is an importers.Parser with the zero Options and no postcode
// table: everything is detected, and rows without coordinates or WKT are
// problems. Use New to place rows by postcode.
func Parse(ctx context.Context, r io.Reader, name string, e importers.Emitter) error {
	return parse(ctx, r, name, e, Options{Encoding: EncodingAuto}, nil)
}

var _ importers.Parser = Parse
