package web

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/coopmap/coopmap"
)

// items serves /collections/{collection}/items: one page of features as
// GeoJSON or HTML.
func (s *Server) items(w http.ResponseWriter, r *http.Request) error {
	c, format, v, err := s.collectionRequest(r, collection.queryables, itemsParams...)
	if err != nil {
		return err
	}
	q, err := itemsQuery(v, c.queryables())
	if err != nil {
		return err
	}
	// The collection's version was read before the features, so the tag
	// never labels newer content with an older version.
	base := baseURL(r)
	if notModified(w, r, etag("items", c.version, format, base, v.Encode()), c.updated) {
		return nil
	}
	var page coopmap.Page
	if c.tours {
		fs, err := s.tourFeatures(r.Context(), c)
		if err != nil {
			return err
		}
		page, err = memPage(fs, q)
		if err != nil {
			return err
		}
	} else {
		q.Sources = []string{c.ID}
		if page, err = s.store.Features(r.Context(), q); err != nil {
			return err
		}
	}
	links := pageLinks(base, "/collections/"+c.ID+"/items", v, format, page)
	links = append(links, link{Href: base + "/collections/" + c.ID + "?f=json", Rel: "collection", Type: mediaJSON, Title: c.Title})
	links = append(links, licenceLinks(c)...)
	head := collectionHead{Type: "FeatureCollection", NumberMatched: page.Matched, NumberReturned: len(page.Features),
		TimeStamp: time.Now().UTC().Format(time.RFC3339), Licence: c.licences(), Attribution: c.attribution(), Links: links}
	if format == formatHTML {
		return s.itemsHTML(w, r, c, head, page)
	}
	return writeFeatureCollection(w, head, page.Features)
}

// pageLinks returns the self, alternate, next and prev links of an items
// page. The paging links keep every parameter but the cursors.
func pageLinks(base, path string, v url.Values, format string, page coopmap.Page) []link {
	keep := url.Values{}
	for k, vs := range v {
		if k != "after" && k != "before" && k != "f" {
			keep[k] = vs
		}
	}
	self := url.Values{}
	for k, vs := range v {
		if k != "f" {
			self[k] = vs
		}
	}
	links := selfLinks(base, path, self.Encode(), format, mediaGeoJSON)
	mediaType := mediaGeoJSON
	if format == formatHTML {
		mediaType = mediaHTML
	}
	for _, p := range []struct{ rel, param, cursor string }{{"next", "after", page.Next}, {"prev", "before", page.Prev}} {
		if p.cursor == "" {
			continue
		}
		u := url.Values{}
		for k, vs := range keep {
			u[k] = vs
		}
		u.Set(p.param, p.cursor)
		u.Set("f", format)
		links = append(links, link{Href: base + path + "?" + u.Encode(), Rel: p.rel, Type: mediaType, Title: p.rel + " page"})
	}
	return links
}

// collectionHead is a FeatureCollection's members other than its features,
// with the licence and attribution as foreign members.
type collectionHead struct {
	Type           string            `json:"type"`
	NumberMatched  int               `json:"numberMatched"`
	NumberReturned int               `json:"numberReturned"`
	TimeStamp      string            `json:"timeStamp"`
	Licence        []coopmap.Licence `json:"licence"`
	Attribution    string            `json:"attribution"`
	Links          []link            `json:"links"`
}

