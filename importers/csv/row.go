package csv

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
	"github.com/coopmap/coopmap/postcodes"
)

// candidates are the header names each field is found under, best first,
// as compared by norm.
var candidates = map[string][]string{
	"id":          {"id", "identifier", "ref", "reference", "key", "fid", "uid", "uuid"},
	"name":        {"name", "title", "label", "organisation", "organisationname", "organization", "organizationname", "orgname", "company", "companyname", "tradingname", "registeredname"},
	"lon":         {"lon", "lng", "long", "longitude", "x", "wgs84lon", "lonwgs84", "decimallongitude"},
	"lat":         {"lat", "latitude", "y", "wgs84lat", "latwgs84", "decimallatitude"},
	"wkt":         {"wkt", "geometry", "geom", "thegeom", "wktgeometry", "geometrywkt"},
	"postcode":    {"postcode", "postalcode", "zip", "zipcode", "pcd", "pcds"},
	"address":     {"address", "streetaddress", "fulladdress"},
	"sector":      {"sector", "category", "industry"},
	"org_type":    {"orgtype", "organisationtype", "organizationtype", "type", "legalform"},
	"website":     {"website", "url", "web", "homepage", "www", "websiteurl"},
	"email":       {"email", "emailaddress"},
	"description": {"description", "desc", "notes", "about", "summary"},
	"founded":     {"founded", "yearfounded", "established", "incorporationdate", "incorporated"},
	"status":      {"status"},
}

