package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/postcodes"
	"github.com/coopmap/coopmap/search"
	"github.com/coopmap/coopmap/web"
)

// serve parses the serve flags and runs the server until ctx ends.
func serve(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	c, err := serveConfig(args, stderr, getenv)
	if err != nil {
		return err
	}
	// A person at a terminal sees each line at once; a log collector gets
	// them gathered (logBuffer). Any terminal, as newLogger's "auto" tells
	// them apart (TERM does not matter here).
	if isTerminal(stderr, func(string) string { return "" }) {
		log, err := newLogger(stderr, c.LogFormat, c.LogLevel)
		if err != nil {
			return err
		}
		return serveWith(ctx, c, log, nil)
	}
	buf := newLogBuffer(stderr, logFlushEvery)
	defer buf.Close()
	log, err := newLogger(buf, c.LogFormat, c.LogLevel)
	if err != nil {
		return err
	}
	return serveWith(ctx, c, slog.New(flushOn{log.Handler(), slog.LevelWarn, buf}), nil)
}

// serveConfig reads serve's configuration from its flags and the
// environment; usage errors are explained on stderr.
func serveConfig(args []string, stderr io.Writer, getenv func(string) string) (Config, error) {
	var c Config
	fs := serveFlags(stderr, getenv, &c)
	if err := applyEnv(fs, getenv); err != nil {
		return c, err
	}
	if err := parse(fs, args); err != nil {
		return c, err
	}
	if err := c.Basemap.Validate(); err != nil {
		return c, err
	}
	return c, c.validate()
}

// serveFlags returns serve's flag set, filling c; the README's
// configuration table is made from it (TestREADMEConfiguration).
func serveFlags(stderr io.Writer, getenv func(string) string, c *Config) *flag.FlagSet {
	fs := newFlagSet("serve", stderr, getenv, c)
	// serve's flags are its configuration: every one can come from the
	// environment as COOPMAP_<FLAG> (applyEnv).
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&c.ReadDB, "read-db", "", "PostGIS read replica (postgres:// URL of a streaming standby of --db): reads go there, writes to --db")
	fs.BoolVar(&c.Migrate, "migrate", false, "bring an outdated PostGIS schema up to date instead of refusing to start")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long in-flight requests get to finish on SIGTERM/SIGINT")
	fs.IntVar(&c.TileCacheMB, "tile-cache-mb", 256, "tile cache budget in MiB, 0 disables it")
	fs.IntVar(&c.TileMaxZoom, "tile-max-zoom", 16, "highest vector tile zoom served, at most 24")
	fs.BoolVar(&c.TileEmbedded, "tile-embedded", false, "render tiles in Go even on PostGIS, instead of with ST_AsMVT")
	fs.StringVar(&c.Graph, "graph", "", "bike routing graph file for /route, built with coopmap graph build")
	fs.StringVar(&c.Basemap.URL, "basemap-url", web.DefaultBasemapURL, "web map basemap: raster tile URL template with {z}/{x}/{y} ({s} for subdomains a-c); empty turns it off")
	fs.StringVar(&c.Basemap.Attribution, "basemap-attribution", web.DefaultBasemapAttribution, "the basemap's attribution, plain text")
	fs.StringVar(&c.Basemap.AttributionURL, "basemap-attribution-url", web.DefaultBasemapAttributionURL, "where the basemap's attribution links to")
	fs.IntVar(&c.Basemap.MaxZoom, "basemap-max-zoom", web.DefaultBasemapMaxZoom, "the basemap's highest zoom, 1-22")
	fs.StringVar(&c.CycleLayer, "cycle-layer", web.DefaultCycleLayer, "source shown as the cycle map layer on tour pages and in the planner when the store has it; empty for none")
	fs.StringVar(&c.FrameAncestors, "frame-ancestors", "*", "who may embed the map and record pages in a frame: a CSP frame-ancestors list, e.g. 'self' https://example.org; * for anyone")
	fs.BoolVar(&c.LogClientAddr, "log-client-addr", false, "log each request's client address (personal data: off by default)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", web.DefaultTrustedProxies, "reverse proxies whose X-Forwarded-For names the client (for rate limits and logs): comma-separated addresses or CIDR prefixes; none for no proxy")
	fs.DurationVar(&c.HTTP.ReadHeaderTimeout, "read-header-timeout", 10*time.Second, "time a client gets to send a request's headers")
	fs.DurationVar(&c.HTTP.ReadTimeout, "read-timeout", time.Minute, "time a client gets to send a whole request, body included (uploads get --download-timeout)")
	fs.DurationVar(&c.HTTP.WriteTimeout, "write-timeout", time.Minute, "time to send a response, from the end of the request's headers; longer than --request-timeout (downloads get --download-timeout)")
	fs.DurationVar(&c.HTTP.IdleTimeout, "idle-timeout", 2*time.Minute, "how long an idle keep-alive connection stays open")
	fs.IntVar(&c.HTTP.MaxHeaderBytes, "max-header-bytes", 64<<10, "largest request header block; larger gets 431")
	fs.DurationVar(&c.Limits.RequestTimeout, "request-timeout", 30*time.Second, "deadline of a request's work (store queries, rendering, routing); past it the answer is 503")
	fs.DurationVar(&c.Limits.DownloadTimeout, "download-timeout", 30*time.Minute, "deadline of a download or an upload")
	fs.IntVar(&c.Limits.MaxInflight, "max-inflight", 256, "requests served at once; more are answered 503 with Retry-After at once (health, readiness and metrics exempt); 0: no limit")
	fs.Int64Var(&c.Limits.MaxBodyBytes, "max-body-bytes", web.DefaultMaxBodyBytes, "largest request body on routes that take none of their own (write routes and uploads have theirs)")
	fs.IntVar(&c.Limits.SearchRate, "rate-search", 1200, "requests a minute one client address may make to /search and /nearest (429 beyond); 0: no limit")
	fs.IntVar(&c.Limits.RouteRate, "rate-route", 300, "requests a minute one client address may make to /route; 0: no limit")
	fs.IntVar(&c.Limits.DownloadRate, "rate-download", 60, "downloads a minute one client address may start; 0: no limit")
	fs.IntVar(&c.Limits.TileRate, "rate-tiles", 12000, "vector tiles a minute one client address may fetch; 0: no limit")
	fs.DurationVar(&c.StatementTimeout, "statement-timeout", 30*time.Second, "PostGIS statement_timeout of serve's queries (imports and migrations lift it); 0: the server's setting")
	fs.IntVar(&c.MaxConns, "db-max-conns", 0, "PostGIS connection pool size per database; 0: pgx's default (4, or the number of CPUs if more)")
	fs.DurationVar(&c.BusyTimeout, "busy-timeout", 10*time.Second, "how long a GeoPackage query waits for another process's lock (GDAL, QGIS)")
	writeFlags(fs, &c.Write) // the write API's (write.go)
	return fs
}

