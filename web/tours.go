package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/export"
)

// mediaGPX is the media type of GPX files.
const mediaGPX = "application/gpx+xml"

// tourRoutes registers /tours and /tours/{id} (JSON for API clients, HTML
// pages for browsers), /tours/{id}.gpx, the printable cue sheet
// /tours/{id}/cues and the planner /plan.
func (s *Server) tourRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(middleware.Compress(5, mediaJSON, mediaGPX, mediaHTML))
		r.Get("/tours", s.handle(s.toursHandler))
		r.Get("/tours/{file}", s.handle(s.tourNotFound(s.tourHandler)))
		r.Get("/tours/{id}/cues", s.handle(s.tourCuesPage))
		r.Get("/plan", s.handle(s.planPage))
	})
}

// The JSON of /tours and /tours/{id} (docs/API.md, "Tours").
type (
	tourList struct {
		Tours []tourSummary `json:"tours"`
		Links []link        `json:"links"`
	}
	tourSummary struct {
		ID          string          `json:"id"`
		SourceID    string          `json:"source_id"`
		Title       string          `json:"title"`
		Region      string          `json:"region,omitempty"`
		Description string          `json:"description,omitempty"`
		Stops       int             `json:"stops"`
		Routed      bool            `json:"routed"`
		DistanceM   float64         `json:"distance_m"`
		DurationS   float64         `json:"duration_s"`
		Licence     coopmap.Licence `json:"licence"`
		Attribution string          `json:"attribution"`
		UpdatedAt   time.Time       `json:"updated_at,omitzero"`
		Version     int64           `json:"version"`
		Links       []link          `json:"links"`
	}
	tourDoc struct {
		tourSummary
		StopList []tourStop    `json:"stops"`
		Legs     []tourLeg     `json:"legs"`
		Route    *lineGeometry `json:"route"`
		// Sources are the tour's source (whose licence covers the route)
		// and the sources of the records its stops reference.
		Sources []tourSource `json:"sources"`
	}
	tourStop struct {
		Position   int         `json:"position"`
		FeatureID  string      `json:"feature_id,omitempty"`
		Name       string      `json:"name"`
		Location   *[2]float64 `json:"location"`
		Note       string      `json:"note,omitempty"`
		Unresolved bool        `json:"unresolved,omitempty"`
		Page       string      `json:"page,omitempty"`
	}
	tourLeg struct {
		From      int          `json:"from"`
		To        int          `json:"to"`
		DistanceM float64      `json:"distance_m"`
		DurationS float64      `json:"duration_s"`
		Geometry  lineGeometry `json:"geometry"`
	}
	lineGeometry struct {
		Type        string       `json:"type"`
		Coordinates [][2]float64 `json:"coordinates"`
	}
	tourSource struct {
		ID          string          `json:"id"`
		Title       string          `json:"title"`
		Role        string          `json:"role"`
		Licence     coopmap.Licence `json:"licence"`
		Attribution string          `json:"attribution"`
	}
)

// toursHandler answers /tours: every tour, without geometry, with its
// licence and links to its JSON and GPX; as an HTML page for a browser
// (Accept: text/html, or ?f=html) and as JSON otherwise (?f=json). Other
// query parameters are ignored, as on record pages.
func (s *Server) toursHandler(w http.ResponseWriter, r *http.Request) error {
	format, err := negotiate(r, formatJSON, formatHTML)
	if err != nil {
		return err
	}
	w.Header().Add("Vary", "Accept")
	srcs, err := s.sourceMap(r.Context())
	if err != nil {
		return err
	}
	ts, err := s.store.Tours(r.Context(), "")
	if err != nil {
		return err
	}
	base := baseURL(r)
	doc := tourList{Tours: make([]tourSummary, len(ts)), Links: []link{{Href: base + "/tours", Rel: "self", Type: mediaJSON}}}
	var modified time.Time
	for i, t := range ts {
		doc.Tours[i] = summary(base, t, srcs[t.SourceID])
		if t.UpdatedAt.After(modified) {
			modified = t.UpdatedAt
		}
	}
	if format == formatHTML {
		return s.renderToursPage(w, r, doc, modified)
	}
	return writeJSONDoc(w, r, doc, modified)
}