// norm folds a header name for comparison: lower case, letters and digits
// only.
func norm(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// rowParser turns records into features.
type rowParser struct {
	name         string
	e            importers.Emitter
	opts         Options
	pcs          *postcodes.Table
	mode         textMode
	decimalComma bool
	noted1252    bool
	lastLine     int

	header []string
	// col maps mapping keys to column indexes; -1 when absent.
	col map[string]int
	// props lists the columns that go into Properties, with their keys.
	props []propCol
	coops *coopsUK // non-nil for the Co-operatives UK layout
}

type propCol struct {
	i   int
	key string
}

func (p *rowParser) where(line int) string { return fmt.Sprintf("%s:%d", p.name, line) }

// setHeader reads the header and works out the layout.
func (p *rowParser) setHeader(rec []string) error {
	p.header = make([]string, len(rec))
	for i, h := range rec {
		h, _ = p.decode(h, 1)
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		p.header[i] = h
	}
	index := map[string]int{} // norm(name) → first column
	for i, h := range p.header {
		if _, dup := index[norm(h)]; !dup && norm(h) != "" {
			index[norm(h)] = i
		}
	}
	if p.opts.Mapping.IsZero() {
		if c := detectCoopsUK(index); c != nil {
			p.coops = c
			p.col = c.col
			p.props = c.propCols(p.header)
			return nil
		}
	}

	p.col = map[string]int{}
	used := map[int]bool{}
	for _, key := range mappingKeys {
		p.col[key] = -1
		if explicit := *p.opts.Mapping.field(key); explicit != "" {
			i, ok := index[norm(explicit)]
			if !ok {
				return coopmap.Invalidf("mapping."+key, "the mapping names column %q for %s, but %s has no such column (it has %s)",
					explicit, key, p.name, quoteList(p.header))
			}
			p.col[key] = i
			used[i] = true
		}
	}
	for _, key := range mappingKeys {
		if p.col[key] >= 0 {
			continue
		}
		for _, c := range candidates[key] {
			if i, ok := index[c]; ok && !used[i] {
				p.col[key] = i
				used[i] = true
				break
			}
		}
	}
	hasLon, hasLat := p.col["lon"] >= 0, p.col["lat"] >= 0
	switch {
	case hasLon != hasLat:
		have, want := "longitude", "latitude"
		if hasLat {
			have, want = want, have
		}
		return coopmap.Invalidf("mapping."+want[:3], "%s has a %s column (%q) but no %s column; name it with a mapping",
			p.name, have, p.header[max(p.col["lon"], p.col["lat"])], want)
	case !hasLon && p.col["wkt"] < 0 && p.col["postcode"] < 0:
		return coopmap.Invalidf("mapping", "%s: found no location columns among %s: name longitude and latitude columns (lon/lng/longitude/x and lat/latitude/y), a WKT column (wkt/geometry) or a postcode column, or map them explicitly",
			p.where(1), quoteList(p.header))
	}
	for i, h := range p.header {
		if used[i] {
			continue
		}
		key := h
		if key == "" {
			key = fmt.Sprintf("column_%d", i+1)
		}
		p.props = append(p.props, propCol{i, key})
	}
	return nil
}

func quoteList(h []string) string {
	q := make([]string, 0, len(h))
	for i, s := range h {
		if i == 12 {
			q = append(q, fmt.Sprintf("and %d more", len(h)-i))
			break
		}
		q = append(q, strconv.Quote(s))
	}
	return strings.Join(q, ", ")
}

// row turns one record into a feature or a problem. Its error means stop.
func (p *rowParser) row(line int, rec []string) error {
	where := p.where(line)
	for i := range rec {
		s, ok := p.decode(rec[i], line)
		if !ok {
			col := p.header[i]
			p.e.Problem(where, fmt.Sprintf("column %q is not valid UTF-8 (the encoding was given as UTF-8)", col))
			return nil
		}
		rec[i] = s
	}
	get := func(key string) string {
		if i := p.col[key]; i >= 0 {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var f coopmap.Feature
	var reason string
	if p.coops != nil {
		f, reason = p.coops.feature(p, where, rec, get)
	} else {
		f, reason = p.generic(where, rec, get)
	}
	if reason != "" {
		p.e.Problem(where, reason)
		return nil
	}
	return p.e.Feature(f, where)
}

// generic builds a feature from a CSV of no known layout.
func (p *rowParser) generic(where string, rec []string, get func(string) string) (coopmap.Feature, string) {
	f := coopmap.Feature{ID: get("id")}
	v := values{p: p, where: where}
	f.Name = v.text("name", get("name"), coopmap.MaxShort)
	f.Sector = v.text("sector", get("sector"), coopmap.MaxShort)
	f.OrgType = v.text("org_type", get("org_type"), coopmap.MaxShort)
	f.Address = v.text("address", oneLine(get("address")), coopmap.MaxShort)
	f.Description = v.text("description", get("description"), coopmap.MaxText)
	f.Status = v.text("status", get("status"), 100)
	f.Website = v.website(get("website"))
	f.Email = v.email(get("email"))
	f.Founded = v.founded(get("founded"))
	pc := get("postcode")
	f.Postcode = v.postcode(pc)
	f.Properties = v.properties(rec, p.props)

	prec := p.opts.Precision
	if prec == "" {
		prec = coopmap.PrecisionExact
	}
	if p.col["wkt"] >= 0 {
		if s := get("wkt"); s != "" {
			g, err := parseWKT(s)
			if err != nil {
				return f, fmt.Sprintf("wkt: %v", err)
			}
			f.Geometry, f.Precision = g, prec
			return f, ""
		}
	}
	if p.col["lon"] >= 0 {
		pt, ok, reason := p.lonLat(where, get("lon"), get("lat"), p.header[p.col["lon"]], p.header[p.col["lat"]])
		if reason != "" {
			return f, reason
		}
		if ok {
			f.Geometry, f.Precision = pt, prec
			return f, ""
		}
	}
	g, reason := p.byPostcode(pc)
	if reason != "" {
		return f, reason
	}
	f.Geometry, f.Precision = g, coopmap.PrecisionPostcode
	return f, ""
}

// lonLat parses a coordinate pair. ok is false when both are empty or
// both zero; reason is set when they are unusable. A pair that is
// obviously swapped (see swappedUK) is swapped back, with a note.
func (p *rowParser) lonLat(where, lonS, latS, lonCol, latCol string) (orb.Point, bool, string) {
	if lonS == "" && latS == "" {
		return orb.Point{}, false, ""
	}
	if lonS == "" || latS == "" {
		return orb.Point{}, false, fmt.Sprintf("has only one coordinate (%s %q, %s %q)", lonCol, lonS, latCol, latS)
	}
	lon, err := parseNumber(lonS, p.decimalComma)
	if err != nil {
		return orb.Point{}, false, fmt.Sprintf("%s: %v", lonCol, err)
	}
	lat, err := parseNumber(latS, p.decimalComma)
	if err != nil {
		return orb.Point{}, false, fmt.Sprintf("%s: %v", latCol, err)
	}
	if lon == 0 && lat == 0 {
		return orb.Point{}, false, "" // a placeholder, not a place in the Gulf of Guinea
	}
	if lon >= 1000 && lon <= 700_000 && lat >= 1000 && lat <= 1_300_000 {
		return orb.Point{}, false, fmt.Sprintf("%s/%s %s, %s look like British National Grid eastings and northings; coopmap needs WGS84 longitude and latitude", lonCol, latCol, lonS, latS)
	}
	if lon < -180 || lon > 180 {
		return orb.Point{}, false, fmt.Sprintf("%s: longitude %s is outside [-180, 180]", lonCol, lonS)
	}
	if lat < -90 || lat > 90 {
		return orb.Point{}, false, fmt.Sprintf("%s: latitude %s is outside [-90, 90]", latCol, latS)
	}
	if swappedUK(lon, lat) {
		importers.Note(p.e, where, fmt.Sprintf("%s %s and %s %s look swapped (a British latitude in the longitude column): read as longitude %s, latitude %s", lonCol, lonS, latCol, latS, latS, lonS))
		lon, lat = lat, lon
	}
	return orb.Point{lon, lat}, true, ""
}

// The British Isles, Channel Islands to Shetland, for swappedUK.
const (
	ukWest, ukEast   = -10.7, 2.1
	ukSouth, ukNorth = 49.8, 61.0
)

// swappedUK reports whether a longitude and latitude are obviously the
// wrong way round: as given they fall outside the British Isles (for the
// usual mistake, in the Indian Ocean or off West Africa, where no co-op
// register has entries), and swapped they fall inside. Data from
// elsewhere is never touched.
func swappedUK(lon, lat float64) bool {
	in := func(lon, lat float64) bool { return ukWest <= lon && lon <= ukEast && ukSouth <= lat && lat <= ukNorth }
	return !in(lon, lat) && in(lat, lon)
}

// byPostcode places a record by its postcode, or says why it cannot.
func (p *rowParser) byPostcode(pc string) (orb.Geometry, string) {
	switch {
	case pc == "" && p.col["postcode"] < 0:
		return nil, "no location: no coordinates"
	case pc == "":
		return nil, "no location: no coordinates and no postcode"
	case p.pcs == nil:
		return nil, fmt.Sprintf("no coordinates, and postcode %q cannot be placed: no postcode table was given", pc)
	}
	pt, ok := p.pcs.Lookup(pc)
	if !ok {
		return nil, fmt.Sprintf("no coordinates, and postcode %q is not in the postcode table", pc)
	}
	return pt, ""
}

// oneLine joins the lines of a multi-line value with ", ".
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	out := parts[:0]
	for _, x := range parts {
		if x = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(x), ",")); x != "" {
			out = append(out, x)
		}
	}
	return strings.Join(out, ", ")
}
