package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

//go:embed templates/pages/*.html
var recordTemplates embed.FS

// pageState is what the map app and the record pages keep for the life
// of the server: the built front end, the basemap, the CSP they are sent
// with, the record page template and the map's point sets.
type pageState struct {
	frontend *frontend
	basemap  Basemap
	csp      string
	record   *template.Template
	notFound *template.Template // the HTML 404 of the record pages
	points   *pointSets
}

// newPageState loads the embedded front end and templates. A front end
// that fails to load is logged and left out, so the API still serves.
func newPageState(cfg Config, log *slog.Logger) *pageState {
	fe, err := loadFrontend(frontendFiles)
	if err != nil {
		log.Error("web map left out", "err", err)
		fe = &frontend{}
	}
	bm := cfg.Basemap.withDefaults()
	tiles := ""
	if bm.URL != "" {
		if origin, err := tileOrigin(bm.URL); err == nil {
			tiles = origin
		}
	}
	return &pageState{
		frontend: fe, basemap: bm, csp: appCSP(tiles, cfg.FrameAncestors),
		record: template.Must(template.New("record.html").Funcs(template.FuncMap{
			"httpURL": isHTTPURL,
		}).ParseFS(recordTemplates, "templates/pages/record.html")),
		notFound: template.Must(template.ParseFS(recordTemplates, "templates/pages/notfound.html")),
		points:   newPointSets(),
	}
}

// pageRoutes registers the record pages and the map's data.
func (s *Server) pageRoutes(r chi.Router) {
	s.staticRoutes(r)
	r.Group(func(r chi.Router) {
		r.Use(middleware.Compress(5, mediaHTML, mediaJSON))
		r.Get("/coops/{id}", s.handle(s.htmlNotFound(s.coopPage)))
		r.Get("/features/{collection}/{id}", s.handle(s.htmlNotFound(s.featurePage)))
		r.Get("/moderate", s.handle(s.moderatePage))
	})
	// Gzipped once per version, not per request.
	r.Get("/map/points/{collection}", s.handle(s.mapPoints(partFull)))
	r.Get("/map/points/{collection}/"+partPositions, s.handle(s.mapPoints(partPositions)))
	r.Get("/map/points/{collection}/"+partLabels, s.handle(s.mapPoints(partLabels)))
}