// tourHandler answers /tours/{id} with the tour as an HTML page for a
// browser (Accept: text/html, or ?f=html) and as JSON otherwise,
// /tours/{id}.json with JSON and /tours/{id}.gpx with GPX 1.1.
func (s *Server) tourHandler(w http.ResponseWriter, r *http.Request) error {
	file := chi.URLParam(r, "file")
	id, ext, _ := strings.Cut(file, ".")
	if ext != "" && ext != "json" && ext != "gpx" {
		return coopmap.NotFoundf("no tour file %q: use /tours/{id} or /tours/{id}.json for JSON, /tours/{id}.gpx for GPX", clipParam(file))
	}
	format := formatJSON
	if ext == "" {
		var err error
		if format, err = negotiate(r, formatJSON, formatHTML); err != nil {
			return err
		}
		w.Header().Add("Vary", "Accept")
	}
	t, err := s.tour(r, id)
	if err != nil {
		return err
	}
	srcs, err := s.sourceMap(r.Context())
	if err != nil {
		return err
	}
	if ext == "gpx" {
		return s.writeTourGPX(w, r, t, srcs[t.SourceID], srcs, t.ID, t.UpdatedAt)
	}
	doc := tourDocument(baseURL(r), t, srcs)
	if format == formatHTML {
		return s.renderTourPage(w, r, doc, t)
	}
	return s.writeTourDoc(w, r, t) // its ETag names its version, for If-Match (write_tours.go)
}

// tour reads the tour a path names. The error is not found for an id
// that is not a slug, or the store's.
func (s *Server) tour(r *http.Request, id string) (coopmap.Tour, error) {
	if !coopmap.ValidSlug(id) {
		return coopmap.Tour{}, coopmap.NotFoundf("no tour %q: tour ids are lower-case letters, digits and hyphens", clipParam(id))
	}
	return s.store.Tour(r.Context(), id)
}

// writeTourGPX sends t as a GPX 1.1 attachment named name.gpx, with the
// licence of src (the tour's source, which covers the route) and of the
// sources of the records its stops reference.
func (s *Server) writeTourGPX(w http.ResponseWriter, r *http.Request, t coopmap.Tour, src coopmap.Source, srcs map[string]coopmap.Source, name string, modified time.Time) error {
	base := baseURL(r)
	page := func(st coopmap.Stop) string {
		if p := stopPage(st, srcs); p != "" {
			return base + p
		}
		return ""
	}
	var b bytes.Buffer
	if err := export.WriteTourGPX(&b, t, src, stopSources(t, srcs), page); err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.gpx"`)
	return writeDoc(w, r, mediaGPX, b.Bytes(), modified)
}

// stopSources returns the sources of the records t's stops reference,
// each once, in the order of the stops.
func stopSources(t coopmap.Tour, srcs map[string]coopmap.Source) []coopmap.Source {
	var out []coopmap.Source
	for _, st := range t.Stops {
		if ss, ok := srcs[stopSource(st)]; ok && !slices.ContainsFunc(out, func(x coopmap.Source) bool { return x.ID == ss.ID }) {
			out = append(out, ss)
		}
	}
	return out
}

