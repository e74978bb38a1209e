package importers

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

// lineParser is a test format: one record per line, "key lon lat name…".
// "!reason" reports a problem, "~reason" a note, "PANIC" panics, "FAIL"
// fails the stream, "SLOW" waits for ctx; "-" as key means no key.
func lineParser(ctx context.Context, r io.Reader, name string, e Emitter) error {
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		where := fmt.Sprintf("%s:%d", name, line)
		t := sc.Text()
		switch {
		case t == "":
			continue
		case t == "PANIC":
			panic("boom")
		case t == "FAIL":
			return errors.New("the stream broke")
		case t == "SLOW":
			<-ctx.Done()
			return ctx.Err()
		case strings.HasPrefix(t, "!"):
			e.Problem(where, t[1:])
			continue
		case strings.HasPrefix(t, "~"):
			Note(e, where, t[1:])
			continue
		}
		parts := strings.SplitN(t, " ", 4)
		if len(parts) < 3 {
			e.Problem(where, "want key lon lat name")
			continue
		}
		lon, _ := strconv.ParseFloat(parts[1], 64)
		lat, _ := strconv.ParseFloat(parts[2], 64)
		f := coopmap.Feature{ID: parts[0], Geometry: orb.Point{lon, lat}}
		if f.ID == "-" {
			f.ID = ""
		}
		if len(parts) == 4 {
			f.Name = parts[3]
		}
		if err := e.Feature(f, where); err != nil {
			return err
		}
	}
	return sc.Err()
}

func testSource(id string) coopmap.Source {
	return coopmap.Source{ID: id, Kind: coopmap.KindCoops, Licence: coopmap.Licence{ID: "ODC-By-1.0"},
		Attribution: "Contains test data."}
}

func opts(id string) Options {
	return Options{Source: testSource(id), Formats: Formats{FormatCSV: lineParser}}
}

func in(name, body string) Input {
	return Input{Name: name, Reader: strings.NewReader(body), Size: int64(len(body))}
}

func mustImport(t *testing.T, st coopmap.Store, o Options, inputs ...Input) Report {
	t.Helper()
	rep, err := Import(context.Background(), st, o, inputs...)
	if err != nil {
		t.Fatalf("Import: %v\n%s", err, rep.Summary())
	}
	return rep
}

func wantCounts(t *testing.T, rep Report, read, imported, skipped, added, updated, unchanged, removed int) {
	t.Helper()
	got := []int{rep.Read, rep.Imported, rep.Skipped, rep.Added, rep.Updated, rep.Unchanged, rep.Removed}
	want := []int{read, imported, skipped, added, updated, unchanged, removed}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("read/imported/skipped/added/updated/unchanged/removed = %v; want %v\n%s", got, want, rep.Summary())
	}
}

const threeCoops = "R1 -0.1 51.5 One\nR2 -0.2 51.6 Two\nR3 -0.3 51.7 Three\n"