// coopPage serves /coops/{id}: the page of one co-op. A record that is
// not a co-op is redirected to its /features page.
func (s *Server) coopPage(w http.ResponseWriter, r *http.Request) error {
	f, src, err := s.record(r, chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	if src.Kind != coopmap.KindCoops {
		http.Redirect(w, r, featurePath(f), http.StatusMovedPermanently)
		return nil
	}
	return s.renderRecord(w, r, f, src)
}

// featurePage serves /features/{collection}/{id}: the page of any record
// of a co-op or overlay source.
func (s *Server) featurePage(w http.ResponseWriter, r *http.Request) error {
	f, src, err := s.record(r, chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	if f.SourceID != chi.URLParam(r, "collection") {
		return coopmap.NotFoundf("no record %q in collection %q", clipParam(f.ID), clipParam(chi.URLParam(r, "collection")))
	}
	return s.renderRecord(w, r, f, src)
}

// htmlNotFound makes a record page answer a browser that asks for a
// missing record with an HTML 404 page (the record pages' look, a link
// back to the map) instead of a problem document. Clients that prefer
// JSON, or send no Accept header, still get the problem; every other
// error is unchanged.
func (s *Server) htmlNotFound(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := h(w, r)
		if coopmap.ErrorCode(err) != coopmap.CodeNotFound || !prefersHTML(r) {
			return err
		}
		var b bytes.Buffer
		page := struct {
			Path   string
			Styles []string
		}{clipParam(r.URL.Path), s.pages.frontend.recordCSS}
		if terr := s.pages.notFound.Execute(&b, page); terr != nil {
			return fmt.Errorf("web: rendering the not-found page: %w", terr)
		}
		pageHeaders(w, s.pages.csp)
		hdr := w.Header()
		hdr.Set("Content-Type", mediaHTML+"; charset=utf-8")
		hdr.Set("Cache-Control", "no-store")
		hdr.Set("Vary", "Accept")
		w.WriteHeader(http.StatusNotFound)
		_, werr := w.Write(b.Bytes())
		return werr
	}
}

// prefersHTML reports whether the client's Accept header ranks HTML above
// JSON. A record page's query string is ignored (it may carry a
// campaign's tags), so f= does not count here.
func prefersHTML(r *http.Request) bool {
	q := r.Clone(r.Context())
	q.URL.RawQuery = ""
	f, err := negotiate(q, formatJSON, formatHTML)
	return err == nil && f == formatHTML
}

// record reads a record and its source for a page. Query parameters are
// ignored: a page link may carry a campaign's tags.
func (s *Server) record(r *http.Request, id string) (coopmap.Feature, coopmap.Source, error) {
	f, err := s.store.Feature(r.Context(), id)
	if err != nil {
		return f, coopmap.Source{}, err
	}
	src, err := s.store.Source(r.Context(), f.SourceID)
	if err != nil {
		return f, src, err
	}
	if src.Kind == coopmap.KindTours {
		return f, src, coopmap.NotFoundf("no record %q", clipParam(id))
	}
	return f, src, nil
}

// coopPath and featurePath are the record pages' paths.
func coopPath(id string) string { return "/coops/" + url.PathEscape(id) }

func featurePath(f coopmap.Feature) string {
	return "/features/" + url.PathEscape(f.SourceID) + "/" + url.PathEscape(f.ID)
}

// recordPage is the data of the record page template.
type recordPage struct {
	Title, Description, Canonical, GeoJSON, MapLink, SiteURL string
	Feature                                                  coopmap.Feature
	Source                                                   coopmap.Source
	Licence                                                  coopmap.Licence
	Fields, Extra                                            []keyValue
	Lon, Lat                                                 string
	HasPoint                                                 bool
	Basemap                                                  Basemap
	Script                                                   string
	Styles                                                   []string
	Updated, Retrieved, SourceUpdated                        string
}

// renderRecord writes the record page of f.
func (s *Server) renderRecord(w http.ResponseWriter, r *http.Request, f coopmap.Feature, src coopmap.Source) error {
	base := baseURL(r)
	p := recordPage{
		Title: f.Name, Feature: f, Source: src, Licence: src.Licence.Complete(), SiteURL: base,
		GeoJSON:       "/collections/" + url.PathEscape(src.ID) + "/items/" + url.PathEscape(f.ID) + "?f=json",
		MapLink:       "/?sel=" + url.QueryEscape(f.ID),
		Basemap:       s.pages.basemap,
		Script:        s.pages.frontend.recordJS,
		Styles:        s.pages.frontend.recordCSS,
		Updated:       when(f.UpdatedAt),
		Retrieved:     when(src.RetrievedAt),
		SourceUpdated: when(src.UpdatedAt),
	}
	if p.Title == "" {
		p.Title = f.ID
	}
	p.Canonical = base + featurePath(f)
	if src.Kind == coopmap.KindCoops {
		p.Canonical = base + coopPath(f.ID)
	}
	p.Description = recordSummary(f, src)
	if g := f.Geometry; g != nil {
		c := g.Bound().Center()
		p.Lon, p.Lat, p.HasPoint = pageCoord(c[0]), pageCoord(c[1]), true
		p.MapLink += fmt.Sprintf("#map=%d/%s/%s", 15, p.Lat, p.Lon)
	}
	p.Fields = []keyValue{
		{"Sector", f.Sector}, {"Organisation type", f.OrgType}, {"Address", f.Address}, {"Postcode", f.Postcode},
		{"Email", f.Email}, {"Founded", f.Founded}, {"Status", f.Status},
		{"Description", f.Description}, {"Location precision", string(f.Precision)},
		{"Geometry", geometryType(f.Geometry)}, {"Record id", f.ID}, {"Record version", strconv.FormatInt(f.Version, 10)},
	}
	p.Fields = slices.DeleteFunc(p.Fields, func(kv keyValue) bool { return kv.Value == "" })
	keys := make([]string, 0, len(f.Properties))
	for k := range f.Properties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p.Extra = append(p.Extra, keyValue{k, propertyText(f.Properties[k])})
	}
	var b bytes.Buffer
	if err := s.pages.record.Execute(&b, p); err != nil {
		return fmt.Errorf("web: rendering record page: %w", err)
	}
	pageHeaders(w, s.pages.csp)
	w.Header().Set("Cache-Control", "no-cache")
	return writeDoc(w, r, mediaHTML+"; charset=utf-8", b.Bytes(), f.UpdatedAt)
}

