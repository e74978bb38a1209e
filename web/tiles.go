package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/tiles"
)

// Tile endpoints (documented in docs/API.md, "Tiles"):
//
//	GET /tiles/{collection}/{z}/{x}/{y}.mvt  one collection, layer named after it
//	GET /tiles/default/{z}/{x}/{y}.mvt       every co-op and feature collection, one layer each
//	GET /tiles/{collection}.json             TileJSON 3.0 (also /tiles/default.json)
//
// A tile with no features is 204 No Content. Tiles come from a cache keyed
// by the sources' versions; the list of sources and their versions is
// re-read at most once per Config.TileCatalogTTL, so an import shows in
// tiles within that time.

// DefaultTileSet names the combined tile set of the default map. A source
// with this id has no tile set of its own.
const DefaultTileSet = "default"

const (
	mvtContentType = "application/vnd.mapbox-vector-tile"
	// Tiles may be reused for five minutes, then revalidated by ETag.
	tileCacheControl     = "public, max-age=300"
	tileJSONCacheControl = "public, max-age=60"
)

// tileService renders and caches tiles for the server.
type tileService struct {
	store  coopmap.Reader
	render *tiles.Renderer
	cache  *tiles.Cache
	ttl    time.Duration

	mu         sync.Mutex
	catalog    tileCatalog
	loaded     time.Time
	refreshing bool                 // a request is re-reading the catalog
	extents    map[string]orb.Bound // by tiles.Key of one source version
}

// tileCatalog is a snapshot of the sources that have tile sets.
type tileCatalog struct {
	sources []coopmap.Source // kinds coops and features, by id
	byID    map[string]coopmap.Source
}

func newTileService(store coopmap.Reader, cfg Config) *tileService {
	opts := tiles.DefaultOptions()
	opts.MaxZoom = cfg.TileMaxZoom
	return &tileService{
		store:   store,
		render:  tiles.NewRenderer(store, opts, cfg.TileEmbedded),
		cache:   tiles.NewCache(cfg.TileCacheBytes),
		ttl:     cfg.TileCatalogTTL,
		extents: map[string]orb.Bound{},
	}
}

// sources returns the catalog, re-reading it when older than the TTL. One
// request re-reads it while the others go on with the one they have, so a
// slow store never holds every tile request up.
func (ts *tileService) sources(ctx context.Context) (tileCatalog, error) {
	ts.mu.Lock()
	c := ts.catalog
	if c.byID != nil && (ts.refreshing || time.Since(ts.loaded) < ts.ttl) {
		ts.mu.Unlock()
		return c, nil
	}
	ts.refreshing = true
	ts.mu.Unlock()
	all, err := ts.store.Sources(ctx)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.refreshing = false
	if err != nil {
		return tileCatalog{}, err
	}
	c = tileCatalog{byID: map[string]coopmap.Source{}}
	for _, s := range all {
		if s.Kind == coopmap.KindCoops || s.Kind == coopmap.KindFeatures {
			c.sources = append(c.sources, s)
			c.byID[s.ID] = s
		}
	}
	ts.catalog, ts.loaded = c, time.Now()
	return c, nil
}

// set returns the sources of a tile set: one collection, or every
// collection for DefaultTileSet. The error is CodeNotFound for an unknown
// collection.
func (ts *tileService) set(ctx context.Context, name string) ([]coopmap.Source, error) {
	c, err := ts.sources(ctx)
	if err != nil {
		return nil, err
	}
	if name == DefaultTileSet {
		return c.sources, nil
	}
	s, ok := c.byID[name]
	if !ok {
		return nil, coopmap.NotFoundf("there is no tile set %q: tile sets are the co-op and feature collections, and %q", shorten(name), DefaultTileSet)
	}
	return []coopmap.Source{s}, nil
}

// tile returns one encoded tile of a set, from the cache or rendered.
func (ts *tileService) tile(ctx context.Context, name string, srcs []coopmap.Source, t tiles.Tile) (*tiles.Encoded, error) {
	versions := make([]int64, len(srcs))
	layers := make([]coopmap.TileLayer, len(srcs))
	for i, s := range srcs {
		versions[i] = s.Version
		layers[i] = coopmap.TileLayer{Name: s.ID, SourceID: s.ID, Version: s.Version}
	}
	key := tiles.Key(name, versions, t)
	if e, ok := ts.cache.Get(key); ok {
		return e, nil
	}
	raw, err := ts.render.Render(ctx, t, layers)
	if err != nil {
		return nil, err
	}
	e := tiles.NewEncoded(raw)
	ts.cache.Add(key, e)
	return e, nil
}

