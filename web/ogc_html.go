package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

//go:embed templates/ogc/*.html
var pageFiles embed.FS

// pageNames are the OGC API's HTML pages, each a file in templates/ogc
// that fills the layout's "title" and "content".
var pageNames = []string{"landing", "conformance", "collections", "collection", "queryables", "items", "item"}

// parsePages parses every page with the layout. The templates are part of
// the binary, so a parse error is a bug that every test run shows.
func parsePages() map[string]*template.Template {
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		pages[name] = template.Must(template.ParseFS(pageFiles, "templates/ogc/layout.html", "templates/ogc/"+name+".html"))
	}
	return pages
}

// page renders the named HTML page with data; all data reaches the page
// through html/template's contextual escaping.
func (o *ogcState) page(name string, data any) ([]byte, error) {
	t, ok := o.pages[name]
	if !ok {
		return nil, fmt.Errorf("web: no HTML page %q", name)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		return nil, fmt.Errorf("web: rendering page %q: %w", name, err)
	}
	return b.Bytes(), nil
}

// htmlHeaders sets the headers of an HTML page: no scripts at all, styles
// only inline.
func htmlHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
}

// htmlFeature is a feature as the HTML pages show it.
type htmlFeature struct {
	ID, Name, Href, Where, Summary string
	Props                          []keyValue
	Collection, CollectionTitle    string
	Head                           collectionHead
	Links                          []link
}

type keyValue struct{ Key, Value string }

// toHTML describes f for the HTML pages.
func toHTML(c collection, f coopmap.Feature) (htmlFeature, error) {
	h := htmlFeature{ID: f.ID, Name: f.Name, Href: "/collections/" + c.ID + "/items/" + url.PathEscape(f.ID) + "?f=html",
		Where: where(f.Geometry), Collection: c.ID, CollectionTitle: c.Title}
	raw, err := featureProperties(f)
	if err != nil {
		return h, err
	}
	var props map[string]any
	if err := json.Unmarshal(raw, &props); err != nil {
		return h, err
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var summary []string
	for _, k := range keys {
		v := props[k]
		s, ok := v.(string)
		if !ok {
			b, _ := json.Marshal(v)
			s = string(b)
		}
		h.Props = append(h.Props, keyValue{k, s})
		if (k == "sector" || k == "org_type" || k == "postcode" || k == "tour_id") && s != "" {
			summary = append(summary, s)
		}
	}
	h.Summary = strings.Join(summary, " · ")
	return h, nil
}

// where describes a geometry in words: a point's coordinates, or the type
// and bounds of anything else.
func where(g orb.Geometry) string {
	switch g := g.(type) {
	case nil:
		return "not known"
	case orb.Point:
		return fmt.Sprintf("%.5f, %.5f (lon, lat)", g[0], g[1])
	default:
		b := g.Bound()
		return fmt.Sprintf("%s within %.4f, %.4f to %.4f, %.4f (lon, lat)", g.GeoJSONType(), b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	}
}

// itemsHTML renders a page of features as an HTML table.
func (s *Server) itemsHTML(w http.ResponseWriter, r *http.Request, c collection, head collectionHead, page coopmap.Page) error {
	data := struct {
		Title string
		Head  collectionHead
		Rows  []htmlFeature
	}{Title: c.Title, Head: head}
	for _, f := range page.Features {
		h, err := toHTML(c, f)
		if err != nil {
			return err
		}
		data.Rows = append(data.Rows, h)
	}
	body, err := s.ogc.page("items", data)
	if err != nil {
		return err
	}
	htmlHeaders(w)
	w.Header().Set("Content-Type", mediaHTML+"; charset=utf-8")
	_, err = w.Write(body)
	return err
}

// itemHTML renders one feature as an HTML page.
func (s *Server) itemHTML(w http.ResponseWriter, c collection, f coopmap.Feature, links []link) error {
	h, err := toHTML(c, f)
	if err != nil {
		return err
	}
	h.Head = collectionHead{Licence: c.licences(), Attribution: c.attribution()}
	h.Links = links
	body, err := s.ogc.page("item", h)
	if err != nil {
		return err
	}
	htmlHeaders(w)
	w.Header().Set("Content-Type", mediaHTML+"; charset=utf-8")
	_, err = w.Write(body)
	return err
}