func TestImportAndReimport(t *testing.T) {
	st := newMemStore()
	rep := mustImport(t, st, opts("coops-uk"), in("a.txt", threeCoops))
	wantCounts(t, rep, 3, 3, 0, 3, 0, 0, 0)
	if !rep.Written || rep.Files[0].Format != FormatCSV || rep.Files[0].Bytes != int64(len(threeCoops)) {
		t.Errorf("report = %+v", rep)
	}
	got := st.all("coops-uk")
	if len(got) != 3 || got[0].ID != "coops-uk.R1" || got[0].SourceID != "coops-uk" || got[0].Precision != coopmap.PrecisionExact {
		t.Fatalf("stored %+v", got)
	}
	src, _ := st.Source(context.Background(), "coops-uk")
	if src.Licence.Name == "" || src.Title != "coops-uk" || src.Origin != "a.txt" {
		t.Errorf("new source = %+v; want the licence completed, title and origin defaulted", src)
	}

	// The same again changes nothing.
	rep = mustImport(t, st, opts("coops-uk"), in("a.txt", threeCoops))
	wantCounts(t, rep, 3, 3, 0, 0, 0, 3, 0)
	if rep.Written {
		t.Error("an identical import reports Written")
	}
	if want := "coops-uk: 3 read, 3 imported, 0 skipped; 0 added, 0 updated, 3 unchanged, 0 removed ("; !strings.HasPrefix(rep.Summary(), want) {
		t.Errorf("Summary = %q; want prefix %q", rep.Summary(), want)
	}

	// One changed, one gone, one new; licence and attribution default
	// to the stored ones.
	o := opts("coops-uk")
	o.Source.Licence, o.Source.Attribution = coopmap.Licence{}, ""
	rep = mustImport(t, st, o, in("b.txt", "R1 -0.1 51.5 One\nR2 -0.2 51.6 Two renamed\nR4 0 52 Four\n"))
	wantCounts(t, rep, 3, 3, 0, 1, 1, 1, 1)
	src, _ = st.Source(context.Background(), "coops-uk")
	if src.Licence.ID != "ODC-By-1.0" || src.Attribution != "Contains test data." || src.Origin != "a.txt" {
		t.Errorf("re-import lost stored metadata: %+v", src)
	}
}

func TestNewSourceNeedsLicenceAndAttribution(t *testing.T) {
	st := newMemStore()
	o := opts("new")
	o.Source.Licence = coopmap.Licence{}
	_, err := Import(context.Background(), st, o, in("a.txt", threeCoops))
	if coopmap.ErrorCode(err) != coopmap.CodeInvalid || coopmap.ErrorField(err) != "licence" || !strings.Contains(err.Error(), "ODC-By-1.0") {
		t.Errorf("no licence: %v; want invalid licence naming examples", err)
	}
	o = opts("new")
	o.Source.Attribution = ""
	_, err = Import(context.Background(), st, o, in("a.txt", threeCoops))
	if coopmap.ErrorField(err) != "attribution" {
		t.Errorf("no attribution: %v", err)
	}
	o = opts("Not A Slug")
	rep, err := Import(context.Background(), st, o, in("a.txt", threeCoops))
	if coopmap.ErrorField(err) != "source.id" || rep.Error == "" || !strings.Contains(rep.Summary(), "import failed, nothing written") {
		t.Errorf("bad slug: %v / %q", err, rep.Summary())
	}
	if st.replaces != 0 {
		t.Errorf("%d replaces after failures", st.replaces)
	}
}

func TestProblemsAndNotes(t *testing.T) {
	st := newMemStore()
	body := strings.Join([]string{
		"R1 -0.1 51.5 One",
		"!no coordinates",
		"R2 200 51.6 Out of range",
		"R1 -0.1 51.5 Repeated",
		"~website dropped",
		"- 1 2 No key",
		"- 1 2 No key", // the same content, so the same derived key
		"- 1 3 Other",
	}, "\n")
	rep := mustImport(t, st, opts("s"), in("f.txt", body))
	wantCounts(t, rep, 7, 3, 4, 3, 0, 0, 0)
	want := []string{
		"f.txt:2: no coordinates",
		"f.txt:3: geometry: lon 200 is outside [-180, 180]",
		`f.txt:4: id: key "R1" is repeated`,
		`f.txt:7: id: key "h`,
	}
	if len(rep.Problems) != len(want) {
		t.Fatalf("problems = %v", rep.Problems)
	}
	for i, w := range want {
		if !strings.HasPrefix(rep.Problems[i].String(), w) {
			t.Errorf("problem %d = %q; want prefix %q", i, rep.Problems[i], w)
		}
	}
	if rep.NoteCount != 1 || rep.Notes[0].String() != "f.txt:5: website dropped" {
		t.Errorf("notes = %v", rep.Notes)
	}
	// Records without a key get one from their content: stable across
	// re-imports.
	var hashed []string
	for _, f := range st.all("s") {
		if strings.HasPrefix(f.ID, "s.h") {
			hashed = append(hashed, f.ID)
		}
	}
	rep = mustImport(t, st, opts("s"), in("f.txt", body))
	wantCounts(t, rep, 7, 3, 4, 0, 0, 3, 0)
	if len(hashed) != 2 {
		t.Errorf("hashed ids %v", hashed)
	}
}

