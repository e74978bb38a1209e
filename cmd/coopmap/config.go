package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/coopmap/coopmap/web"
)

// Config is everything a coopmap command can be told, from flags and
// COOPMAP_* environment variables (flags win).
type Config struct {
	// DB is a postgres:// URL or a GeoPackage path.
	DB string
	// Addr is the listen address for serve.
	Addr string
	// Migrate lets serve bring a PostGIS schema up to date itself.
	Migrate bool
	// LogFormat is text or json; LogLevel debug, info, warn or error.
	LogFormat, LogLevel string
	// ShutdownTimeout bounds how long in-flight requests get to finish.
	ShutdownTimeout time.Duration
	// TileCacheMB is the tile cache's budget in MiB (0 disables it);
	// TileMaxZoom the highest tile zoom; TileEmbedded forces the embedded
	// tile renderer on PostGIS.
	TileCacheMB, TileMaxZoom int
	TileEmbedded             bool
	// Graph is the bike routing graph file serve loads for /route; empty
	// leaves routing off.
	Graph string
	// Basemap is the web map's raster basemap (--basemap-*).
	Basemap web.Basemap
	// CycleLayer is the source tour pages and the planner show as the
	// cycle map layer (--cycle-layer).
	CycleLayer string
	// ReadDB is a PostGIS read replica's URL: reads go there, writes to DB.
	ReadDB string
	// StatementTimeout is PostGIS's statement_timeout for serve's queries;
	// BusyTimeout the GeoPackage's wait for another process's lock; MaxConns
	// caps the PostGIS pool (0: pgx's default).
	StatementTimeout, BusyTimeout time.Duration
	MaxConns                      int
	// HTTP is the http.Server's timeouts and header limit.
	HTTP HTTPLimits
	// Limits are the request limits serve passes to web.
	Limits web.Limits
	// FrameAncestors is who may embed the map (CSP frame-ancestors).
	FrameAncestors string
	// LogClientAddr logs each request's client address.
	LogClientAddr bool
	// TrustedProxies lists the reverse proxies whose X-Forwarded-For is
	// believed (web.ParseTrustedProxies).
	TrustedProxies string
	// Write is the write API's settings (write.go).
	Write WriteFlags
}

// HTTPLimits are the http.Server settings that bound a connection.
type HTTPLimits struct {
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                                            int
}

// newFlagSet returns a flag set for cmd whose defaults come from the
// environment, with the flags every command shares.
func newFlagSet(cmd string, stderr io.Writer, getenv func(string) string, c *Config) *flag.FlagSet {
	fs := flag.NewFlagSet("coopmap "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.DB, "db", envOr(getenv, "COOPMAP_DB", "./coopmap.gpkg"), "store: postgres:// URL (PostGIS) or GeoPackage file path (env COOPMAP_DB)")
	fs.StringVar(&c.LogFormat, "log-format", envOr(getenv, "COOPMAP_LOG_FORMAT", "auto"), "log format: text, json, or auto (text on a terminal, json otherwise) (env COOPMAP_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", envOr(getenv, "COOPMAP_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env COOPMAP_LOG_LEVEL)")
	return fs
}

// parse parses args and rejects stray positional arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}

// envName is the environment variable of a flag: COOPMAP_ and the flag's
// name in upper snake case (--tile-cache-mb: COOPMAP_TILE_CACHE_MB).
func envName(flagName string) string {
	return "COOPMAP_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets each flag of fs whose COOPMAP_* variable is set (and not
// empty) from it, and names the variable in the flag's help. Run before
// fs.Parse, so a flag on the command line still wins: flag, then
// environment, then default. The help keeps showing the built-in default.
// A value the flag rejects is a usage error naming the variable.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var bad error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		if !strings.Contains(f.Usage, "(env ") {
			f.Usage += " (env " + name + ")"
		}
		v := getenv(name)
		if v == "" || bad != nil {
			return
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			switch strings.ToLower(v) {
			case "yes", "on":
				v = "true"
			case "no", "off":
				v = "false"
			}
		}
		if err := fs.Set(f.Name, v); err != nil {
			fmt.Fprintf(fs.Output(), "%s: %s=%q: %v\n", fs.Name(), name, v, err)
			bad = errUsage
		}
	})
	return bad
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func envBool(getenv func(string) string, key string) bool {
	switch strings.ToLower(getenv(key)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func envInt(getenv func(string) string, key string, def int) int {
	if n, err := strconv.Atoi(getenv(key)); err == nil {
		return n
	}
	return def
}

func envDuration(getenv func(string) string, key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(getenv(key)); err == nil {
		return d
	}
	return def
}

// validate checks the serve settings that no single flag can: the read
// replica needs PostGIS, a response must be allowed longer than the work
// behind it, and nothing may be negative.
func (c Config) validate() error {
	if c.ReadDB != "" && (!isPostgres(c.DB) || !isPostgres(c.ReadDB)) {
		return fmt.Errorf("--read-db needs PostGIS: both --db and --read-db must be postgres:// URLs")
	}
	if _, err := web.ParseTrustedProxies(c.TrustedProxies); err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	if c.FrameAncestors != "" {
		if err := web.ValidateFrameAncestors(c.FrameAncestors); err != nil {
			return fmt.Errorf("--frame-ancestors: %w", err)
		}
	}
	h, l := c.HTTP, c.Limits
	for name, d := range map[string]time.Duration{"read-header-timeout": h.ReadHeaderTimeout, "read-timeout": h.ReadTimeout,
		"write-timeout": h.WriteTimeout, "idle-timeout": h.IdleTimeout, "request-timeout": l.RequestTimeout,
		"download-timeout": l.DownloadTimeout, "statement-timeout": c.StatementTimeout, "busy-timeout": c.BusyTimeout} {
		if d < 0 {
			return fmt.Errorf("--%s %v is negative", name, d)
		}
	}
	for name, n := range map[string]int64{"max-header-bytes": int64(h.MaxHeaderBytes), "max-inflight": int64(l.MaxInflight),
		"max-body-bytes": l.MaxBodyBytes, "rate-search": int64(l.SearchRate), "rate-route": int64(l.RouteRate),
		"rate-download": int64(l.DownloadRate), "rate-tiles": int64(l.TileRate), "db-max-conns": int64(c.MaxConns)} {
		if n < 0 {
			return fmt.Errorf("--%s %d is negative", name, n)
		}
	}
	if err := c.Write.validate(); err != nil {
		return err
	}
	if h.WriteTimeout > 0 && l.RequestTimeout > 0 && h.WriteTimeout <= l.RequestTimeout {
		return fmt.Errorf("--write-timeout %v must be longer than --request-timeout %v, or answers to slow requests are cut off", h.WriteTimeout, l.RequestTimeout)
	}
	return nil
}

// isPostgres reports whether a --db value names PostGIS rather than a file.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}
