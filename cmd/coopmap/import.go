package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
	"github.com/coopmap/coopmap/importers/csv"
	"github.com/coopmap/coopmap/importers/geojson"
	"github.com/coopmap/coopmap/importers/gpx"
	"github.com/coopmap/coopmap/importers/kml"
	"github.com/coopmap/coopmap/importers/osm"
	"github.com/coopmap/coopmap/postcodes"
)

// importConfig is what the import command is told beyond Config.
type importConfig struct {
	Source                       coopmap.Source
	Licence, LicenceName, LicURL string
	Kind, Format                 string
	RetrievedAt                  string
	DryRun, Strict               bool
	Report                       string
	Timeout                      time.Duration
	Progress                     string
	MaxShown                     int
	// CSV options.
	Delimiter, Encoding, Precision string
	Mapping                        string
	Maps                           []string
	// OSMFilter is --osm-filter: key=value terms; "" keeps the default.
	OSMFilter string
	// Tour options (--as-tour).
	AsTour            bool
	TourID, TourTitle string
	MatchSources      string
	MatchDistance     float64
	Files             []string
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

const importUsage = `Usage: coopmap import --source SLUG [flags] FILE…

Imports FILEs (CSV, GeoJSON, KML/KMZ, GPX, OSM XML or PBF; gzip or bzip2
compressed too; "-" is standard input) as the complete contents of source
SLUG, all or nothing. A new source needs --licence and --attribution; an
existing one keeps its stored metadata unless flags change it. Prints one
summary line on stdout, problems on stderr; exit status 1 when nothing was
imported. With --as-tour, one file (GPX) becomes one tour in a tours source:
its waypoints the stops, matched to co-op records by name and distance. Limits: %d GiB per file, %s records per import, %d MiB per CSV
record, --timeout.

Flags:
`

// importCommand runs the import command.
func importCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var c Config
	var ic importConfig
	fs := newFlagSet("import", stderr, getenv, &c)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), importUsage, importers.MaxInputSize>>30, importers.Thousands(importers.MaxFeatures), csv.MaxRecordSize>>20)
		fs.PrintDefaults()
	}
	// Import flags describe one import, so unlike --db they are not read
	// from the environment.
	fs.StringVar(&ic.Source.ID, "source", "", "source id (slug) to replace, e.g. coops-uk (required)")
	fs.StringVar(&ic.Source.Title, "title", "", "source title (new source: defaults to the id)")
	fs.StringVar(&ic.Source.Description, "description", "", "source description")
	fs.StringVar(&ic.Licence, "licence", "", "licence id: ODC-By-1.0, ODbL-1.0, OGL-UK-3.0, CC-BY-4.0, CC-BY-SA-4.0, CC0-1.0, PDDL-1.0 or another SPDX id (required for a new source)")
	fs.StringVar(&ic.LicenceName, "licence-name", "", "licence name (filled in for known ids)")
	fs.StringVar(&ic.LicURL, "licence-url", "", "licence URL (filled in for known ids)")
	fs.StringVar(&ic.Source.Attribution, "attribution", "", "attribution text re-users must show (required for a new source)")
	fs.StringVar(&ic.Source.Owner, "owner", "", "who controls the data")
	fs.StringVar(&ic.Source.Origin, "origin", "", "where the data came from: a URL or file name (new source: defaults to the file names)")
	fs.StringVar(&ic.RetrievedAt, "retrieved", "", "when the data was taken from its origin: YYYY-MM-DD or RFC 3339")
	fs.StringVar(&ic.Kind, "kind", "", "coops or features (new source: features)")
	fs.StringVar(&ic.Format, "format", "auto", "input format: auto, "+strings.Join(importers.FormatNames(), ", "))
	fs.BoolVar(&ic.DryRun, "dry-run", false, "parse, validate and compare with the store, but write nothing")
	fs.BoolVar(&ic.Strict, "strict", false, "fail the whole import at the first record that has to be left out")
	fs.StringVar(&ic.Report, "report", "", "write the full report as JSON to this file")
	fs.DurationVar(&ic.Timeout, "timeout", importers.DefaultTimeout, "give up after this long")
	fs.StringVar(&ic.Delimiter, "delimiter", "", `CSV delimiter: "," ";" "tab" or "|" (default: detected)`)
	fs.StringVar(&ic.Encoding, "encoding", "auto", "CSV encoding: auto, utf-8, windows-1252 or utf-16")
	fs.StringVar(&ic.Precision, "precision", "", "CSV: precision of coordinates: exact, postcode or area (default exact)")
	fs.StringVar(&ic.Mapping, "mapping", "", `CSV column mapping file: JSON {"lat":"Latitude",…} or key=column lines`)
	fs.Var((*multiFlag)(&ic.Maps), "map", "CSV column mapping key=column, repeatable (keys: id name lon lat wkt postcode address sector org_type website email description founded status)")
	fs.StringVar(&ic.OSMFilter, "osm-filter", "", "OSM: keep nodes and ways with any of these tags, key=value[,key=value…] (key=* for any value), e.g. amenity=bicycle_parking,shop=bicycle (default: named shops, amenities, offices and co-ops)")
	fs.BoolVar(&ic.AsTour, "as-tour", false, "import one GPX (or other) file as a tour in a tours source: its waypoints become the stops, matched to co-op records by name and distance, its tracks the route")
	fs.StringVar(&ic.TourID, "tour-id", "", "--as-tour: the tour's id (default: from the file name)")
	fs.StringVar(&ic.TourTitle, "tour-title", "", "--as-tour: the tour's title (default: the first track's name)")
	fs.StringVar(&ic.MatchSources, "match-source", "", "--as-tour: comma-separated sources to match stops with (default: every coops source)")
	fs.Float64Var(&ic.MatchDistance, "match-distance", importers.DefaultMatchDistance, "--as-tour: furthest a matched co-op may be from its stop, in metres")
	fs.IntVar(&ic.MaxShown, "show", 20, "problems and notes to print on stderr (all are in --report)")
	fs.StringVar(&ic.Progress, "progress", "auto", "progress bar on stderr: auto (when it is a terminal), always or never")

	// Flags may follow the files.
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return err
			}
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		ic.Files = append(ic.Files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if ic.Progress != "auto" && ic.Progress != "always" && ic.Progress != "never" {
		return fmt.Errorf("--progress %q: want auto, always or never", ic.Progress)
	}
	if ic.Source.ID == "" || len(ic.Files) == 0 {
		fmt.Fprintln(stderr, "coopmap import: give --source SLUG and at least one FILE")
		fs.Usage()
		return errUsage
	}
	src, err := ic.source()
	if err != nil {
		return err
	}
	fmts, err := ic.formats()
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, c.LogFormat, c.LogLevel)
	if err != nil {
		return err
	}

	inputs := make([]importers.Input, 0, len(ic.Files))
	for _, name := range ic.Files {
		if name == "-" {
			inputs = append(inputs, importers.Input{Name: "stdin", Reader: os.Stdin})
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in := importers.Input{Name: name, Reader: f}
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			in.Size = fi.Size()
		}
		inputs = append(inputs, in)
	}

	st, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Ping(ctx); err != nil {
		return fmt.Errorf("store %s: %w", redact(c.DB), err)
	}
	if ic.AsTour {
		return importTourCommand(ctx, st, &ic, src, inputs, fmts, stdout, stderr)
	}

	opts := importers.Options{
		Source:  src,
		Formats: fmts,
		Format:  ic.Format,
		DryRun:  ic.DryRun,
		Strict:  ic.Strict,
		Timeout: ic.Timeout,
	}
	var bar *progressBar
	if ic.showProgress(stderr, getenv) {
		bar = &progressBar{w: stderr, start: time.Now()}
		opts.Progress = bar.update
	}
	rep, err := importers.Import(ctx, st, opts, inputs...)
	if bar != nil {
		bar.clear()
	}
	printProblems(stderr, rep, ic.MaxShown, ic.Report != "")
	fmt.Fprintln(stdout, rep.Summary())
	if ic.Report != "" {
		if werr := writeReport(ic.Report, rep); werr != nil {
			return errors.Join(err, werr)
		}
	}
	if err != nil {
		return flagHint(err)
	}
	return nil
}