// writeFeatureCollection streams a GeoJSON FeatureCollection, encoding one
// feature at a time.
func writeFeatureCollection(w http.ResponseWriter, head collectionHead, fs []coopmap.Feature) error {
	h, err := jsonBytes(head)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", mediaGeoJSON)
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(bytes.TrimRight(h, "}\n"))
	bw.WriteString(`,"features":[`)
	var buf []byte
	for i, f := range fs {
		if i > 0 {
			bw.WriteByte(',')
		}
		if buf, err = appendFeature(buf[:0], f, nil); err != nil {
			return err
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

// builtinProps are the properties every feature may have, in the order
// they are written; a source's own properties follow. A source's own
// property with one of these names is served as "properties.<name>".
var builtinProps = []string{"source", "name", "sector", "org_type", "address", "postcode", "website", "email",
	"description", "founded", "status", "precision", "updated", "version"}

// appendFeature appends f as a GeoJSON Feature, with links when given. It
// writes the JSON by hand: a page of 1,000 features is encoded several
// times faster than through reflection, and the encoding is most of an
// items request's time.
func appendFeature(b []byte, f coopmap.Feature, links []link) ([]byte, error) {
	b = append(b, `{"type":"Feature","id":`...)
	b = appendJSONString(b, f.ID)
	b = append(b, `,"geometry":`...)
	switch g := f.Geometry.(type) {
	case nil:
		b = append(b, "null"...)
	case orb.Point:
		b = append(b, `{"type":"Point","coordinates":[`...)
		b = strconv.AppendFloat(b, g[0], 'f', -1, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, g[1], 'f', -1, 64)
		b = append(b, "]}"...)
	default:
		gj, err := geojson.NewGeometry(g).MarshalJSON()
		if err != nil {
			return b, err
		}
		b = append(b, gj...)
	}
	b = append(b, `,"properties":`...)
	b, err := appendProperties(b, f)
	if err != nil {
		return b, err
	}
	if len(links) > 0 {
		l, err := json.Marshal(links)
		if err != nil {
			return b, err
		}
		b = append(b, `,"links":`...)
		b = append(b, l...)
	}
	return append(b, '}'), nil
}

// featureProperties returns the JSON object of f's properties.
func featureProperties(f coopmap.Feature) ([]byte, error) { return appendProperties(nil, f) }

// appendProperties appends the JSON object of f's properties: source and
// version always, the other built-in ones when not empty, then the
// source's own.
func appendProperties(b []byte, f coopmap.Feature) ([]byte, error) {
	b = append(b, `{"source":`...)
	b = appendJSONString(b, f.SourceID)
	for i, v := range [...]string{f.Name, f.Sector, f.OrgType, f.Address, f.Postcode, f.Website, f.Email,
		f.Description, f.Founded, f.Status, string(f.Precision)} {
		if v != "" {
			b = append(b, ',', '"')
			b = append(b, builtinProps[i+1]...)
			b = append(b, '"', ':')
			b = appendJSONString(b, v)
		}
	}
	if !f.UpdatedAt.IsZero() {
		b = append(b, `,"updated":"`...)
		b = f.UpdatedAt.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		b = append(b, '"')
	}
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, f.Version, 10)
	if len(f.Properties) > 0 {
		extra := make(map[string]any, len(f.Properties))
		for k, v := range f.Properties {
			if slices.Contains(builtinProps, k) {
				k = "properties." + k
			}
			extra[k] = v
		}
		more, err := json.Marshal(extra)
		if err != nil {
			return nil, err
		}
		b = append(b, ',')
		b = append(b, more[1:len(more)-1]...)
	}
	return append(b, '}'), nil
}

// appendJSONString appends s as a JSON string, as encoding/json writes it
// with HTML escaping off: invalid UTF-8 becomes U+FFFD, and U+2028 and
// U+2029 are escaped for JavaScript.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// item serves /collections/{collection}/items/{feature}.
func (s *Server) item(w http.ResponseWriter, r *http.Request) error {
	c, format, _, err := s.collectionRequest(r, nil, "f")
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "feature")
	missing := coopmap.NotFoundf("collection %q has no feature %q", c.ID, clipParam(id))
	var f coopmap.Feature
	if c.tours {
		fs, err := s.tourFeatures(r.Context(), c)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(fs, func(f coopmap.Feature) bool { return f.ID == id })
		if i < 0 {
			return missing
		}
		f = fs[i]
	} else {
		f, err = s.store.Feature(r.Context(), id)
		if coopmap.ErrorCode(err) == coopmap.CodeNotFound || (err == nil && f.SourceID != c.ID) {
			return missing
		}
		if err != nil {
			return err
		}
	}
	base := baseURL(r)
	path := "/collections/" + c.ID + "/items/" + url.PathEscape(f.ID)
	modified := f.UpdatedAt
	if notModified(w, r, itemTag(c, format, base, f), modified) {
		return nil
	}
	links := itemLinks(c, base, path, format)
	if format == formatHTML {
		return s.itemHTML(w, c, f, links)
	}
	b, err := itemJSON(c, f, links)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", mediaGeoJSON)
	_, err = w.Write(b)
	return err
}

// itemTag is the entity tag of a record's page in one format: its version
// (which If-Match names, see versionTag) and a digest of what else the
// page shows (the collection's licence and title, the links' base).
func itemTag(c collection, format, base string, f coopmap.Feature) string {
	return versionTag(f.Version, "item", c.version, format, base, f.ID)
}

// itemLinks returns the links of a record's page.
func itemLinks(c collection, base, path, format string) []link {
	links := append(selfLinks(base, path, "", format, mediaGeoJSON),
		link{Href: base + "/collections/" + c.ID + "?f=json", Rel: "collection", Type: mediaJSON, Title: c.Title})
	return append(links, licenceLinks(c)...)
}

// itemJSON returns a record as a GeoJSON Feature with its links, licence
// and attribution.
func itemJSON(c collection, f coopmap.Feature, links []link) ([]byte, error) {
	b, err := appendFeature(nil, f, links)
	if err != nil {
		return nil, err
	}
	// Licence and attribution travel with the single feature too.
	tail, err := jsonBytes(struct {
		Licence     []coopmap.Licence `json:"licence"`
		Attribution string            `json:"attribution"`
	}{c.licences(), c.attribution()})
	if err != nil {
		return nil, err
	}
	return append(append(b[:len(b)-1], ','), bytes.TrimLeft(tail, "{")...), nil
}

// tourFeatures returns the features of the tours or tour-stops collection:
// every tour of the collection's sources, or every stop of those tours.
//
// A tour's geometry is its route, or else the line through its located
// stops (a point for one). A stop's id is the tour's id and its position
// from 1 ("north-london.3"); a stop whose record no longer exists has no
// geometry.
func (s *Server) tourFeatures(ctx context.Context, c collection) ([]coopmap.Feature, error) {
	var out []coopmap.Feature
	for _, src := range c.Sources {
		tours, err := s.store.Tours(ctx, src.ID)
		if err != nil {
			return nil, err
		}
		for _, t := range tours {
			if c.ID == toursCollection {
				out = append(out, tourFeature(t))
				continue
			}
			for i, st := range t.Stops {
				f := coopmap.Feature{ID: t.ID + "." + strconv.Itoa(i+1), SourceID: t.SourceID, Name: st.Name,
					Description: st.Note, UpdatedAt: t.UpdatedAt, Version: t.Version,
					Properties: map[string]any{"tour_id": t.ID, "tour_title": t.Title, "position": i + 1}}
				if st.FeatureID != "" {
					f.Properties["feature_id"] = st.FeatureID
				}
				if st.Unresolved {
					f.Properties["unresolved"] = true
				} else {
					f.Geometry = st.Location
				}
				out = append(out, f)
			}
		}
	}
	slices.SortFunc(out, func(a, b coopmap.Feature) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// tourFeature returns a tour as a feature.
func tourFeature(t coopmap.Tour) coopmap.Feature {
	f := coopmap.Feature{ID: t.ID, SourceID: t.SourceID, Name: t.Title, Description: t.Description,
		UpdatedAt: t.UpdatedAt, Version: t.Version,
		Properties: map[string]any{"region": t.Region, "distance_m": t.DistanceM, "stops": len(t.Stops)}}
	var line orb.LineString
	for _, st := range t.Stops {
		if !st.Unresolved {
			line = append(line, st.Location)
		}
	}
	switch {
	case t.Route != nil:
		f.Geometry = t.Route
	case len(line) >= 2:
		f.Geometry = line
	case len(line) == 1:
		f.Geometry = line[0]
	}
	return f
}

// memPage answers a query over features held in memory (the tour
// collections, which are small) with the stores' semantics: the same
// filters, order, cursors and counts.
func memPage(all []coopmap.Feature, q coopmap.Query) (coopmap.Page, error) {
	q, pos, err := q.Normalize()
	if err != nil {
		return coopmap.Page{}, err
	}
	var match []coopmap.Feature
	for _, f := range all {
		switch {
		case q.BBox != nil && (f.Geometry == nil || !q.BBox.Intersects(f.Geometry.Bound())),
			q.Sector != "" && f.Sector != q.Sector,
			q.OrgType != "" && f.OrgType != q.OrgType,
			q.Status != "" && f.Status != q.Status,
			!q.Updated.From.IsZero() && f.UpdatedAt.Before(q.Updated.From.Truncate(time.Millisecond)),
			!q.Updated.To.IsZero() && f.UpdatedAt.After(q.Updated.To.Truncate(time.Millisecond)),
			q.Text != "" && !strings.Contains(f.SearchText(), q.Text):
			continue
		}
		match = append(match, f)
	}
	key := func(f coopmap.Feature) coopmap.Position {
		return coopmap.Position{ID: f.ID, Name: f.Name, Updated: f.UpdatedAt.UTC().Truncate(time.Millisecond)}
	}
	compare := func(a, b coopmap.Position) int {
		c := 0
		switch q.Sort.Field {
		case coopmap.SortName:
			c = strings.Compare(a.Name, b.Name)
		case coopmap.SortUpdated:
			c = a.Updated.Compare(b.Updated)
		}
		return cmp.Or(c, strings.Compare(a.ID, b.ID))
	}
	desc := q.Descending(pos)
	slices.SortFunc(match, func(a, b coopmap.Feature) int {
		if desc {
			return compare(key(b), key(a))
		}
		return compare(key(a), key(b))
	})
	rows := match
	if !pos.IsZero() {
		i := slices.IndexFunc(match, func(f coopmap.Feature) bool {
			c := compare(key(f), pos)
			return (!desc && c > 0) || (desc && c < 0)
		})
		if i < 0 {
			i = len(match)
		}
		rows = match[i:]
	}
	rows = slices.Clone(rows[:min(len(rows), q.Limit+1)])
	return q.Finish(rows, pos, len(match)), nil
}