func TestStrictWritesNothing(t *testing.T) {
	st := newMemStore()
	mustImport(t, st, opts("s"), in("a.txt", threeCoops))
	o := opts("s")
	o.Strict = true
	rep, err := Import(context.Background(), st, o, in("b.txt", "R1 1 1 Changed\nR9 500 1 Bad\nR10 1 1 After\n"))
	if coopmap.ErrorCode(err) != coopmap.CodeInvalid || !strings.Contains(err.Error(), "b.txt:2") || !strings.Contains(err.Error(), "strict") {
		t.Fatalf("strict: %v", err)
	}
	if rep.Written || rep.Added+rep.Updated+rep.Removed != 0 || !strings.Contains(rep.Summary(), "nothing written") {
		t.Errorf("strict report: %+v", rep)
	}
	got := st.all("s")
	if len(got) != 3 || got[0].Name != "One" {
		t.Errorf("strict failure changed the store: %+v", got)
	}
	// Notes do not fail a strict import.
	rep = mustImport(t, st, o, in("c.txt", "~only a note\n"+threeCoops))
	wantCounts(t, rep, 3, 3, 0, 0, 0, 3, 0)
}

func TestDryRun(t *testing.T) {
	st := newMemStore()
	o := opts("s")
	o.DryRun = true
	rep := mustImport(t, st, o, in("a.txt", threeCoops))
	wantCounts(t, rep, 3, 3, 0, 3, 0, 0, 0)
	if _, err := st.Source(context.Background(), "s"); coopmap.ErrorCode(err) != coopmap.CodeNotFound || st.replaces != 0 {
		t.Fatalf("dry run wrote: %v", err)
	}
	if !strings.HasPrefix(rep.Summary(), "s (dry run, nothing written): 3 read") {
		t.Errorf("Summary = %q", rep.Summary())
	}
	mustImport(t, st, opts("s"), in("a.txt", threeCoops))
	rep = mustImport(t, st, o, in("b.txt", "R1 -0.1 51.5 One\nR2 -0.2 51.6 Two renamed\nR4 0 52 Four\n"))
	wantCounts(t, rep, 3, 3, 0, 1, 1, 1, 1)
	if st.replaces != 1 || rep.Written {
		t.Errorf("dry run wrote: %d replaces", st.replaces)
	}
	// A dry run agrees with the real thing.
	real := mustImport(t, st, opts("s"), in("b.txt", "R1 -0.1 51.5 One\nR2 -0.2 51.6 Two renamed\nR4 0 52 Four\n"))
	if real.Added != rep.Added || real.Updated != rep.Updated || real.Unchanged != rep.Unchanged || real.Removed != rep.Removed {
		t.Errorf("dry run %s; real %s", rep.Summary(), real.Summary())
	}
}

func TestFailuresWriteNothing(t *testing.T) {
	for name, body := range map[string]string{
		"parser error": threeCoops + "FAIL\n",
		"parser panic": threeCoops + "PANIC\n",
		"nothing":      "!bad\n!worse\n",
		"empty":        "",
	} {
		t.Run(name, func(t *testing.T) {
			st := newMemStore()
			mustImport(t, st, opts("s"), in("a.txt", "R0 1 1 Zero\n"))
			rep, err := Import(context.Background(), st, opts("s"), in("b.txt", body))
			if err == nil || rep.Error == "" {
				t.Fatalf("no error; report %s", rep.Summary())
			}
			if !strings.Contains(err.Error(), "b.txt") {
				t.Errorf("error %q does not name the input", err)
			}
			if got := st.all("s"); len(got) != 1 || got[0].Name != "Zero" {
				t.Errorf("store changed: %+v", got)
			}
		})
	}
}

