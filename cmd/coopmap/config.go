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
}

// newFlagSet returns a flag set for cmd whose defaults come from the
// environment, with the flags every command shares.
func newFlagSet(cmd string, stderr io.Writer, getenv func(string) string, c *Config) *flag.FlagSet {
	fs := flag.NewFlagSet("coopmap "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.DB, "db", envOr(getenv, "COOPMAP_DB", "./coopmap.gpkg"), "store: postgres:// URL (PostGIS) or GeoPackage file path (env COOPMAP_DB)")
	fs.StringVar(&c.LogFormat, "log-format", envOr(getenv, "COOPMAP_LOG_FORMAT", "text"), "log format: text or json (env COOPMAP_LOG_FORMAT)")
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

// isPostgres reports whether a --db value names PostGIS rather than a file.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}