// tourDocument is the JSON of /tours/{id}, which the tour page shows too.
func tourDocument(base string, t coopmap.Tour, srcs map[string]coopmap.Source) tourDoc {
	src := srcs[t.SourceID]
	doc := tourDoc{tourSummary: summary(base, t, src), StopList: make([]tourStop, len(t.Stops)), Legs: make([]tourLeg, len(t.Legs))}
	for i, st := range t.Stops {
		ts := tourStop{Position: i + 1, FeatureID: st.FeatureID, Name: st.Name, Note: st.Note, Unresolved: st.Unresolved}
		if p := stopPage(st, srcs); p != "" {
			ts.Page = base + p
		}
		if !st.Unresolved {
			c := coord(st.Location)
			ts.Location = &c
		}
		doc.StopList[i] = ts
	}
	for i, l := range t.Legs {
		doc.Legs[i] = tourLeg{From: i + 1, To: i + 2, DistanceM: metres(l.DistanceM), DurationS: metres(l.DurationS), Geometry: lineOf(l.Geometry)}
	}
	if t.Route != nil {
		g := lineOf(t.Route)
		doc.Route = &g
	}
	doc.Sources = append(doc.Sources, tourSource{ID: src.ID, Title: src.Title, Role: "tour and route", Licence: src.Licence.Complete(), Attribution: src.Attribution})
	for _, ss := range stopSources(t, srcs) {
		doc.Sources = append(doc.Sources, tourSource{ID: ss.ID, Title: ss.Title, Role: "stops", Licence: ss.Licence.Complete(), Attribution: ss.Attribution})
	}
	return doc
}

// summary describes a tour without its geometry.
func summary(base string, t coopmap.Tour, src coopmap.Source) tourSummary {
	var d float64
	for _, l := range t.Legs {
		d += l.DurationS
	}
	self := base + "/tours/" + url.PathEscape(t.ID)
	return tourSummary{ID: t.ID, SourceID: t.SourceID, Title: t.Title, Region: t.Region, Description: t.Description,
		Stops: len(t.Stops), Routed: len(t.Legs) > 0, DistanceM: metres(t.DistanceM), DurationS: metres(d),
		Licence: src.Licence.Complete(), Attribution: src.Attribution, UpdatedAt: t.UpdatedAt, Version: t.Version,
		Links: []link{
			{Href: self, Rel: "self", Type: mediaJSON, Title: "This tour as JSON"},
			{Href: self + ".gpx", Rel: "alternate", Type: mediaGPX, Title: "This tour as GPX, for a GPS device or app"},
			{Href: self + "?f=html", Rel: "alternate", Type: mediaHTML, Title: "This tour as a web page, with its map"},
			{Href: self + "/cues", Rel: "describedby", Type: mediaHTML, Title: "The tour's printable cue sheet"},
			{Href: base + "/collections/" + toursCollection + "/items/" + url.PathEscape(t.ID), Rel: "alternate", Type: mediaGeoJSON, Title: "This tour as an OGC API feature"},
		}}
}

// sourceMap returns every source by id.
func (s *Server) sourceMap(ctx context.Context) (map[string]coopmap.Source, error) {
	all, err := s.store.Sources(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]coopmap.Source, len(all))
	for _, src := range all {
		m[src.ID] = src
	}
	return m, nil
}

// stopSource returns the id of the source of the record a stop
// references: the part of the record id before its first dot
// (coopmap.FeatureID), "" for a named point.
func stopSource(st coopmap.Stop) string {
	id, _, _ := strings.Cut(st.FeatureID, ".")
	return id
}

// stopPage returns the path of the page of the record a stop references:
// /coops/{id} for a co-op, /features/{source}/{id} otherwise; "" for a
// named point or a record that no longer exists.
func stopPage(st coopmap.Stop, srcs map[string]coopmap.Source) string {
	if st.FeatureID == "" || st.Unresolved {
		return ""
	}
	src, ok := srcs[stopSource(st)]
	switch {
	case !ok:
		return ""
	case src.Kind == coopmap.KindCoops:
		return coopPath(st.FeatureID)
	}
	return featurePath(coopmap.Feature{ID: st.FeatureID, SourceID: src.ID})
}

func lineOf(l orb.LineString) lineGeometry {
	g := lineGeometry{Type: "LineString", Coordinates: make([][2]float64, len(l))}
	for i, p := range l {
		g.Coordinates[i] = coord(p)
	}
	return g
}

// writeJSONDoc sends v as a JSON document with an entity tag.
func writeJSONDoc(w http.ResponseWriter, r *http.Request, v any, modified time.Time) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeDoc(w, r, mediaJSON, append(b, '\n'), modified)
}