func TestMultipleInputsAndCompression(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("G1 1 1 Zipped\n"))
	zw.Close()
	st := newMemStore()
	var calls int
	var last, total int64
	o := opts("s")
	o.Progress = func(d, t int64) { calls++; last, total = d, t }
	rep := mustImport(t, st, o, in("a.txt", threeCoops), Input{Name: "b.txt.gz", Reader: bytes.NewReader(gz.Bytes()), Size: int64(gz.Len())})
	wantCounts(t, rep, 4, 4, 0, 4, 0, 0, 0)
	if rep.Files[1].Compression != "gzip" || rep.Files[1].Imported != 1 || rep.Files[0].Imported != 3 {
		t.Errorf("files = %+v", rep.Files)
	}
	if calls == 0 || last != total || total != int64(len(threeCoops)+gz.Len()) {
		t.Errorf("progress: %d calls, last %d of %d", calls, last, total)
	}
	// The same key in two files is a repeat.
	rep = mustImport(t, st, opts("s"), in("a.txt", threeCoops), in("c.txt", "R3 -0.3 51.7 Three again\n"))
	if rep.Skipped != 1 || rep.Problems[0].Where != "c.txt:1" {
		t.Errorf("cross-file repeat: %v", rep.Problems)
	}
}

func TestFormatSelection(t *testing.T) {
	st := newMemStore()
	o := opts("s")
	_, err := Import(context.Background(), st, o, in("a.geojson", `{"type":"FeatureCollection","features":[]}`))
	if coopmap.ErrorField(err) != "format" || !strings.Contains(err.Error(), "geojson") {
		t.Errorf("geojson without a parser: %v", err)
	}
	_, err = Import(context.Background(), st, o, in("a.bin", "\x00\x01\x02binary"))
	if coopmap.ErrorField(err) != "format" {
		t.Errorf("binary: %v", err)
	}
	o.Format = "kml"
	if _, err = Import(context.Background(), st, o, in("a.txt", threeCoops)); coopmap.ErrorField(err) != "format" {
		t.Errorf("--format kml without a parser: %v", err)
	}
	// A forced format wins over detection.
	o.Format = FormatCSV
	rep := mustImport(t, st, o, in("a.geojson", threeCoops))
	if rep.Files[0].Format != FormatCSV {
		t.Errorf("format = %q", rep.Files[0].Format)
	}
}

func TestLimits(t *testing.T) {
	st := newMemStore()
	mustImport(t, st, opts("s"), in("a.txt", "R0 1 1 Zero\n"))
	lim := limits{inputSize: 40, features: 2, problems: 1}
	check := func(name string, rep Report, err error, code coopmap.Code, msg string) {
		t.Helper()
		if coopmap.ErrorCode(err) != code || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v; want %s mentioning %q", name, err, code, msg)
		}
		if got := st.all("s"); len(got) != 1 {
			t.Errorf("%s: store changed", name)
		}
	}
	rep, err := importWith(context.Background(), st, opts("s"), lim, []Input{in("big.txt", strings.Repeat("R1 1 1 x\n", 10))})
	check("size", rep, err, coopmap.CodeTooLarge, "big.txt is larger than 40 bytes")
	rep, err = importWith(context.Background(), st, opts("s"), limits{1 << 20, 2, 10}, []Input{in("many.txt", threeCoops)})
	check("count", rep, err, coopmap.CodeTooLarge, "more than 2 records")

	// A small archive that expands past the limit.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bytes.Repeat([]byte("R1 1 1 x\n"), 1000))
	zw.Close()
	rep, err = importWith(context.Background(), st, opts("s"), limits{int64(gz.Len()) + 10, 10, 10}, []Input{{Name: "bomb.txt.gz", Reader: &gz}})
	check("decompressed", rep, err, coopmap.CodeTooLarge, "bomb.txt.gz (decompressed) is larger")

	// Problems kept are capped; the count goes on.
	rep, err = importWith(context.Background(), st, opts("s"), lim, []Input{in("p.txt", "!a\n!b\n!c\nR1 1 1 x\n")})
	if err != nil || len(rep.Problems) != 1 || rep.Skipped != 3 {
		t.Errorf("problem cap: %v, %d kept, %d skipped", err, len(rep.Problems), rep.Skipped)
	}
	b, _ := json.Marshal(rep)
	if !bytes.Contains(b, []byte(`"skipped":3`)) || !bytes.Contains(b, []byte(`"summary":"s: 4 read`)) || !bytes.Contains(b, []byte(`"duration_s":`)) {
		t.Errorf("report JSON: %s", b)
	}
}