// formats wires the parsers this binary has; csvParser and osmParser
// carry the CSV and OSM flags.
func formats(csvParser, osmParser importers.Parser) importers.Formats {
	return importers.Formats{
		importers.FormatCSV:     csvParser,
		importers.FormatGeoJSON: geojson.Parse,
		importers.FormatKML:     kml.Parse, // reads KMZ too
		importers.FormatKMZ:     kml.Parse,
		importers.FormatGPX:     gpx.Parse,
		importers.FormatOSM:     osmParser, // XML, PBF, bzip2 or gzip
	}
}

// source builds the source metadata from the flags.
func (ic *importConfig) source() (coopmap.Source, error) {
	s := ic.Source
	if ic.Licence != "" {
		s.Licence = coopmap.Licence{ID: ic.Licence, Name: ic.LicenceName, URL: ic.LicURL}.Complete()
	} else if ic.LicenceName != "" || ic.LicURL != "" {
		return s, fmt.Errorf("--licence-name and --licence-url need --licence")
	}
	switch ic.Kind {
	case "", string(coopmap.KindCoops), string(coopmap.KindFeatures):
		s.Kind = coopmap.Kind(ic.Kind)
	default:
		return s, fmt.Errorf("--kind %q: want coops or features", ic.Kind)
	}
	if ic.RetrievedAt != "" {
		t, err := time.Parse(time.DateOnly, ic.RetrievedAt)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, ic.RetrievedAt); err != nil {
				return s, fmt.Errorf("--retrieved %q: want YYYY-MM-DD or an RFC 3339 time", ic.RetrievedAt)
			}
		}
		s.RetrievedAt = t.UTC()
	}
	return s, nil
}

