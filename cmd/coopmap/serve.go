package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/coopmap/coopmap/postcodes"
	"github.com/coopmap/coopmap/search"
	"github.com/coopmap/coopmap/web"
)

// serve parses the serve flags and runs the server until ctx ends.
func serve(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	var c Config
	fs := newFlagSet("serve", stderr, getenv, &c)
	fs.StringVar(&c.Addr, "addr", envOr(getenv, "COOPMAP_ADDR", "127.0.0.1:8080"), "listen address (env COOPMAP_ADDR)")
	fs.BoolVar(&c.Migrate, "migrate", envBool(getenv, "COOPMAP_MIGRATE"), "bring an outdated PostGIS schema up to date instead of refusing to start (env COOPMAP_MIGRATE)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", envDuration(getenv, "COOPMAP_SHUTDOWN_TIMEOUT", 30*time.Second), "how long in-flight requests get to finish on SIGTERM/SIGINT (env COOPMAP_SHUTDOWN_TIMEOUT)")
	fs.IntVar(&c.TileCacheMB, "tile-cache-mb", envInt(getenv, "COOPMAP_TILE_CACHE_MB", 256), "tile cache budget in MiB, 0 disables it (env COOPMAP_TILE_CACHE_MB)")
	fs.IntVar(&c.TileMaxZoom, "tile-max-zoom", envInt(getenv, "COOPMAP_TILE_MAX_ZOOM", 16), "highest vector tile zoom served, at most 24 (env COOPMAP_TILE_MAX_ZOOM)")
	fs.BoolVar(&c.TileEmbedded, "tile-embedded", envBool(getenv, "COOPMAP_TILE_EMBEDDED"), "render tiles in Go even on PostGIS, instead of with ST_AsMVT (env COOPMAP_TILE_EMBEDDED)")
	fs.StringVar(&c.Graph, "graph", getenv("COOPMAP_GRAPH"), "bike routing graph file for /route, built with coopmap graph build (env COOPMAP_GRAPH)")
	fs.StringVar(&c.Basemap.URL, "basemap-url", envOr(getenv, "COOPMAP_BASEMAP_URL", web.DefaultBasemapURL), "web map basemap: raster tile URL template with {z}/{x}/{y} ({s} for subdomains a-c) (env COOPMAP_BASEMAP_URL)")
	fs.StringVar(&c.Basemap.Attribution, "basemap-attribution", envOr(getenv, "COOPMAP_BASEMAP_ATTRIBUTION", web.DefaultBasemapAttribution), "the basemap's attribution, plain text (env COOPMAP_BASEMAP_ATTRIBUTION)")
	fs.StringVar(&c.Basemap.AttributionURL, "basemap-attribution-url", envOr(getenv, "COOPMAP_BASEMAP_ATTRIBUTION_URL", web.DefaultBasemapAttributionURL), "where the basemap's attribution links to (env COOPMAP_BASEMAP_ATTRIBUTION_URL)")
	fs.IntVar(&c.Basemap.MaxZoom, "basemap-max-zoom", envInt(getenv, "COOPMAP_BASEMAP_MAX_ZOOM", web.DefaultBasemapMaxZoom), "the basemap's highest zoom, 1-22 (env COOPMAP_BASEMAP_MAX_ZOOM)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.Basemap.Validate(); err != nil {
		return err
	}
	log, err := newLogger(stderr, c.LogFormat, c.LogLevel)
	if err != nil {
		return err
	}
	return serveWith(ctx, c, log, nil)
}

// serveWith opens the store and serves until ctx ends, then shuts down
// gracefully: the listener closes at once and in-flight requests get
// c.ShutdownTimeout to finish. onListen, if set, learns the bound address.
func serveWith(ctx context.Context, c Config, log *slog.Logger, onListen func(net.Addr)) error {
	graph, err := loadGraph(c.Graph, log)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer store.Close()
	places, err := postcodes.Load()
	if err != nil {
		return err
	}
	index := search.New(store, places, search.Options{})
	warmed := make(chan struct{})
	defer func() { <-warmed }() // before the store closes
	go func() {
		defer close(warmed)
		// Warm the search index so the first search need not build it;
		// a failure here only means the first search tries again.
		if err := index.Refresh(ctx); err != nil && ctx.Err() == nil {
			log.Warn("search index not built yet", "err", err)
		}
	}()

	srv := &http.Server{
		Handler:           web.New(store, log, web.Config{GeoPackage: writeGeoPackage, Search: index, TileCacheBytes: tileCacheBytes(c.TileCacheMB), TileMaxZoom: c.TileMaxZoom, TileEmbedded: c.TileEmbedded, Graph: graph, Basemap: c.Basemap}).Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("serving", "addr", "http://"+ln.Addr().String(), "db", redact(c.DB))
	if onListen != nil {
		onListen(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", c.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// tileCacheBytes turns --tile-cache-mb into web.Config.TileCacheBytes,
// where a negative budget (not zero) disables the cache.
func tileCacheBytes(mb int) int64 {
	if mb <= 0 {
		return -1
	}
	return int64(mb) << 20
}
