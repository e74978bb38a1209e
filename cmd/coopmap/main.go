// Command coopmap imports open co-op data into a store and serves it as a
// web map and open-data API.
//
//	coopmap serve   --db ./coopmap.gpkg --addr 127.0.0.1:8080
//	coopmap import  --db ./coopmap.gpkg --source coops-uk --licence ODC-By-1.0 --attribution "…" coops.csv
//	coopmap migrate --db postgres://…
//	coopmap version
//
// The store is picked by --db (or COOPMAP_DB): a postgres:// or
// postgresql:// URL means PostGIS; anything else is the path of the
// embedded GeoPackage file, created when missing.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/mattn/go-isatty"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

const usage = `coopmap: an open-data map of co-operatives.

Usage:
  coopmap serve   [--db DSN] [--addr HOST:PORT] [--migrate]   serve the map and API
  coopmap import  [--db DSN] --source SLUG [flags] FILE…       import files as a source, all or nothing
  coopmap migrate [--db DSN]                                   bring a PostGIS schema up to date
  coopmap graph build EXTRACT.osm.pbf -o FILE.graph            build the bike routing graph for serve --graph
  coopmap tour create|update|list|delete [flags]               plan co-op bike tours on the graph and store them
  coopmap backup  [--db FILE.gpkg] OUT.gpkg                    online backup of the GeoPackage (VACUUM INTO)
  coopmap token create|list|revoke [flags]                     manage the API tokens of the write API
  coopmap tiles export --collection ID [flags] OUT.pmtiles    write collections' vector tiles to a PMTiles archive
  coopmap version                                              print the version

--db is a postgres:// URL (PostGIS) or a GeoPackage path (default ./coopmap.gpkg);
every flag can also be set as COOPMAP_<FLAG> in the environment (COOPMAP_DB, COOPMAP_ADDR, …).
Run "coopmap COMMAND -h" for a command's flags.
`

// run is main without the process: it returns the exit status, so tests
// can drive every command in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr, getenv)
	case "migrate":
		err = migrate(ctx, args[1:], stdout, stderr, getenv)
	case "import":
		err = importCommand(ctx, args[1:], stdout, stderr, getenv)
	case "graph":
		err = graphCommand(ctx, args[1:], stdout, stderr)
	case "tour":
		err = tourCommand(ctx, args[1:], stdout, stderr, getenv)
	case "backup":
		err = backupCommand(ctx, args[1:], stdout, stderr, getenv)
	case "token":
		err = tokenCommand(ctx, args[1:], stdout, stderr, getenv)
	case "tiles":
		err = tilesCommand(ctx, args[1:], stdout, stderr, getenv)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "coopmap", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "coopmap: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "coopmap %s: %v\n", args[0], err)
		return 1
	}
}

// errUsage marks a command-line mistake already explained on stderr.
var errUsage = errors.New("usage")

// newLogger returns the structured logger for the chosen format.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "auto" {
		// Text for a person at a terminal, JSON for a log collector.
		format = "json"
		if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			format = "text"
		}
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text, json or auto", format)
	}
}
