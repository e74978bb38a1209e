package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
	"github.com/coopmap/coopmap/importers"
	"github.com/coopmap/coopmap/pmtiles"
	"github.com/coopmap/coopmap/tiles"
	"github.com/coopmap/coopmap/web"
)

const tilesUsage = `Usage: coopmap tiles export [--db DSN] --collection ID [--collection ID …]
                            [--minzoom 0] [--maxzoom 14] [--max-tiles N] OUT.pmtiles

Writes the vector tiles of one or more collections into a PMTiles v3 archive
(https://github.com/protomaps/PMTiles), for hosting a tile set as one static
file without a server. Each collection is one layer, named after it, and
every tile is the one "coopmap serve" gives at /tiles/{collection}/{z}/{x}/{y}.mvt
(/tiles/default/… for the collections of the default map in their order);
--collection default names those collections. Tiles are gzip-compressed MVT;
equal tiles are stored once; tiles without features are left out. The
metadata is TileJSON-like (vector_layers with fields) and carries every
collection's licence and attribution.

Only tiles that touch a feature are rendered. Limits: --maxzoom at most 16,
and at most --max-tiles such tiles over all zooms (default 1,000,000, at
most 10,000,000); a larger export is refused before anything is rendered.
The archive is written whole or not at all: a temporary file beside OUT,
renamed into place when complete (Ctrl-C leaves no partial file). A
progress bar shows on stderr when it is a terminal.
`

// Limits of tiles export (documented in tilesUsage and README.md).
const (
	exportZoomLimit       = 16
	defaultExportMaxTiles = 1_000_000
	exportMaxTilesLimit   = 10_000_000
)

// exportConfig is what tiles export is told.
type exportConfig struct {
	Collections      []string
	MinZoom, MaxZoom int
	MaxTiles         int
	Embedded         bool
	Out              string
}

// tilesCommand runs "coopmap tiles SUBCOMMAND".
func tilesCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "export" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, tilesUsage)
			return flag.ErrHelp
		}
		fmt.Fprint(stderr, tilesUsage)
		return errUsage
	}
	var (
		c  Config
		ec exportConfig
	)
	fs := newFlagSet("tiles export", stderr, getenv, &c)
	fs.Usage = func() { fmt.Fprint(fs.Output(), tilesUsage); fs.PrintDefaults() }
	fs.Var((*multiFlag)(&ec.Collections), "collection", "a collection to export, one layer each (repeatable; \"default\": the default map's collections)")
	fs.IntVar(&ec.MinZoom, "minzoom", 0, "lowest zoom")
	fs.IntVar(&ec.MaxZoom, "maxzoom", 14, fmt.Sprintf("highest zoom, at most %d", exportZoomLimit))
	fs.IntVar(&ec.MaxTiles, "max-tiles", defaultExportMaxTiles, fmt.Sprintf("refuse an export of more tiles than this (at most %d)", exportMaxTilesLimit))
	fs.BoolVar(&ec.Embedded, "tile-embedded", envBool(getenv, "COOPMAP_TILE_EMBEDDED"), "render tiles in Go even on PostGIS, instead of with ST_AsMVT, as serve --tile-embedded (env COOPMAP_TILE_EMBEDDED)")
	if err := fs.Parse(args[1:]); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "coopmap tiles export: give the flags, then one OUT.pmtiles\n\n%s", tilesUsage)
		return errUsage
	}
	ec.Out = fs.Arg(0)
	if err := ec.validate(); err != nil {
		return err
	}
	st, err := openLogged(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	return exportTiles(ctx, st, ec, stdout, stderr, isTerminal(stderr, getenv))
}

// validate checks the flags before the store is opened.
func (ec exportConfig) validate() error {
	switch {
	case len(ec.Collections) == 0:
		return errors.New("--collection: name at least one collection to export")
	case ec.MaxZoom < 0 || ec.MaxZoom > exportZoomLimit:
		return fmt.Errorf("--maxzoom %d: want 0 to %d", ec.MaxZoom, exportZoomLimit)
	case ec.MinZoom < 0 || ec.MinZoom > ec.MaxZoom:
		return fmt.Errorf("--minzoom %d: want 0 to --maxzoom (%d)", ec.MinZoom, ec.MaxZoom)
	case ec.MaxTiles < 1 || ec.MaxTiles > exportMaxTilesLimit:
		return fmt.Errorf("--max-tiles %d: want 1 to %d", ec.MaxTiles, exportMaxTilesLimit)
	case !strings.HasSuffix(strings.ToLower(ec.Out), ".pmtiles"):
		return fmt.Errorf("%s: the archive's name must end in .pmtiles", ec.Out)
	}
	return nil
}

