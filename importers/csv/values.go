package csv

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
	"github.com/coopmap/coopmap/postcodes"
)

// values cleans one row's values, noting what it drops.
type values struct {
	p     *rowParser
	where string
	// propBytes estimates the JSON size of the properties so far.
	propBytes int
}

func (v *values) drop(field, why string) {
	importers.Note(v.p.e, v.where, field+": "+why+"; the value is left out")
}

// text returns s if it fits in max bytes, else notes and drops it.
func (v *values) text(field, s string, max int) string {
	if len(s) > max {
		v.drop(field, fmt.Sprintf("is %d bytes long; the limit is %d", len(s), max))
		return ""
	}
	return s
}

// website returns s as an http(s) URL, or "" with a note.
func (v *values) website(s string) string {
	if s == "" {
		return ""
	}
	if strings.HasPrefix(strings.ToLower(s), "www.") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s, " \t\r\n"):
		v.drop("website", fmt.Sprintf("%q is not an http or https URL", clip(s)))
		return ""
	case len(s) > coopmap.MaxShort:
		v.drop("website", "is too long")
		return ""
	}
	// Feature.Validate checks the scheme case-sensitively.
	return strings.ToLower(u.Scheme) + s[len(u.Scheme):]
}

var emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// email returns s if it looks like an address, else "" with a note.
func (v *values) email(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "mailto:"), "MAILTO:")
	if s == "" {
		return ""
	}
	if !emailRE.MatchString(s) || len(s) > 320 {
		v.drop("email", fmt.Sprintf("%q is not an e-mail address", clip(s)))
		return ""
	}
	return s
}

var (
	isoDateRE = regexp.MustCompile(`^\d{4}(-\d{2}(-\d{2})?)?$`)
	ukDateRE  = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})$`)
)

// founded returns a year or ISO date, converting dd/mm/yyyy, or "" with a
// note.
func (v *values) founded(s string) string {
	switch {
	case s == "":
		return ""
	case isoDateRE.MatchString(s):
		return s
	}
	if m := ukDateRE.FindStringSubmatch(s); m != nil {
		d, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if d >= 1 && d <= 31 && mo >= 1 && mo <= 12 {
			return fmt.Sprintf("%s-%02d-%02d", m[3], mo, d)
		}
	}
	v.drop("founded", fmt.Sprintf("%q is not a year, a YYYY-MM-DD date or a DD/MM/YYYY date", clip(s)))
	return ""
}

var postcodeRE = regexp.MustCompile(`^[A-Za-z0-9 ]{2,10}$`)

// postcode returns a UK postcode in canonical form, another postcode as
// written if coopmap can store it, or "" with a note.
func (v *values) postcode(s string) string {
	if s == "" {
		return ""
	}
	if n := postcodes.Normalize(s); n != "" {
		return n
	}
	if postcodeRE.MatchString(s) {
		return s
	}
	v.drop("postcode", fmt.Sprintf("%q is not a postcode", clip(s)))
	return ""
}

// maxPropBytes leaves room under coopmap.MaxProperties for JSON escaping.
const maxPropBytes = coopmap.MaxProperties * 3 / 4

// properties collects the non-empty columns cols of rec, dropping what
// would break coopmap.MaxProperties. It returns nil when there are none.
func (v *values) properties(rec []string, cols []propCol) map[string]any {
	var m map[string]any
	for _, c := range cols {
		s := strings.TrimSpace(rec[c.i])
		if s == "" {
			continue
		}
		n := len(c.key) + len(s) + 6
		if v.propBytes+n > maxPropBytes {
			v.drop(c.key, fmt.Sprintf("the row's other columns exceed %d KiB", maxPropBytes>>10))
			continue
		}
		v.propBytes += n
		if m == nil {
			m = make(map[string]any, len(cols))
		}
		m[c.key] = s
	}
	return m
}

func clip(s string) string {
	if len(s) <= 60 {
		return s
	}
	i := 60
	for i > 0 && s[i]&0xc0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}

var numberRE = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$`)

