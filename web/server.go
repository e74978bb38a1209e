package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/export"
	"github.com/coopmap/coopmap/importers"
	"github.com/coopmap/coopmap/route"
	"github.com/coopmap/coopmap/search"
)

// Config holds the server's settings; cmd/coopmap fills it from flags and
// the environment.
type Config struct {
	// ReadyTimeout bounds the store check behind /readyz.
	ReadyTimeout time.Duration
	// TileCacheBytes is the tile cache's budget: 0 takes the default
	// (256 MiB), a negative value disables the cache.
	TileCacheBytes int64
	// TileMaxZoom is the highest tile zoom served (0: 16; at most 24).
	TileMaxZoom int
	// TileEmbedded renders every tile with the embedded renderer, even
	// when the store can render tiles itself (PostGIS).
	TileEmbedded bool
	// TileCatalogTTL is how long the list of tile sets and their
	// versions is reused before it is re-read (0: one second).
	TileCatalogTTL time.Duration
	// GeoPackage writes GeoPackage downloads (?f=gpkg); nil leaves the
	// format out. cmd/coopmap supplies it, as it needs a concrete store.
	GeoPackage export.WriteFunc
	// GeoPackageBuilds bounds the GeoPackage downloads built at once
	// (0: 2); one more gets a 503 problem with Retry-After.
	GeoPackageBuilds int
	// Search answers /search and /nearest; nil builds an index over the
	// store without place search (cmd/coopmap passes one with the
	// postcode table).
	Search *search.Index
	// Graph answers /route; nil (no --graph) makes /route a 404 problem.
	Graph *route.Graph
	// Basemap is the web map's raster basemap; the zero value is
	// OpenStreetMap's standard tiles.
	Basemap Basemap
	// CycleLayer is the id of the source tour pages and the planner show
	// as the cycle map layer (serve's default is DefaultCycleLayer);
	// empty, or a source the store does not hold, shows none.
	CycleLayer string
	// Limits are the timeouts, load shedding, rate and body limits
	// (middleware.go); the zero value turns them off.
	Limits Limits
	// FrameAncestors is the CSP frame-ancestors source list of the pages
	// other sites may embed, the map and record pages ("": *, any site);
	// see ValidateFrameAncestors.
	FrameAncestors string
	// TrustedProxies are the peers (reverse proxies) whose X-Forwarded-For
	// and X-Real-IP name the client; nil trusts DefaultTrustedProxies,
	// an empty list none.
	TrustedProxies []netip.Prefix
	// LogClientAddr adds the client's address to each request's log
	// line; it is left out by default, as personal data.
	LogClientAddr bool
	// CORSWriteOrigins are the origins (https://editor.example.org) whose
	// pages may call the write API from a browser; none by default, so
	// only same-origin pages and non-browser clients can write.
	CORSWriteOrigins []string
	// MaxWriteBody bounds a write's JSON body (0: DefaultMaxWriteBody);
	// MaxImportBody an uploaded import (0: DefaultMaxImportBody);
	// MaxSuggestionBody a public suggestion (0: DefaultMaxSuggestionBody).
	MaxWriteBody, MaxImportBody, MaxSuggestionBody int64
	// ImportFormats are the parsers /collections/{id}/import reads
	// uploads with (cmd/coopmap wires the same as coopmap import); nil
	// turns uploads off.
	ImportFormats importers.Formats
	// SuggestionLimit public suggestions are allowed per client address
	// and SuggestionWindow (0: DefaultSuggestionLimit per
	// DefaultSuggestionWindow); one more is answered 429.
	SuggestionLimit  int
	SuggestionWindow time.Duration
	// SuggestionKey keys the hash that stands for a suggester's address
	// in the store (for the per-address cap on pending suggestions);
	// empty: a random key per process.
	SuggestionKey []byte
}

// Server serves coopmap over HTTP from a store.
type Server struct {
	store coopmap.Store
	log   *slog.Logger
	cfg   Config
	tiles *tileService
	// ogc holds the OGC API's templates and cached extents.
	ogc *ogcState
	// downloads holds the download formats and GeoPackage build slots.
	downloads *downloads
	// pages holds the web map's build, the record page template and the
	// map's point sets.
	pages *pageState
	// tourPages holds the tour pages' templates and the planner's page.
	tourPages *tourPageState
	// metrics is the server's Prometheus registry and collectors.
	metrics *metrics
	// guards holds the load-shedding and rate-limiting state.
	guards *guards
	// suggesting holds the public suggestions' rate limiter and client key.
	suggesting *suggestState
}

// New returns a server reading from store and logging to log. Zero config
// fields take defaults.
func New(store coopmap.Store, log *slog.Logger, cfg Config) *Server {
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 2 * time.Second
	}
	if cfg.TileCacheBytes == 0 {
		cfg.TileCacheBytes = 256 << 20
	}
	if cfg.TileCatalogTTL == 0 {
		cfg.TileCatalogTTL = time.Second
	}
	if cfg.Search == nil {
		cfg.Search = search.New(store, nil, search.Options{})
	}
	cfg = writeDefaults(cfg)
	pages := newPageState(cfg, log)
	s := &Server{store: store, log: log, cfg: cfg, tiles: newTileService(store, cfg), downloads: newDownloads(cfg), ogc: newOGCState(),
		pages: pages, tourPages: newTourPages(pages.frontend, log)}
	s.metrics = newMetrics(&scraped{store: store, tiles: s.tiles})
	s.guards = newGuards(cfg.Limits, s.metrics)
	s.suggesting = newSuggestState(cfg, s.metrics)
	return s
}

// handlerFunc is an HTTP handler that returns its error instead of writing
// it, so every error goes through the one table in errors.go.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc to http.Handler.
func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			return // the client went away; nobody to answer
		}
		p, internal := problemFor(err)
		switch {
		case internal:
			s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		case p.Status == http.StatusServiceUnavailable:
			// Not the client's fault: say why (database down, too slow).
			s.log.WarnContext(r.Context(), "request unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		writeProblem(w, p)
	}
}

// healthz answers while the process is alive.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the store can serve, and 503 with the reason when
// it cannot (unreachable, or an outdated schema).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadyTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		writeProblem(w, Problem{Type: "https://coopmap.org/problems/not-ready", Title: "Not ready", Status: http.StatusServiceUnavailable, Detail: "store unavailable: " + err.Error()})
		return nil
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// debugStack is runtime/debug.Stack, named here so routes.go stays a list
// of routes.
func debugStack() []byte { return debug.Stack() }
