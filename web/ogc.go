package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// The collections built from the store's tours rather than one source.
// These ids are reserved: a co-op or overlay source with one of them is
// hidden behind the tour collection.
const (
	toursCollection = "tours"
	stopsCollection = "tour-stops"
)

// sourceQueryables are the properties of a source collection that items
// can be filtered on by equality (sector=Housing).
var sourceQueryables = []string{"sector", "org_type", "status"}

// ogcState is what the OGC API handlers keep between requests: the parsed
// HTML templates and the extents of sources, reused while a source's
// version is unchanged.
type ogcState struct {
	pages map[string]*template.Template

	mu      sync.Mutex
	extents map[string]cachedExtent // by source id
}

type cachedExtent struct {
	version int64
	extent  coopmap.Extent
}

func newOGCState() *ogcState {
	return &ogcState{pages: parsePages(), extents: map[string]cachedExtent{}}
}

// ogcRoutes registers the OGC API – Features endpoints, gzipped.
func (s *Server) ogcRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(middleware.Compress(5, mediaJSON, mediaGeoJSON, mediaHTML, "application/problem+json",
			"application/vnd.oai.openapi+json", mediaSchema))
		r.Get("/", s.handle(s.landing))
		r.Get("/conformance", s.handle(s.conformance))
		r.Get("/api", s.handle(s.openAPI))
		r.Get("/collections", s.handle(s.collections))
		r.Get("/collections/{collection}", s.handle(s.collectionDoc))
		r.Get("/collections/{collection}/queryables", s.handle(s.queryables))
		r.Get("/collections/{collection}/items", s.handle(s.items))
		r.Get("/collections/{collection}/items/{feature}", s.handle(s.item))
	})
}

// collection is one OGC API collection: a source, or the tours or tour
// stops of every tours source.
type collection struct {
	ID, Title, Description string
	// Sources are the sources whose licences and attributions cover the
	// collection: the one source, or every tours source.
	Sources []coopmap.Source
	tours   bool // the tours or tour-stops collection
	// version changes whenever the collection's items may have changed.
	version string
	updated time.Time
}

// queryables returns the properties items can be filtered on.
func (c collection) queryables() []string {
	if c.tours {
		return nil
	}
	return sourceQueryables
}