// exportTiles writes the archive ec asks for from st.
func exportTiles(ctx context.Context, st coopmap.Reader, ec exportConfig, stdout, stderr io.Writer, progress bool) error {
	start := time.Now()
	srcs, err := exportSources(ctx, st, ec.Collections)
	if err != nil {
		return err
	}
	opts := tiles.DefaultOptions()
	opts.MaxZoom = exportZoomLimit
	render := tiles.NewRenderer(st, opts, ec.Embedded)
	ids, err := candidateTiles(ctx, st, srcs, ec.MinZoom, ec.MaxZoom, float64(opts.Buffer)/float64(opts.Extent), ec.MaxTiles)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return fmt.Errorf("nothing to export: %s %s no features", sourceIDs(srcs), plural(len(srcs), "has", "have"))
	}
	meta, h, err := archiveMetadata(ctx, st, srcs, ec)
	if err != nil {
		return err
	}
	name := ec.Out
	err = writeAtomic(ec.Out, func(f *os.File) error {
		spool, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.spool")
		if err != nil {
			return err
		}
		defer func() {
			spool.Close()
			os.Remove(spool.Name())
		}()
		w := pmtiles.NewWriter(spool)
		var (
			bar        *progressBar
			done, zoom int
		)
		if progress {
			bar = &progressBar{w: stderr, start: time.Now(), line: func(done, total int64, elapsed time.Duration) string {
				return tileProgressLine(done, total, zoom, elapsed)
			}}
		}
		layers := make([]coopmap.TileLayer, len(srcs))
		for i, s := range srcs {
			layers[i] = coopmap.TileLayer{Name: s.ID, SourceID: s.ID, Version: s.Version}
		}
		var empty int
		err = renderInOrder(ctx, render, layers, ids, func(id uint64, gz []byte) error {
			z, x, y := pmtiles.TileZXY(id)
			if done++; bar != nil {
				zoom = int(z)
				bar.update(int64(done), int64(len(ids)))
			}
			if gz == nil {
				empty++
				return nil
			}
			return w.Add(z, x, y, gz)
		})
		if bar != nil {
			bar.clear()
		}
		if err != nil {
			return err
		}
		added, distinct := w.Tiles()
		if added == 0 {
			return fmt.Errorf("nothing to export: every tile of %s in zooms %d–%d is empty", sourceIDs(srcs), ec.MinZoom, ec.MaxZoom)
		}
		h, err = w.Finish(f, h, meta)
		if err != nil {
			return err
		}
		size := h.DataOffset + h.DataLength
		fmt.Fprintf(stdout, "%s: %s tiles (%s distinct) of %s, zooms %d–%d, %.1f MB; %s empty tiles left out (%.1fs)\n",
			name, importers.Thousands(added), importers.Thousands(distinct), sourceIDs(srcs), ec.MinZoom, ec.MaxZoom,
			float64(size)/1e6, importers.Thousands(empty), time.Since(start).Seconds())
		return nil
	})
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("interrupted, %s not written: %w", name, err)
	}
	return err
}

// exportSources returns the collections to export, in the order named,
// "default" standing for the default map's collections. Each must exist
// and be a collection of co-ops or features (tours have no tiles), named
// once.
func exportSources(ctx context.Context, st coopmap.Reader, names []string) ([]coopmap.Source, error) {
	var (
		out  []coopmap.Source
		seen = map[string]bool{}
	)
	add := func(s coopmap.Source) error {
		if seen[s.ID] {
			return fmt.Errorf("--collection %q: named twice", s.ID)
		}
		seen[s.ID] = true
		out = append(out, s)
		return nil
	}
	for _, name := range names {
		if name == web.DefaultTileSet {
			all, err := st.Sources(ctx)
			if err != nil {
				return nil, err
			}
			for _, s := range all {
				if hasTiles(s) {
					if err := add(s); err != nil {
						return nil, err
					}
				}
			}
			continue
		}
		s, err := st.Source(ctx, name)
		if coopmap.ErrorCode(err) == coopmap.CodeNotFound {
			return nil, fmt.Errorf("--collection %q: there is no such collection", name)
		}
		if err != nil {
			return nil, err
		}
		if !hasTiles(s) {
			return nil, fmt.Errorf("--collection %q: a collection of %s has no tiles (only co-ops and features do)", name, s.Kind)
		}
		if err := add(s); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, errors.New("--collection default: the store has no collections of co-ops or features")
	}
	return out, nil
}