// parseNumber parses a plain decimal number. strconv.ParseFloat alone
// would take "NaN", "Inf", "0x1p3" and "1_000"; they, empty values and
// numbers beyond float64 are refused. With decimalComma, "51,5" is 51.5.
func parseNumber(s string, decimalComma bool) (float64, error) {
	t := s
	if decimalComma && strings.Count(t, ",") == 1 && !strings.Contains(t, ".") {
		t = strings.Replace(t, ",", ".", 1)
	}
	if !numberRE.MatchString(t) {
		if s == "" {
			return 0, errors.New("is empty")
		}
		return 0, fmt.Errorf("%q is not a plain decimal number", clip(s))
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is out of range", clip(s))
	}
	return f, nil
}

// maxWKTCollection bounds a GEOMETRYCOLLECTION's WKT in bytes: orb's
// reader takes time quadratic in its length.
const maxWKTCollection = 16 << 10

var wktKeywords = map[string]bool{
	"POINT": true, "LINESTRING": true, "POLYGON": true, "MULTIPOINT": true, "MULTILINESTRING": true,
	"MULTIPOLYGON": true, "GEOMETRYCOLLECTION": true, "EMPTY": true,
}

// parseWKT reads a 2-D WKT geometry in WGS84 whose numbers are plain
// decimals. The error says what is wrong.
func parseWKT(s string) (g orb.Geometry, err error) {
	if head, rest, ok := strings.Cut(s, ";"); ok && strings.HasPrefix(strings.ToUpper(strings.TrimSpace(head)), "SRID=") {
		if srid := strings.TrimSpace(head[5:]); srid != "4326" {
			return nil, fmt.Errorf("SRID %s: only WGS84 longitude/latitude (SRID 4326) can be imported", clip(srid))
		}
		s = rest
	}
	// Check every token before orb's reader sees it: keywords, plain
	// numbers and punctuation only.
	tok := strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '(' || r == ')' || r == ',' || r == '\t' || r == '\n' || r == '\r'
	})
	if len(tok) == 0 {
		return nil, errors.New("is empty")
	}
	for i, t := range tok {
		if c := t[0]; ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') {
			up := strings.ToUpper(t)
			switch {
			case up == "Z" || up == "M" || up == "ZM" || strings.HasSuffix(up, "Z") && wktKeywords[strings.TrimSuffix(up, "Z")]:
				return nil, errors.New("only 2-D geometries (x y) can be imported, not Z or M")
			case !wktKeywords[up]:
				return nil, fmt.Errorf("%q is not WKT (numbers must be plain decimals, not NaN, Inf or hex)", clip(t))
			case i > 0 && up != "EMPTY" && !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(s)), "GEOMETRYCOLLECTION"):
				return nil, fmt.Errorf("unexpected %q", clip(t))
			}
			continue
		}
		if !numberRE.MatchString(t) {
			return nil, fmt.Errorf("%q is not a plain decimal number", clip(t))
		}
	}
	if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(s)), "GEOMETRYCOLLECTION") && len(s) > maxWKTCollection {
		return nil, fmt.Errorf("a GEOMETRYCOLLECTION is limited to %d KiB of WKT", maxWKTCollection>>10)
	}
	defer func() {
		if recover() != nil {
			g, err = nil, errors.New("is not valid WKT")
		}
	}()
	g, err = wkt.Unmarshal(s)
	if err != nil {
		return nil, fmt.Errorf("is not valid WKT: %v", err)
	}
	if isEmpty(g) {
		return nil, errors.New("is an empty geometry")
	}
	return g, nil
}

func isEmpty(g orb.Geometry) bool {
	switch g := g.(type) {
	case nil:
		return true
	case orb.MultiPoint:
		return len(g) == 0
	case orb.LineString:
		return len(g) == 0
	case orb.MultiLineString:
		return len(g) == 0
	case orb.Polygon:
		return len(g) == 0
	case orb.MultiPolygon:
		return len(g) == 0
	case orb.Collection:
		return len(g) == 0
	}
	return false
}
