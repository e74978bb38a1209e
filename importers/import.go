package importers

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"path"
	"strings"
	"time"

	"github.com/coopmap/coopmap"
)

// Limits of one import. Breaking any of them fails the whole import with
// coopmap.CodeTooLarge and writes nothing.
const (
	// MaxInputSize bounds each input, in bytes, both as given and after
	// gzip or bzip2 decompression (so a small archive cannot expand
	// without end).
	MaxInputSize int64 = 2 << 30
	// MaxInputs bounds the number of inputs (files) in one import.
	MaxInputs = 1000
	// MaxFeatures bounds the records one import passes to the store.
	MaxFeatures = 5_000_000
	// MaxProblems bounds the problems, and separately the notes, that a
	// Report keeps; the counts go on.
	MaxProblems = 1000
	// DefaultTimeout bounds an import's time when Options.Timeout is 0.
	DefaultTimeout = 30 * time.Minute
)

// Formats maps format names (FormatCSV, FormatGeoJSON, …) to the Parser
// that reads each. The caller builds it, so this package imports no format
// package: cmd/coopmap wires importers/csv, importers/geojson and the rest.
type Formats map[string]Parser

// Input is one stream to import.
type Input struct {
	// Name names the input in reports and problem locations; its
	// extension is a hint for Detect.
	Name string
	// Reader is read once, to its end or to the first fatal error; the
	// caller closes it when that is needed.
	Reader io.Reader
	// Size is the input's length in bytes if known (0 if not), used only
	// for progress.
	Size int64
}

// Options configure an import.
type Options struct {
	// Source is the source to replace. ID is required. For a source that
	// already exists, every empty field is taken from the stored source
	// (the whole Licence when Licence.ID is empty). A new source needs
	// Licence.ID and Attribution; its Kind defaults to
	// coopmap.KindFeatures, its Title to its ID and its Origin to the
	// inputs' base names. Licence is completed with
	// coopmap.Licence.Complete.
	Source coopmap.Source
	// Formats are the parsers available, by format name.
	Formats Formats
	// Format forces one format for every input; "" or "auto" detects each
	// input's format with Detect.
	Format string
	// DryRun parses and validates everything and counts what would be
	// added, updated, unchanged and removed, but writes nothing.
	DryRun bool
	// Strict fails the whole import, writing nothing, at the first record
	// that has to be left out.
	Strict bool
	// Timeout bounds the import's time: 0 means DefaultTimeout, a negative
	// value no limit beyond ctx.
	Timeout time.Duration
	// Progress, if set, is called now and then with the bytes read so far
	// over all inputs and their total (-1 when some input's Size is
	// unknown), from the goroutine that called Import.
	Progress func(done, total int64)
}

// Import reads every input with the parser for its format and makes what
// they hold the complete contents of opts.Source in st, in one
// coopmap.Writer.ReplaceSource: either everything is stored or nothing
// changes. Each parsed record gets the stable id
// coopmap.FeatureID(source, key) and the source id, and is checked with
// coopmap.Feature.Validate; invalid records and repeated keys (the first
// wins) are left out and reported as problems. Memory stays flat in the
// size of the inputs except for 16 bytes per record to find repeated
// keys.
//
// The Report is filled in as far as the import got, also on failure.
// The error is:
//   - CodeInvalid naming the field for bad options ("source.id",
//     "licence", "attribution", "format"), an unknown or undetectable
//     format, an input that yields no usable record, or, with
//     opts.Strict, the first problem;
//   - CodeTooLarge when a limit (see MaxInputSize, MaxInputs,
//     MaxFeatures, opts.Timeout) is broken;
//   - CodeConflict when opts.Source would change a stored source's kind;
//   - the parser's error when an input as a whole cannot be read (wrapped
//     with the input's name);
//   - the store's error, or ctx's.
//
// In every error case nothing is written.
func Import(ctx context.Context, st coopmap.Store, opts Options, inputs ...Input) (Report, error) {
	return importWith(ctx, st, opts, limits{MaxInputSize, MaxFeatures, MaxProblems}, inputs)
}

// limits are the limits of one import: the constants, except in tests.
type limits struct {
	inputSize int64
	features  int
	problems  int
}