// hasTiles reports whether a source is a tile set, as the server's.
func hasTiles(s coopmap.Source) bool {
	return s.Kind == coopmap.KindCoops || s.Kind == coopmap.KindFeatures
}

// archiveMetadata returns the archive's JSON metadata and the descriptive
// half of its header (bounds, center, zooms, tile type), from the sources'
// TileJSON as the server makes it.
func archiveMetadata(ctx context.Context, st coopmap.Reader, srcs []coopmap.Source, ec exportConfig) ([]byte, pmtiles.Header, error) {
	var (
		bounds orb.Bound
		have   bool
	)
	for _, s := range srcs {
		b, ok, err := tiles.Extent(ctx, st, s.ID)
		if err != nil {
			return nil, pmtiles.Header{}, err
		}
		switch {
		case ok && have:
			bounds = bounds.Union(b)
		case ok:
			bounds, have = b, true
		}
	}
	name := srcs[0].ID
	if len(srcs) > 1 {
		name = sourceIDs(srcs)
	}
	tj := web.TileSetJSON(name, srcs, bounds, have, ec.MinZoom, ec.MaxZoom)
	m := archiveMeta{
		Name: tj.Name, Description: tj.Description, Attribution: tj.Attribution, Type: "overlay",
		Generator: "coopmap " + version, MinZoom: tj.MinZoom, MaxZoom: tj.MaxZoom, Bounds: tj.Bounds, Center: tj.Center,
		VectorLayers: tj.VectorLayers,
	}
	for _, s := range srcs {
		m.Sources = append(m.Sources, archiveSource{
			ID: s.ID, Title: s.Title, Licence: s.Licence.Complete(), Attribution: s.Attribution,
			Owner: s.Owner, Origin: s.Origin, Version: s.Version, Features: s.FeatureCount,
		})
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, pmtiles.Header{}, err
	}
	h := pmtiles.Header{
		TileType: pmtiles.TileTypeMVT, TileCompression: pmtiles.CompressionGzip,
		MinZoom: uint8(ec.MinZoom), MaxZoom: uint8(ec.MaxZoom),
		MinLon: tj.Bounds[0], MinLat: tj.Bounds[1], MaxLon: tj.Bounds[2], MaxLat: tj.Bounds[3],
		CenterLon: tj.Center[0], CenterLat: tj.Center[1], CenterZoom: uint8(tj.Center[2]),
	}
	return b, h, nil
}

// archiveMeta is the archive's metadata: the TileJSON keys a PMTiles
// viewer reads, and the provenance of every layer.
type archiveMeta struct {
	Name         string            `json:"name"`
	Description  string            `json:"description,omitempty"`
	Attribution  string            `json:"attribution"`
	Type         string            `json:"type"`
	Generator    string            `json:"generator"`
	MinZoom      int               `json:"minzoom"`
	MaxZoom      int               `json:"maxzoom"`
	Bounds       [4]float64        `json:"bounds"`
	Center       [3]float64        `json:"center"`
	VectorLayers []web.VectorLayer `json:"vector_layers"`
	Sources      []archiveSource   `json:"sources"`
}

// archiveSource is one layer's provenance in the metadata.
type archiveSource struct {
	ID          string          `json:"id"`
	Title       string          `json:"title,omitempty"`
	Licence     coopmap.Licence `json:"licence"`
	Attribution string          `json:"attribution"`
	Owner       string          `json:"owner,omitempty"`
	Origin      string          `json:"origin,omitempty"`
	Version     int64           `json:"version"`
	Features    int             `json:"feature_count"`
}