// warmSearch builds the search index so the first search need not. A
// failure only means the first search tries again, except a store over
// the index's record limit (search.MaxRecords), which is logged as an
// error: /search and /nearest answer 413 until records are removed.
func warmSearch(ctx context.Context, index *search.Index, log *slog.Logger) {
	err := index.Refresh(ctx)
	switch {
	case err == nil || ctx.Err() != nil:
	case coopmap.ErrorCode(err) == coopmap.CodeTooLarge:
		log.Error("search is off: the store holds more records than the search index's limit; /search and /nearest answer 413 until records are removed", "err", err)
	default:
		log.Warn("search index not built yet", "err", err)
	}
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
		warmSearch(ctx, index, log)
	}()

	wcfg := web.Config{GeoPackage: writeGeoPackage, Search: index, TileCacheBytes: tileCacheBytes(c.TileCacheMB), TileMaxZoom: c.TileMaxZoom, TileEmbedded: c.TileEmbedded, Graph: graph, Basemap: c.Basemap, CycleLayer: c.CycleLayer,
		Limits: c.Limits, FrameAncestors: c.FrameAncestors, LogClientAddr: c.LogClientAddr}
	if err := c.Write.apply(&wcfg); err != nil { // the write API (write.go)
		return err
	}
	if wcfg.TrustedProxies, err = web.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	srv := &http.Server{
		Handler:           web.New(store, log, wcfg).Handler(),
		ReadHeaderTimeout: c.HTTP.ReadHeaderTimeout,
		ReadTimeout:       c.HTTP.ReadTimeout,
		WriteTimeout:      c.HTTP.WriteTimeout,
		IdleTimeout:       c.HTTP.IdleTimeout,
		MaxHeaderBytes:    c.HTTP.MaxHeaderBytes,
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