// extent returns the bounds of a source's features, computed once per
// source version.
func (ts *tileService) extent(ctx context.Context, s coopmap.Source) (orb.Bound, bool, error) {
	key := tiles.Key(s.ID, []int64{s.Version}, tiles.Tile{})
	ts.mu.Lock()
	b, ok := ts.extents[key]
	ts.mu.Unlock()
	if ok {
		return b, true, nil
	}
	b, ok, err := tiles.Extent(ctx, ts.store, s.ID)
	if err != nil || !ok {
		return b, ok, err
	}
	ts.mu.Lock()
	if len(ts.extents) > 10_000 { // sources come and go; never grow without bound
		clear(ts.extents)
	}
	ts.extents[key] = b
	ts.mu.Unlock()
	return b, true, nil
}

// tileHandler serves GET /tiles/{collection}/{z}/{x}/{y}.mvt.
func (s *Server) tileHandler(w http.ResponseWriter, r *http.Request) error {
	name := chi.URLParam(r, "collection")
	file := chi.URLParam(r, "file")
	ys, ok := strings.CutSuffix(file, ".mvt")
	if !ok {
		return coopmap.NotFoundf("tiles are served as .mvt; %q has another extension", shorten(file))
	}
	srcs, err := s.tiles.set(r.Context(), name)
	if err != nil {
		return err
	}
	t, err := tiles.Parse(chi.URLParam(r, "z"), chi.URLParam(r, "x"), ys, s.tiles.render.Options().MaxZoom)
	if err != nil {
		return err
	}
	e, err := s.tiles.tile(r.Context(), name, srcs, t)
	if err != nil {
		return err
	}
	body, etag := e.Raw, e.ETag
	gz := acceptsGzip(r) && len(e.Raw) > 0
	if gz {
		etag = e.GzipETag()
	}
	h := w.Header()
	h.Set("Cache-Control", tileCacheControl)
	h.Set("Vary", "Accept-Encoding")
	h.Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if len(body) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if gz {
		body = e.Gzip()
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Type", mvtContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}

// tileJSONHandler serves GET /tiles/{collection}.json.
func (s *Server) tileJSONHandler(w http.ResponseWriter, r *http.Request) error {
	file := chi.URLParam(r, "file")
	name, ok := strings.CutSuffix(file, ".json")
	if !ok {
		return coopmap.NotFoundf("no such path: %s (a tile set's TileJSON is /tiles/{collection}.json)", shorten(r.URL.Path))
	}
	srcs, err := s.tiles.set(r.Context(), name)
	if err != nil {
		return err
	}
	tj, err := s.tileJSON(r, name, srcs)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", tileJSONCacheControl)
	return writeJSON(w, http.StatusOK, tj)
}

// TileJSON is a TileJSON 3.0.0 document.
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Attribution  string        `json:"attribution"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// VectorLayer describes one layer of a tile set in TileJSON.
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// tileFields are the properties every layer's features may carry.
var tileFields = map[string]string{
	"id":       "String: the feature's id (absent on clusters of two or more)",
	"name":     "String",
	"sector":   "String",
	"org_type": "String",
	"count":    "Number: points clustered here (at low zoom, or in a very dense tile)",
}

// tileJSON builds the TileJSON of a tile set, with every source's
// attribution and licence.
func (s *Server) tileJSON(r *http.Request, name string, srcs []coopmap.Source) (TileJSON, error) {
	maxZoom := s.tiles.render.Options().MaxZoom
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	var (
		bounds orb.Bound
		have   bool
	)
	for _, src := range srcs {
		b, ok, err := s.tiles.extent(r.Context(), src)
		if err != nil {
			return TileJSON{}, err
		}
		if ok {
			if have {
				bounds = bounds.Union(b)
			} else {
				bounds, have = b, true
			}
		}
	}
	tj := TileSetJSON(name, srcs, bounds, have, 0, maxZoom)
	tj.Tiles = []string{scheme + "://" + r.Host + "/tiles/" + name + "/{z}/{x}/{y}.mvt"}
	return tj, nil
}

// attributionHTML is a source's attribution and licence as the HTML a map
// shows, every piece of text escaped.
func attributionHTML(s coopmap.Source) string {
	l := s.Licence.Complete()
	lic := html.EscapeString(l.ID)
	if l.URL != "" {
		lic = fmt.Sprintf(`<a href="%s">%s</a>`, html.EscapeString(l.URL), lic)
	}
	return html.EscapeString(s.Attribution) + " (" + lic + ")"
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.TrimSpace(coding) != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		if v, ok := strings.CutPrefix(q, "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f == 0 {
				return false
			}
		}
		return true
	}
	return false
}

// etagMatches reports whether an If-None-Match header matches etag
// (weak comparison, as RFC 9110 asks for If-None-Match).
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// shorten cuts s for an error message.
func shorten(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