func importWith(ctx context.Context, st coopmap.Store, opts Options, lim limits, inputs []Input) (Report, error) {
	start := time.Now()
	rep := Report{Source: opts.Source.ID, DryRun: opts.DryRun, Strict: opts.Strict, Files: []FileReport{}, Problems: []Problem{}, Notes: []Problem{}}
	res, err := importAll(ctx, st, opts, lim, inputs, &rep)
	rep.Duration = time.Since(start)
	if err != nil {
		rep.Error = err.Error()
		rep.Added, rep.Updated, rep.Unchanged, rep.Removed, rep.Written = 0, 0, 0, 0, false
		return rep, err
	}
	rep.Added, rep.Updated, rep.Unchanged, rep.Removed = res.Added, res.Updated, res.Unchanged, res.Removed
	return rep, nil
}

// errStop is what the emitter returns once the import must stop; the
// real cause is in run.fatal or comes from the store.
var errStop = errors.New("import stopped")

func importAll(ctx context.Context, st coopmap.Store, opts Options, lim limits, inputs []Input, rep *Report) (coopmap.ReplaceResult, error) {
	var none coopmap.ReplaceResult
	if len(inputs) == 0 {
		return none, coopmap.Invalidf("inputs", "nothing to import: give at least one file")
	}
	for i, in := range inputs {
		if in.Reader == nil {
			return none, coopmap.Invalidf(fmt.Sprintf("inputs[%d]", i), "input %q has no reader", in.Name)
		}
	}
	if len(inputs) > MaxInputs {
		return none, &coopmap.Error{Code: coopmap.CodeTooLarge, Field: "inputs", Message: fmt.Sprintf("%d inputs; the limit is %d per import", len(inputs), MaxInputs)}
	}
	switch f := opts.Format; {
	case f == "" || f == "auto":
	case opts.Formats[f] == nil:
		return none, coopmap.Invalidf("format", "%q is not a format this importer has (%s)", f, strings.Join(available(opts.Formats), ", "))
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	parent := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	// timeLimit turns our own deadline into a too-large error, leaving the
	// caller's cancellation and deadlines as they are.
	timeLimit := func(err error) error {
		if err != nil && parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded) {
			return &coopmap.Error{Code: coopmap.CodeTooLarge, Message: fmt.Sprintf("the import took longer than its time limit of %s", timeout)}
		}
		return err
	}

	src, oldVersion, err := resolveSource(ctx, st, opts.Source, inputs)
	if err != nil {
		return none, timeLimit(err)
	}
	rep.Source = src.ID

	r := &run{
		ctx:    ctx,
		opts:   opts,
		src:    src.ID,
		rep:    rep,
		lim:    lim,
		inputs: inputs,
		seen:   make(map[[16]byte]struct{}),
	}
	r.total = 0
	for _, in := range inputs {
		if in.Size <= 0 {
			r.total = -1
			break
		}
		r.total += in.Size
	}

	if opts.DryRun {
		r.parsed = make(map[[16]byte][16]byte)
		if err := r.parseAll(); err != nil {
			return none, timeLimit(err)
		}
		res, err := r.compare(st)
		return res, timeLimit(err)
	}

	seq := func(yield func(coopmap.Feature, error) bool) {
		r.yield = yield
		err := r.parseAll()
		if err == nil || r.stopped {
			return // the store stopped reading: its error says why
		}
		r.fatal = err
		yield(coopmap.Feature{}, err)
	}
	res, err := st.ReplaceSource(ctx, src, iter.Seq2[coopmap.Feature, error](seq))
	if r.fatal != nil {
		// Our own error is clearer than the store's wrapping of it.
		return none, timeLimit(r.fatal)
	}
	if err != nil {
		return none, timeLimit(err)
	}
	// The store bumps the version on any change to the source or its
	// contents.
	rep.Written = res.Source.Version != oldVersion
	return res, nil
}

func available(f Formats) []string {
	var out []string
	for _, n := range FormatNames() {
		if f[n] != nil {
			out = append(out, n)
		}
	}
	return out
}