// sourceIDs lists the sources' ids for a message.
func sourceIDs(srcs []coopmap.Source) string {
	ids := make([]string, len(srcs))
	for i, s := range srcs {
		ids[i] = s.ID
	}
	return strings.Join(ids, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// candidateTiles returns, sorted, the PMTiles ids of the tiles of zooms
// minZoom to maxZoom that may have features: those whose box grown by
// buffer (a fraction of a tile, the renderer's margin) touches a feature's
// bounds. Every other tile renders empty, since the renderer reads only
// features touching that box. The error says the export is too large when
// there are more than limit, or is the store's or ctx's.
func candidateTiles(ctx context.Context, st coopmap.Reader, srcs []coopmap.Source, minZoom, maxZoom int, buffer float64, limit int) ([]uint64, error) {
	set := map[uint64]struct{}{}
	tooMany := func(z int) error {
		return fmt.Errorf("more than %s tiles to render by zoom %d (--max-tiles): lower --maxzoom or export fewer collections", importers.Thousands(limit), z)
	}
	const eps = 1e-9
	for _, s := range srcs {
		for f, err := range geometries(ctx, st, s.ID) {
			if err != nil {
				return nil, err
			}
			if f.Geometry == nil {
				continue
			}
			b := f.Geometry.Bound()
			for z := minZoom; z <= maxZoom; z++ {
				n := 1 << z
				nw := maptile.Fraction(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z))
				se := maptile.Fraction(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z))
				x0, x1 := gridRange(nw[0]-buffer-eps, se[0]+buffer+eps, n)
				y0, y1 := gridRange(nw[1]-buffer-eps, se[1]+buffer+eps, n)
				if (x1-x0+1)*(y1-y0+1) > limit {
					return nil, tooMany(z)
				}
				for x := x0; x <= x1; x++ {
					for y := y0; y <= y1; y++ {
						set[pmtiles.TileID(uint8(z), uint32(x), uint32(y))] = struct{}{}
					}
				}
				if len(set) > limit {
					return nil, tooMany(z)
				}
			}
		}
	}
	ids := make([]uint64, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// gridRange returns the tile columns (or rows) from lo to hi, fractional
// tile coordinates, held within the zoom's n tiles.
func gridRange(lo, hi float64, n int) (int, int) {
	clamp := func(v float64) int { return int(max(0, min(float64(n-1), math.Floor(v)))) }
	return clamp(lo), clamp(hi)
}

// geometries streams a source's features for their geometry: the store's
// bulk tile read when it has one, else every feature.
func geometries(ctx context.Context, st coopmap.Reader, sourceID string) iter.Seq2[coopmap.Feature, error] {
	if tr, ok := st.(coopmap.TileReader); ok {
		world := geo.BBox{MinLon: -180, MinLat: -90, MaxLon: 180, MaxLat: 90}
		return tr.TileFeatures(ctx, coopmap.TileQuery{SourceID: sourceID, BBox: world})
	}
	return st.SourceFeatures(ctx, sourceID)
}

// renderInOrder renders the tiles ids on a few goroutines, gzips them
// there too, and hands each to use in the order of ids (nil for an empty
// tile). The first error (render's, use's or ctx's) stops it; it returns
// once every goroutine has ended.
func renderInOrder(ctx context.Context, r *tiles.Renderer, layers []coopmap.TileLayer, ids []uint64, use func(id uint64, gz []byte) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		gz  []byte
		err error
	}
	type job struct {
		id  uint64
		res chan result
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs := make(chan job, 4*workers)
	queue := make(chan job, 4*workers) // the same jobs, in order, for use
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(jobs)
		defer close(queue)
		for _, id := range ids {
			j := job{id, make(chan result, 1)}
			select {
			case queue <- j:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			// One compressor per goroutine, reset per tile: a new one
			// allocates about a megabyte.
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression) // a valid level never fails
			for j := range jobs {
				z, x, y := pmtiles.TileZXY(j.id)
				raw, err := r.Render(ctx, tiles.Tile{Z: int(z), X: int(x), Y: int(y)}, layers)
				if err != nil {
					j.res <- result{nil, fmt.Errorf("tile %d/%d/%d: %w", z, x, y, err)}
					continue
				}
				var gz []byte
				if len(raw) > 0 {
					buf.Reset()
					zw.Reset(&buf)
					_, _ = zw.Write(raw) // writes to a bytes.Buffer do not fail
					_ = zw.Close()
					gz = bytes.Clone(buf.Bytes())
				}
				j.res <- result{gz, nil}
			}
		})
	}
	err := func() error {
		for j := range queue {
			var res result
			select {
			case res = <-j.res:
			case <-ctx.Done():
				return ctx.Err()
			}
			if res.err != nil {
				return res.err
			}
			if err := use(j.id, res.gz); err != nil {
				return err
			}
		}
		return ctx.Err()
	}()
	cancel()
	wg.Wait()
	return err
}

// writeAtomic writes the file path through write on a temporary file in
// the same directory, renamed over path only when write succeeds, so path
// is either untouched or complete; the temporary file is removed
// otherwise.
func writeAtomic(path string, write func(f *os.File) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil { // CreateTemp makes it 0600
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// tileProgressLine renders one state of the export's progress bar.
func tileProgressLine(done, total int64, z int, elapsed time.Duration) string {
	frac := min(float64(done)/float64(max(total, 1)), 1)
	eta := "?"
	if done > 0 {
		eta = time.Duration(float64(elapsed) / float64(done) * float64(total-done)).Round(time.Second).String()
	}
	return fmt.Sprintf("%s %3.0f%%  %s/%s tiles  z%d  ETA %s", meter(frac), frac*100, importers.Thousands(int(done)), importers.Thousands(int(total)), z, eta)
}