func TestTimeout(t *testing.T) {
	st := newMemStore()
	o := opts("s")
	o.Timeout = 50 * time.Millisecond
	_, err := Import(context.Background(), st, o, in("slow.txt", threeCoops+"SLOW\n"))
	if coopmap.ErrorCode(err) != coopmap.CodeTooLarge || !strings.Contains(err.Error(), "time limit") {
		t.Errorf("timeout: %v", err)
	}
	// The caller's own cancellation stays a cancellation.
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err = Import(ctx, st, opts("s"), in("slow.txt", threeCoops+"SLOW\n"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancel: %v", err)
	}
	if len(st.all("s")) != 0 {
		t.Error("store changed")
	}
}

// countingStore is a store that reads features and keeps none, for
// measuring the engine's own memory.
type countingStore struct {
	*memStore
	n int
}

func (c *countingStore) ReplaceSource(ctx context.Context, src coopmap.Source, fs iter.Seq2[coopmap.Feature, error]) (coopmap.ReplaceResult, error) {
	for _, err := range fs {
		if err != nil {
			return coopmap.ReplaceResult{}, err
		}
		c.n++
	}
	return coopmap.ReplaceResult{Added: c.n, Source: src}, nil
}

// manyParser emits n point features with short property maps.
type manyParser int

func (n manyParser) parse(ctx context.Context, r io.Reader, name string, e Emitter) error {
	for i := range int(n) {
		f := coopmap.Feature{ID: "K" + strconv.Itoa(i), Name: "Feature " + strconv.Itoa(i),
			Geometry: orb.Point{float64(i%360) - 180, float64(i%180) - 90}, Properties: map[string]any{"i": i}}
		if err := e.Feature(f, name); err != nil {
			return err
		}
	}
	return nil
}

// TestMemoryFlat imports many records into a store that keeps none and
// checks that the engine's heap stays small: the set of seen ids is all
// that grows (16 bytes and map overhead a record).
func TestMemoryFlat(t *testing.T) {
	n := 300_000
	if testing.Short() {
		n = 50_000
	}
	st := &countingStore{memStore: newMemStore()}
	o := opts("s")
	o.Formats = Formats{FormatCSV: manyParser(n).parse}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	done, peakc := make(chan struct{}), make(chan uint64)
	go func() {
		var m runtime.MemStats
		var peak uint64
		for {
			select {
			case <-done:
				peakc <- peak
				return
			case <-time.After(20 * time.Millisecond):
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}
		}
	}()
	rep := mustImport(t, st, o, in("many.txt", "x"))
	close(done)
	peak := <-peakc
	if rep.Imported != n || st.n != n {
		t.Fatalf("imported %d, stored %d; want %d", rep.Imported, st.n, n)
	}
	growth := int64(peak) - int64(before.HeapInuse)
	perRecord := float64(growth) / float64(n)
	t.Logf("%d records: heap grew by %.1f MB at most (%.0f bytes a record)", n, float64(growth)/1e6, perRecord)
	if perRecord > 120 {
		t.Errorf("heap grew by %.0f bytes a record; want the id set only (under 120)", perRecord)
	}
}