// formats builds the parsers from the CSV and OSM flags and wires them
// (formats).
func (ic *importConfig) formats() (importers.Formats, error) {
	csvParser, err := ic.csvParser()
	if err != nil {
		return nil, err
	}
	osmParser, err := ic.osmParser()
	if err != nil {
		return nil, err
	}
	return formats(csvParser, osmParser), nil
}

// csvParser builds the CSV parser from the CSV flags.
func (ic *importConfig) csvParser() (importers.Parser, error) {
	var o csv.Options
	if ic.Mapping != "" {
		f, err := os.Open(ic.Mapping)
		if err != nil {
			return nil, err
		}
		o.Mapping, err = csv.ReadMapping(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--mapping %s: %w", ic.Mapping, err)
		}
	}
	for _, kv := range ic.Maps {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("--map %q: want key=column", kv)
		}
		if err := o.Mapping.Set(k, v); err != nil {
			return nil, fmt.Errorf("--map %q: %w", kv, err)
		}
	}
	switch ic.Delimiter {
	case "":
	case ",", ";", "|":
		o.Delimiter = rune(ic.Delimiter[0])
	case "tab", `\t`, "\t":
		o.Delimiter = '\t'
	default:
		return nil, fmt.Errorf(`--delimiter %q: want "," ";" "tab" or "|"`, ic.Delimiter)
	}
	o.Encoding = ic.Encoding
	o.Precision = coopmap.Precision(ic.Precision)
	pcs, err := postcodes.Load()
	if err != nil {
		return nil, err
	}
	p, err := csv.New(o, pcs)
	if err != nil {
		return nil, fmt.Errorf("CSV options: %w", err)
	}
	return p, nil
}