// licences returns the distinct licences of the collection's sources.
func (c collection) licences() []coopmap.Licence {
	var out []coopmap.Licence
	for _, s := range c.Sources {
		l := s.Licence.Complete()
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// attribution returns the attribution text of the collection's sources.
func (c collection) attribution() string {
	var parts []string
	for _, s := range c.Sources {
		if !slices.Contains(parts, s.Attribution) {
			parts = append(parts, s.Attribution)
		}
	}
	return strings.Join(parts, " ")
}

// sourceCollection returns the collection of one co-op or overlay source.
func sourceCollection(src coopmap.Source) collection {
	return collection{ID: src.ID, Title: src.Title, Description: src.Description, Sources: []coopmap.Source{src},
		version: etag("source", src.ID, itoa(src.Version)), updated: src.UpdatedAt}
}

// tourCollections returns the tours and tour-stops collections. Their
// version covers every source, as stops show the current name and place
// of the records they reference, which may be in any source.
func tourCollections(srcs []coopmap.Source) [2]collection {
	var (
		tourSrcs []coopmap.Source
		parts    = []string{"tours"}
		updated  time.Time
	)
	for _, s := range srcs {
		if s.Kind == coopmap.KindTours {
			tourSrcs = append(tourSrcs, s)
		}
		parts = append(parts, s.ID, itoa(s.Version))
		if s.UpdatedAt.After(updated) {
			updated = s.UpdatedAt
		}
	}
	v := etag(parts...)
	return [2]collection{
		{ID: toursCollection, Title: "Co-op bike tours", Description: "Bike tours that link co-operatives, each with its route (or the line through its stops).",
			Sources: tourSrcs, tours: true, version: v, updated: updated},
		{ID: stopsCollection, Title: "Co-op bike tour stops", Description: "The stops of every bike tour, in order, with the tour they belong to.",
			Sources: tourSrcs, tours: true, version: v, updated: updated},
	}
}

// allCollections returns every collection, sources first, by id.
func (s *Server) allCollections(ctx context.Context) ([]collection, error) {
	srcs, err := s.store.Sources(ctx)
	if err != nil {
		return nil, err
	}
	var out []collection
	for _, src := range srcs {
		if src.Kind != coopmap.KindTours && src.ID != toursCollection && src.ID != stopsCollection {
			out = append(out, sourceCollection(src))
		}
	}
	t := tourCollections(srcs)
	return append(out, t[0], t[1]), nil
}

// findCollection returns the collection with the id, or a not-found error.
func (s *Server) findCollection(ctx context.Context, id string) (collection, error) {
	if id == toursCollection || id == stopsCollection {
		srcs, err := s.store.Sources(ctx)
		if err != nil {
			return collection{}, err
		}
		t := tourCollections(srcs)
		if id == toursCollection {
			return t[0], nil
		}
		return t[1], nil
	}
	missing := coopmap.NotFoundf("there is no collection %q; /collections lists them", clipParam(id))
	if !coopmap.ValidSlug(id) {
		return collection{}, missing
	}
	src, err := s.store.Source(ctx, id)
	if coopmap.ErrorCode(err) == coopmap.CodeNotFound || (err == nil && src.Kind == coopmap.KindTours) {
		return collection{}, missing
	}
	if err != nil {
		return collection{}, err
	}
	return sourceCollection(src), nil
}

// extent returns a collection's extent: from the store's index for a
// source (reused while its version stands), from the tours themselves for
// the tour collections. A store without coopmap.ExtentReader gives none.
func (s *Server) extent(ctx context.Context, c collection) (coopmap.Extent, error) {
	if c.tours {
		fs, err := s.tourFeatures(ctx, c)
		if err != nil {
			return coopmap.Extent{}, err
		}
		return extentOf(fs), nil
	}
	src := c.Sources[0]
	er, ok := s.store.(coopmap.ExtentReader)
	if !ok {
		return coopmap.Extent{}, nil
	}
	s.ogc.mu.Lock()
	e, ok := s.ogc.extents[src.ID]
	s.ogc.mu.Unlock()
	if ok && e.version == src.Version {
		return e.extent, nil
	}
	ext, err := er.SourceExtent(ctx, src.ID)
	if err != nil {
		return coopmap.Extent{}, err
	}
	s.ogc.mu.Lock()
	s.ogc.extents[src.ID] = cachedExtent{src.Version, ext}
	s.ogc.mu.Unlock()
	return ext, nil
}

// extentOf computes the extent of features in memory.
func extentOf(fs []coopmap.Feature) coopmap.Extent {
	var e coopmap.Extent
	for _, f := range fs {
		if f.Geometry != nil {
			b := f.Geometry.Bound()
			if e.BBox == nil {
				e.BBox = &geo.BBox{MinLon: b.Min[0], MinLat: b.Min[1], MaxLon: b.Max[0], MaxLat: b.Max[1]}
			} else {
				e.BBox.MinLon, e.BBox.MinLat = min(e.BBox.MinLon, b.Min[0]), min(e.BBox.MinLat, b.Min[1])
				e.BBox.MaxLon, e.BBox.MaxLat = max(e.BBox.MaxLon, b.Max[0]), max(e.BBox.MaxLat, b.Max[1])
			}
		}
		if e.Updated.From.IsZero() || f.UpdatedAt.Before(e.Updated.From) {
			e.Updated.From = f.UpdatedAt
		}
		if f.UpdatedAt.After(e.Updated.To) {
			e.Updated.To = f.UpdatedAt
		}
	}
	return e
}

// The landing page, conformance and collection documents.

type landingDoc struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Links       []link `json:"links"`
}

func (s *Server) landing(w http.ResponseWriter, r *http.Request) error {
	if _, err := params(r.URL.RawQuery, "f"); err != nil {
		return err
	}
	format, err := negotiate(r, formatJSON, formatHTML)
	if err != nil {
		return err
	}
	base := baseURL(r)
	doc := landingDoc{
		Title:       "coopmap",
		Description: "Open data on UK co-operatives and related datasets, with each dataset's licence and attribution, served as OGC API – Features.",
		Links: append(selfLinks(base, "/", "", format, mediaJSON),
			link{Href: base + "/api", Rel: "service-desc", Type: mediaOpenAPI, Title: "The API definition (OpenAPI 3.0)"},
			link{Href: base + "/conformance", Rel: "conformance", Type: mediaJSON, Title: "Conformance classes"},
			link{Href: base + "/conformance", Rel: "http://www.opengis.net/def/rel/ogc/1.0/conformance", Type: mediaJSON, Title: "Conformance classes"},
			link{Href: base + "/collections", Rel: "data", Type: mediaJSON, Title: "Collections"},
			link{Href: base + "/collections", Rel: "http://www.opengis.net/def/rel/ogc/1.0/data", Type: mediaJSON, Title: "Collections"},
		),
	}
	return s.render(w, r, format, mediaJSON, "landing", doc, time.Time{})
}

// conformanceClasses are the OGC API conformance classes coopmap meets.
var conformanceClasses = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
}