// resolveSource fills src from the stored source of the same id, or
// checks it can start a new one. It returns the stored version, 0 for a
// new source.
func resolveSource(ctx context.Context, st coopmap.Store, src coopmap.Source, inputs []Input) (_ coopmap.Source, version int64, _ error) {
	if !coopmap.ValidSlug(src.ID) {
		return src, 0, coopmap.Invalidf("source.id", "source id %q must be 1–64 lower-case letters, digits and inner hyphens", src.ID)
	}
	old, err := st.Source(ctx, src.ID)
	switch {
	case err == nil:
		version = old.Version
		if src.Kind == "" {
			src.Kind = old.Kind
		}
		if src.Licence.ID == "" {
			src.Licence = old.Licence
		}
		fill := func(dst *string, v string) {
			if *dst == "" {
				*dst = v
			}
		}
		fill(&src.Title, old.Title)
		fill(&src.Description, old.Description)
		fill(&src.Attribution, old.Attribution)
		fill(&src.Owner, old.Owner)
		fill(&src.Origin, old.Origin)
		if src.RetrievedAt.IsZero() {
			src.RetrievedAt = old.RetrievedAt
		}
	case coopmap.ErrorCode(err) == coopmap.CodeNotFound:
		if src.Licence.ID == "" {
			return src, 0, coopmap.Invalidf("licence", "source %q is new, so it needs a licence: a short id such as ODC-By-1.0, ODbL-1.0, OGL-UK-3.0 or CC-BY-4.0", src.ID)
		}
		if src.Attribution == "" {
			return src, 0, coopmap.Invalidf("attribution", "source %q is new, so it needs the attribution text its licence requires re-users to show", src.ID)
		}
		if src.Kind == "" {
			src.Kind = coopmap.KindFeatures
		}
		if src.Title == "" {
			src.Title = src.ID
		}
		if src.Origin == "" {
			names := make([]string, len(inputs))
			for i, in := range inputs {
				names[i] = path.Base(strings.ReplaceAll(in.Name, `\`, "/"))
			}
			src.Origin = clip(strings.Join(names, ", "), coopmap.MaxShort)
		}
	default:
		return src, 0, err
	}
	src.Licence = src.Licence.Complete()
	if src.Kind == coopmap.KindTours {
		return src, 0, coopmap.Invalidf("kind", "source %q holds tours; files import into sources of kind coops or features", src.ID)
	}
	if err := src.Validate(); err != nil {
		return src, 0, err
	}
	return src, version, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}

// run is the state of one import; it is the Emitter the parsers see.
type run struct {
	ctx    context.Context
	opts   Options
	src    string
	rep    *Report
	lim    limits
	inputs []Input
	file   *FileReport

	// seen holds a digest of each id passed on, to find repeats; a dry
	// run uses parsed instead, which also keeps the content hash.
	seen    map[[16]byte]struct{}
	parsed  map[[16]byte][16]byte
	yield   func(coopmap.Feature, error) bool // nil in a dry run
	stopped bool                              // yield returned false
	fatal   error

	done, total, reported int64
}

var (
	_ Emitter = (*run)(nil)
	_ Noter   = (*run)(nil)
)

// Feature implements Emitter.
func (r *run) Feature(f coopmap.Feature, where string) error {
	if r.fatal != nil || r.stopped {
		return errStop
	}
	if err := r.ctx.Err(); err != nil {
		r.fatal = err
		return errStop
	}
	r.rep.Read++
	r.file.Read++
	f.SourceID = r.src
	if f.Precision == "" {
		f.Precision = coopmap.PrecisionExact
	}
	key := f.ID
	if key == "" {
		f.ID = "-" // Hash ignores the id; Validate wants one
		key = "h" + f.Hash()[:20]
	}
	f.ID = coopmap.FeatureID(r.src, key)
	if err := f.Validate(); err != nil {
		r.skip(Problem{Where: where, Field: coopmap.ErrorField(err), Reason: reason(err)})
		return r.stop()
	}
	d := sha256.Sum256([]byte(f.ID))
	id := [16]byte(d[:16])
	if r.isRepeat(id) {
		r.skip(Problem{Where: where, Field: "id", Reason: fmt.Sprintf("key %q is repeated: an earlier record has the same key (for a record without one, the same content), so this one is left out", clipKey(key))})
		return r.stop()
	}
	if r.rep.Imported >= r.lim.features {
		r.fatal = &coopmap.Error{Code: coopmap.CodeTooLarge, Message: fmt.Sprintf("%s: more than %s records; the limit is %s per import", where, Thousands(r.lim.features), Thousands(r.lim.features))}
		return errStop
	}
	r.rep.Imported++
	r.file.Imported++
	if r.parsed != nil {
		r.parsed[id] = contentHash(f)
		return nil
	}
	r.seen[id] = struct{}{}
	if !r.yield(f, nil) {
		r.stopped = true
		return errStop // the store stopped reading: its error says why
	}
	return nil
}

// Problem implements Emitter.
func (r *run) Problem(where, why string) {
	r.rep.Read++
	r.file.Read++
	r.skip(Problem{Where: where, Reason: why})
}

// Note implements Noter.
func (r *run) Note(where, why string) {
	r.rep.NoteCount++
	if len(r.rep.Notes) < r.lim.problems {
		r.rep.Notes = append(r.rep.Notes, Problem{Where: where, Reason: why})
	}
}

func (r *run) skip(p Problem) {
	r.rep.Skipped++
	r.file.Skipped++
	if len(r.rep.Problems) < r.lim.problems {
		r.rep.Problems = append(r.rep.Problems, p)
	}
	if r.opts.Strict && r.fatal == nil {
		r.fatal = &coopmap.Error{Code: coopmap.CodeInvalid, Field: p.Field,
			Message: fmt.Sprintf("%s: %s (strict import: the first problem stops it)", p.Where, p.Reason)}
	}
}

// stop returns errStop once the import has failed, so parsers stop early.
func (r *run) stop() error {
	if r.fatal != nil {
		return errStop
	}
	return nil
}

// reason returns an error's message without its code and field, which the
// Problem carries separately.
func reason(err error) string {
	var e *coopmap.Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

func clipKey(k string) string {
	if len(k) > 60 {
		return clip(k, 60) + "…"
	}
	return k
}

func (r *run) isRepeat(id [16]byte) bool {
	if r.parsed != nil {
		_, ok := r.parsed[id]
		return ok
	}
	_, ok := r.seen[id]
	return ok
}

// compare counts, for a dry run, what replacing the stored features with
// the parsed ones would do, comparing content hashes as stores do.
func (r *run) compare(st coopmap.Store) (coopmap.ReplaceResult, error) {
	var res coopmap.ReplaceResult
	matched := 0
	for f, err := range st.SourceFeatures(r.ctx, r.src) {
		if coopmap.ErrorCode(err) == coopmap.CodeNotFound {
			break // a new source
		}
		if err != nil {
			return res, err
		}
		d := sha256.Sum256([]byte(f.ID))
		h, ok := r.parsed[[16]byte(d[:16])]
		switch {
		case !ok:
			res.Removed++
		case h == contentHash(f):
			res.Unchanged++
			matched++
		default:
			res.Updated++
			matched++
		}
	}
	res.Added = len(r.parsed) - matched
	return res, nil
}

func contentHash(f coopmap.Feature) [16]byte {
	var h [16]byte
	hex.Decode(h[:], []byte(f.Hash()))
	return h
}

// parseAll reads every input in turn and checks the import as a whole.
func (r *run) parseAll() error {
	r.rep.Files = make([]FileReport, len(r.inputs))
	for i, in := range r.inputs {
		r.rep.Files[i].Name = in.Name
		r.file = &r.rep.Files[i]
		if err := r.parseInput(in); err != nil {
			return err
		}
	}
	r.progress(true)
	if r.fatal != nil {
		return r.fatal
	}
	if r.rep.Imported == 0 {
		return coopmap.Invalidf("inputs", "no usable record in %s (%s read, %s left out): the source is left as it was",
			names(r.inputs), Thousands(r.rep.Read), Thousands(r.rep.Skipped))
	}
	return nil
}

func names(inputs []Input) string {
	if len(inputs) == 1 {
		return inputs[0].Name
	}
	return fmt.Sprintf("%d inputs", len(inputs))
}

// parseInput detects one input's format and runs its parser.
func (r *run) parseInput(in Input) (err error) {
	raw := &limitReader{r: in.Reader, max: r.lim.inputSize, name: in.Name, onRead: func(n int) {
		r.done += int64(n)
		r.file.Bytes += int64(n)
		r.progress(false)
	}}
	br := bufio.NewReaderSize(raw, 64<<10)
	head, err := br.Peek(SniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return readError(in.Name, raw, err)
	}
	var body io.Reader = br
	var inner *limitReader
	var unzip *damageReader
	switch sniffCompression(head) {
	case compGzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return readError(in.Name, raw, coopmap.Errorf(coopmap.CodeInvalid, "%s: the gzip stream is damaged: %v", in.Name, err))
		}
		r.file.Compression = "gzip"
		unzip = &damageReader{r: zr, what: in.Name + ": the gzip stream"}
	case compBzip2:
		r.file.Compression = "bzip2"
		unzip = &damageReader{r: bzip2.NewReader(br), what: in.Name + ": the bzip2 stream"}
	}
	if unzip != nil {
		inner = &limitReader{r: unzip, max: r.lim.inputSize, name: in.Name + " (decompressed)"}
	}
	if inner != nil {
		zbr := bufio.NewReaderSize(inner, 64<<10)
		head, err = zbr.Peek(SniffSize)
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return readError(in.Name, inner, err)
		}
		body = zbr
	}

	format := r.opts.Format
	if format == "" || format == "auto" {
		format = Detect(head, in.Name)
		if format == "" {
			return coopmap.Invalidf("format", "%s: not a format coopmap reads (CSV, GeoJSON, KML, KMZ, GPX or OSM XML, optionally gzip or bzip2 compressed)", in.Name)
		}
	}
	r.file.Format = format
	p := r.opts.Formats[format]
	if p == nil {
		return coopmap.Invalidf("format", "%s looks like %s, which this importer cannot read (it has %s); name a format with --format",
			in.Name, format, strings.Join(available(r.opts.Formats), ", "))
	}
	perr := safeParse(r.ctx, p, body, in.Name, r)
	// A limit broken under a parser that took the error for the end of
	// its input still fails the import.
	for _, l := range []*limitReader{raw, inner} {
		if l != nil && l.err != nil {
			return l.err
		}
	}
	if unzip != nil && unzip.err != nil && raw.err == nil {
		return unzip.err
	}
	switch {
	case r.fatal != nil:
		return r.fatal
	case r.stopped:
		return errStop // the store stopped reading; ReplaceSource says why
	case perr == nil:
		return nil
	case r.ctx.Err() != nil && errors.Is(perr, r.ctx.Err()):
		return perr
	}
	return named(in.Name, perr)
}

// named makes sure an input's error names the input: a coopmap error
// keeps its code and field and gains the name in front of its message
// unless it has it already; another error is wrapped.
func named(name string, err error) error {
	var ce *coopmap.Error
	if !errors.As(err, &ce) {
		return fmt.Errorf("%s: %w", name, err)
	}
	if strings.Contains(ce.Message, name) {
		return err
	}
	return &coopmap.Error{Code: ce.Code, Field: ce.Field, Message: name + ": " + ce.Message}
}

func readError(name string, l *limitReader, err error) error {
	if l.err != nil {
		return l.err
	}
	return named(name, err)
}

// safeParse runs a parser, turning a panic into an error so that one bad
// parser cannot take down a server that imports uploads.
func safeParse(ctx context.Context, p Parser, rd io.Reader, name string, e Emitter) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%s: the parser failed on this input (a bug in coopmap; please report it with the file): %v", name, v)
		}
	}()
	return p(ctx, rd, name, e)
}

// progress reports progress every 256 KiB, and at the end.
func (r *run) progress(final bool) {
	if r.opts.Progress == nil || (!final && r.done-r.reported < 256<<10) {
		return
	}
	r.reported = r.done
	r.opts.Progress(r.done, r.total)
}

// limitReader counts bytes and fails, rather than stops, past max.
type limitReader struct {
	r      io.Reader
	n, max int64
	name   string
	err    error
	onRead func(int)
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if int64(len(p)) > l.max-l.n+1 {
		p = p[:l.max-l.n+1]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.onRead != nil && n > 0 {
		l.onRead(n)
	}
	if l.n > l.max {
		l.err = &coopmap.Error{Code: coopmap.CodeTooLarge, Message: fmt.Sprintf("%s is larger than %s, the limit per input", l.name, byteSize(l.max))}
		return 0, l.err
	}
	return n, err
}

// damageReader turns a decompressor's failure (a stream cut short, a bad
// checksum) into a CodeInvalid error that says so, and remembers it, so
// the import fails with it whatever the parser made of it.
type damageReader struct {
	r    io.Reader
	what string
	err  error
}

func (d *damageReader) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		why := "is damaged"
		if errors.Is(err, io.ErrUnexpectedEOF) {
			why = "ends early (the file is truncated)"
		}
		d.err = coopmap.Errorf(coopmap.CodeInvalid, "%s %s: %v", d.what, why, err)
		return n, d.err
	}
	return n, err
}

// byteSize formats a limit in bytes for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