// osmParser builds the OSM parser from --osm-filter.
func (ic *importConfig) osmParser() (importers.Parser, error) {
	if ic.OSMFilter == "" {
		return osm.Parse, nil
	}
	f, err := osm.ParseFilter(ic.OSMFilter)
	if err != nil {
		return nil, fmt.Errorf("--osm-filter: %w", err)
	}
	return osm.New(osm.Options{Filter: f}), nil
}

func (ic *importConfig) showProgress(stderr io.Writer, getenv func(string) string) bool {
	switch ic.Progress {
	case "always":
		return true
	case "never":
		return false
	}
	return isTerminal(stderr, getenv)
}

// isTerminal reports whether w is a terminal that can show a progress bar.
func isTerminal(w io.Writer, getenv func(string) string) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd()) && getenv("TERM") != "dumb"
}

// flagHint adds the flag to set to an error about a missing source field.
func flagHint(err error) error {
	switch coopmap.ErrorField(err) {
	case "licence":
		return fmt.Errorf("%w (set it with --licence)", err)
	case "attribution":
		return fmt.Errorf("%w (set it with --attribution)", err)
	case "source.id":
		return fmt.Errorf("%w (--source)", err)
	}
	return err
}

// printProblems prints the first n problems and notes.
func printProblems(w io.Writer, rep importers.Report, n int, haveReport bool) {
	more := "; --report FILE writes them all"
	if haveReport {
		more = "; the report has them all"
	}
	for _, list := range []struct {
		prefix, more string
		items        []importers.Problem
		total        int
	}{{"left out", "records left out", rep.Problems, rep.Skipped}, {"note", "notes", rep.Notes, rep.NoteCount}} {
		for i, p := range list.items {
			if i == n {
				break
			}
			fmt.Fprintf(w, "%s: %s\n", list.prefix, p)
		}
		if list.total > n {
			fmt.Fprintf(w, "… %s more %s%s\n", importers.Thousands(list.total-n), list.more, more)
		}
	}
}

// writeReport writes a report (importers.Report or TourReport) as
// indented JSON, replacing path only once it is complete.
func writeReport(path string, rep any) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".coopmap-report-*")
	if err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("--report: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	return nil
}

// progressBar draws "[=====>    ]  45%  12.3/45.6 MB  4.5 MB/s  ETA 7s" on
// one terminal line, at most ten times a second.
type progressBar struct {
	w     io.Writer
	start time.Time
	last  time.Time
	drawn bool
	// line renders one state (nil: progressLine, in bytes).
	line func(done, total int64, elapsed time.Duration) string
}

func (b *progressBar) update(done, total int64) {
	now := time.Now()
	if now.Sub(b.last) < 100*time.Millisecond {
		return
	}
	b.last = now
	b.drawn = true
	line := b.line
	if line == nil {
		line = progressLine
	}
	fmt.Fprint(b.w, "\r"+line(done, total, now.Sub(b.start))+"\x1b[K")
}

func (b *progressBar) clear() {
	if b.drawn {
		fmt.Fprint(b.w, "\r\x1b[K")
	}
}

// progressLine renders one state of the bar.
func progressLine(done, total int64, elapsed time.Duration) string {
	mb := func(n int64) string { return fmt.Sprintf("%.1f", float64(n)/1e6) }
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done) / s
	}
	if total <= 0 {
		return fmt.Sprintf("importing  %s MB  %s MB/s", mb(done), mb(int64(rate)))
	}
	frac := min(float64(done)/float64(total), 1)
	eta := "?"
	if rate > 0 {
		eta = time.Duration(float64(total-done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	return fmt.Sprintf("%s %3.0f%%  %s/%s MB  %s MB/s  ETA %s", meter(frac), frac*100, mb(done), mb(total), mb(int64(rate)), eta)
}

// meter draws a fraction done as "[=====>    ]".
func meter(frac float64) string {
	const width = 30
	fill := int(max(0, min(frac, 1)) * width)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	return "[" + bar + "]"
}