type conformanceDoc struct {
	ConformsTo []string `json:"conformsTo"`
	Links      []link   `json:"links,omitempty"`
}

func (s *Server) conformance(w http.ResponseWriter, r *http.Request) error {
	if _, err := params(r.URL.RawQuery, "f"); err != nil {
		return err
	}
	format, err := negotiate(r, formatJSON, formatHTML)
	if err != nil {
		return err
	}
	doc := conformanceDoc{ConformsTo: conformanceClasses, Links: selfLinks(baseURL(r), "/conformance", "", format, mediaJSON)}
	return s.render(w, r, format, mediaJSON, "conformance", doc, time.Time{})
}

// collectionInfo is a collection as /collections and /collections/{id}
// describe it, with its licence and attribution.
type collectionInfo struct {
	ID          string            `json:"id"`
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	ItemType    string            `json:"itemType"`
	CRS         []string          `json:"crs"`
	Extent      *extentInfo       `json:"extent,omitempty"`
	Licence     []coopmap.Licence `json:"licence"`
	Attribution string            `json:"attribution"`
	Sources     []sourceInfo      `json:"sources"`
	Links       []link            `json:"links"`
}

// sourceInfo is the provenance of a source, as collections list it.
type sourceInfo struct {
	ID          string          `json:"id"`
	Title       string          `json:"title"`
	Licence     coopmap.Licence `json:"licence"`
	Attribution string          `json:"attribution"`
	Owner       string          `json:"owner,omitempty"`
	Origin      string          `json:"origin,omitempty"`
	RetrievedAt string          `json:"retrieved,omitempty"`
	Features    int             `json:"numberOfFeatures"`
	// Version is the source's version, which PATCH /collections/{id}
	// names in If-Match as "v{version}".
	Version int64 `json:"version"`
}

type extentInfo struct {
	Spatial  *spatialExtent  `json:"spatial,omitempty"`
	Temporal *temporalExtent `json:"temporal,omitempty"`
}

type spatialExtent struct {
	BBox [][4]float64 `json:"bbox"`
	CRS  string       `json:"crs"`
}

type temporalExtent struct {
	Interval [][2]*string `json:"interval"`
	TRS      string       `json:"trs"`
}

