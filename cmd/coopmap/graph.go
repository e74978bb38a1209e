package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/coopmap/coopmap/route"
)

const graphUsage = `Usage: coopmap graph build EXTRACT -o FILE.graph [--timeout 30m]

Builds the bike routing graph from an OpenStreetMap extract (.osm, .osm.bz2,
.osm.gz or .osm.pbf) and writes it to FILE.graph, for coopmap serve --graph.
Prints what the graph holds and what was left out (ways closed to bikes,
ways cut at the edge of the extract, turn restrictions that could not be
applied). The file is written whole or not at all.
`

// graphCommand runs "coopmap graph SUBCOMMAND".
func graphCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "build" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, graphUsage)
			return flag.ErrHelp
		}
		fmt.Fprint(stderr, graphUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("coopmap graph build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), graphUsage); fs.PrintDefaults() }
	out := fs.String("o", "", "the graph file to write (required)")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this long")
	// The extract may come before or after the flags.
	var files []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if err == flag.ErrHelp {
				return err
			}
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 1 || *out == "" {
		fmt.Fprintf(stderr, "coopmap graph build: give one EXTRACT and -o FILE.graph\n\n%s", graphUsage)
		return errUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	return buildGraph(ctx, files[0], *out, stdout, stderr)
}

// buildGraph builds the graph of extract and writes it to out through a
// temporary file in the same directory, renamed into place when complete.
func buildGraph(ctx context.Context, extract, out string, stdout, stderr io.Writer) (err error) {
	start := time.Now()
	f, err := os.Open(extract)
	if err != nil {
		return err
	}
	defer f.Close()
	g, rep, err := route.Build(ctx, f, route.BuildOptions{Source: filepath.Base(extract)})
	if rep != nil {
		fmt.Fprint(stderr, rep)
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%s: gave up after --timeout", extract)
		}
		return fmt.Errorf("%s: %w", extract, err)
	}
	var n int64
	err = writeAtomic(out, func(f *os.File) (err error) {
		n, err = g.WriteTo(f)
		return err
	})
	if err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	fmt.Fprintf(stdout, "%s: %s; %d bytes (%.1fs)\n", out, g, n, time.Since(start).Seconds())
	return nil
}

// loadGraph loads the routing graph for serve; an empty path means no
// routing (nil).
func loadGraph(path string, log *slog.Logger) (*route.Graph, error) {
	if path == "" {
		return nil, nil
	}
	start := time.Now()
	g, err := route.LoadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--graph: %w", err)
	}
	log.Info("routing graph loaded", "file", path, "junctions", g.NumVertices(), "edges", g.NumEdges(), "ms", time.Since(start).Milliseconds())
	return g, nil
}