// recordSummary is the one-line description of a record for search
// engines and link previews.
func recordSummary(f coopmap.Feature, src coopmap.Source) string {
	var parts []string
	for _, v := range []string{f.Sector, f.OrgType, f.Address, f.Postcode} {
		if v != "" {
			parts = append(parts, v)
		}
	}
	if len(parts) == 0 {
		parts = append(parts, src.Title)
	}
	return strings.Join(parts, " · ")
}

// when formats a time for a page, or "" for the zero time.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 January 2006, 15:04 UTC")
}

// pageCoord formats a longitude or latitude to about a metre.
func pageCoord(v float64) string { return strconv.FormatFloat(v, 'f', 5, 64) }

// geometryType names a geometry for people.
func geometryType(g orb.Geometry) string {
	if g == nil {
		return ""
	}
	return g.GeoJSONType()
}

// propertyText shows a source property: strings as they are, anything
// else as JSON.
func propertyText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// moderateConfig is what the moderation page is told when it loads: the
// basemap of its position maps and the sources whose suggestions it may
// list (the page asks for each with the moderator's token).
type moderateConfig struct {
	Basemap Basemap     `json:"basemap"`
	Sources []mapSource `json:"sources"`
}

// moderatePage serves /moderate, the moderation page (moderate.html of
// the front end). The page is public, as it holds nothing: the
// suggestions are fetched by its script with the moderator's token, which
// the write API checks (docs/API.md, "Suggestions").
func (s *Server) moderatePage(w http.ResponseWriter, r *http.Request) error {
	if _, err := params(r.URL.RawQuery); err != nil {
		return err
	}
	fe := s.pages.frontend
	var page []byte
	if fe.assets != nil {
		page, _ = fs.ReadFile(fe.assets, "moderate.html")
	}
	head, tail, ok := bytes.Cut(page, []byte(configMarker))
	if !ok {
		pageHeaders(w, "default-src 'none'; frame-ancestors *")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, err := fmt.Fprintln(w, "The moderation page was not built into this binary: run `make build` (it runs npm in web/frontend).")
		return err
	}
	srcs, err := s.store.Sources(r.Context())
	if err != nil {
		return err
	}
	cfg := moderateConfig{Basemap: s.pages.basemap, Sources: []mapSource{}}
	for _, src := range srcs {
		if src.Kind == coopmap.KindTours {
			continue
		}
		cfg.Sources = append(cfg.Sources, mapSource{ID: src.ID, Title: src.Title, Kind: src.Kind, Count: src.FeatureCount,
			Licence: src.Licence.Complete(), Attribution: src.Attribution, Updated: src.UpdatedAt, Version: src.Version})
	}
	js, err := json.Marshal(cfg) // escapes <, > and &: the settings cannot end their script element
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.Write(head)
	b.WriteString(`<script type="application/json" id="coopmap-config">`)
	b.Write(js)
	b.WriteString(`</script>`)
	b.Write(tail)
	pageHeaders(w, s.pages.csp)
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Robots-Tag", "noindex")
	return writeDoc(w, r, mediaHTML+"; charset=utf-8", b.Bytes(), time.Time{})
}