// info describes a collection for clients, with links for base and the
// format being served.
func (s *Server) info(ctx context.Context, c collection, base, format string) (collectionInfo, error) {
	ext, err := s.extent(ctx, c)
	if err != nil {
		return collectionInfo{}, err
	}
	path := "/collections/" + c.ID
	ci := collectionInfo{ID: c.ID, Title: c.Title, Description: c.Description, ItemType: "feature", CRS: []string{crs84},
		Licence: c.licences(), Attribution: c.attribution(), Sources: []sourceInfo{}}
	for _, src := range c.Sources {
		si := sourceInfo{ID: src.ID, Title: src.Title, Licence: src.Licence.Complete(), Attribution: src.Attribution,
			Owner: src.Owner, Origin: src.Origin, Features: src.FeatureCount, Version: src.Version}
		if !src.RetrievedAt.IsZero() {
			si.RetrievedAt = src.RetrievedAt.UTC().Format(time.RFC3339)
		}
		ci.Sources = append(ci.Sources, si)
	}
	if ext.BBox != nil || !ext.Updated.IsZero() {
		ci.Extent = &extentInfo{}
		if b := ext.BBox; b != nil {
			ci.Extent.Spatial = &spatialExtent{BBox: [][4]float64{{b.MinLon, b.MinLat, b.MaxLon, b.MaxLat}}, CRS: crs84}
		}
		if !ext.Updated.IsZero() {
			from, to := ext.Updated.From.UTC().Format(time.RFC3339Nano), ext.Updated.To.UTC().Format(time.RFC3339Nano)
			ci.Extent.Temporal = &temporalExtent{Interval: [][2]*string{{&from, &to}}, TRS: "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
		}
	}
	ci.Links = append(selfLinks(base, path, "", format, mediaJSON),
		link{Href: base + path + "/items?f=json", Rel: "items", Type: mediaGeoJSON, Title: "The features as GeoJSON"},
		link{Href: base + path + "/items?f=html", Rel: "items", Type: mediaHTML, Title: "The features as HTML"},
		link{Href: base + path + "/queryables", Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: mediaSchema, Title: "The properties items can be filtered on"},
	)
	ci.Links = append(ci.Links, licenceLinks(c)...)
	return ci, nil
}

// licenceLinks returns a rel=license link for each licence with a URL.
func licenceLinks(c collection) []link {
	var out []link
	for _, l := range c.licences() {
		if l.URL != "" {
			title := l.Name
			if title == "" {
				title = l.ID
			}
			out = append(out, link{Href: l.URL, Rel: "license", Type: mediaHTML, Title: title})
		}
	}
	return out
}

type collectionsDoc struct {
	Links       []link           `json:"links"`
	Collections []collectionInfo `json:"collections"`
}

func (s *Server) collections(w http.ResponseWriter, r *http.Request) error {
	if _, err := params(r.URL.RawQuery, "f"); err != nil {
		return err
	}
	format, err := negotiate(r, formatJSON, formatHTML)
	if err != nil {
		return err
	}
	cs, err := s.allCollections(r.Context())
	if err != nil {
		return err
	}
	base := baseURL(r)
	doc := collectionsDoc{Links: selfLinks(base, "/collections", "", format, mediaJSON), Collections: []collectionInfo{}}
	var modified time.Time
	for _, c := range cs {
		ci, err := s.info(r.Context(), c, base, format)
		if err != nil {
			return err
		}
		doc.Collections = append(doc.Collections, ci)
		if c.updated.After(modified) {
			modified = c.updated
		}
	}
	return s.render(w, r, format, mediaJSON, "collections", doc, modified)
}

func (s *Server) collectionDoc(w http.ResponseWriter, r *http.Request) error {
	c, format, _, err := s.collectionRequest(r, nil, "f")
	if err != nil {
		return err
	}
	ci, err := s.info(r.Context(), c, baseURL(r), format)
	if err != nil {
		return err
	}
	return s.render(w, r, format, mediaJSON, "collection", ci, c.updated)
}

// collectionRequest checks the parameters of a request under
// /collections/{collection} (the allowed ones and the queryables the
// collection adds, when given), negotiates its format, and finds the
// collection.
func (s *Server) collectionRequest(r *http.Request, extra func(collection) []string, allowed ...string) (collection, string, url.Values, error) {
	c, err := s.findCollection(r.Context(), chi.URLParam(r, "collection"))
	if err != nil {
		return c, "", nil, err
	}
	if extra != nil {
		allowed = append(slices.Clone(allowed), extra(c)...)
	}
	v, err := params(r.URL.RawQuery, allowed...)
	if err != nil {
		return c, "", nil, err
	}
	format, err := negotiate(r, formatJSON, formatHTML)
	return c, format, v, err
}

// queryablesDoc is a collection's queryables as a JSON Schema (OGC API –
// Features – Part 3).
type queryablesDoc struct {
	Schema               string                   `json:"$schema"`
	ID                   string                   `json:"$id"`
	Type                 string                   `json:"type"`
	Title                string                   `json:"title"`
	Properties           map[string]queryableProp `json:"properties"`
	AdditionalProperties bool                     `json:"additionalProperties"`
	Links                []link                   `json:"links,omitempty"`
}

type queryableProp struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Type        string `json:"type"`
}

var queryableTitles = map[string]queryableProp{
	"sector":   {Title: "Sector", Description: "The co-op's sector, as the source names it (for example Housing).", Type: "string"},
	"org_type": {Title: "Organisation type", Description: "Worker co-operative, housing co-operative, community benefit society, …", Type: "string"},
	"status":   {Title: "Status", Description: "The record's status in its register (for example Active, Dissolved).", Type: "string"},
}

func (s *Server) queryables(w http.ResponseWriter, r *http.Request) error {
	c, format, _, err := s.collectionRequest(r, nil, "f")
	if err != nil {
		return err
	}
	base := baseURL(r)
	path := "/collections/" + c.ID + "/queryables"
	doc := queryablesDoc{Schema: "https://json-schema.org/draft/2020-12/schema", ID: base + path, Type: "object",
		Title: c.Title, Properties: map[string]queryableProp{}, Links: selfLinks(base, path, "", format, mediaSchema)}
	for _, q := range c.queryables() {
		doc.Properties[q] = queryableTitles[q]
	}
	return s.render(w, r, format, mediaSchema, "queryables", doc, c.updated)
}

// render sends a small document as JSON (of media type jsonType) or as
// the named HTML page, with an entity tag over its bytes.
func (s *Server) render(w http.ResponseWriter, r *http.Request, format, jsonType, page string, doc any, modified time.Time) error {
	var (
		body []byte
		err  error
	)
	if format == formatHTML {
		body, err = s.ogc.page(page, doc)
		jsonType = mediaHTML + "; charset=utf-8"
		htmlHeaders(w)
	} else {
		body, err = jsonBytes(doc)
	}
	if err != nil {
		return err
	}
	return writeDoc(w, r, jsonType, body, modified)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
