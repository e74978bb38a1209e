package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
	"github.com/coopmap/coopmap/importers/osm"
	"github.com/coopmap/coopmap/store/postgis/postgistest"
	"github.com/coopmap/coopmap/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite testdata/bad/expected.golden")

// badDir holds the bad-input catalogue; expected.golden there is what each
// case must produce, the same on every store.
const badDir = "../../testdata/bad"

// maxHeap bounds the Go heap while one bad input is imported.
const maxHeap = 256 << 20

// badCase is one entry of the catalogue: a committed file in badDir, or an
// input generated at run time (the huge ones, never committed).
type badCase struct {
	name string
	gen  func(t *testing.T) io.Reader
	// encoding is the CSV --encoding flag, when the case needs one.
	encoding string
}

// badCases returns the catalogue: every file in badDir except the golden
// file and README, then the generated inputs.
func badCases(t *testing.T) []badCase {
	t.Helper()
	entries, err := os.ReadDir(badDir)
	if err != nil {
		t.Fatal(err)
	}
	var cases []badCase
	for _, e := range entries {
		n := e.Name()
		if n == "expected.golden" || n == "README.md" {
			continue
		}
		cases = append(cases, badCase{name: n})
	}
	cases = append(cases, badCase{name: "utf8-invalid.csv --encoding utf-8", encoding: "utf-8"})
	const (
		feature = `{"type":"Feature","id":"long","properties":{"name":"Long line"},"geometry":{"type":"LineString","coordinates":[`
		trkpt   = `<trkpt lat="51.5" lon="-0.1"/><trkpt lat="51.6" lon="-0.2"/>`
	)
	cases = append(cases,
		// A line of exactly 10⁶ vertices, coopmap's limit, imports; one
		// more is a problem.
		badCase{name: "line-1e6-vertices.geojson", gen: func(*testing.T) io.Reader {
			return repeated(feature, "[-0.1,51.5],[-0.2,51.6],", 500_000-1, "[-0.1,51.5],[-0.2,51.6]]}}")
		}},
		badCase{name: "line-1e6+1-vertices.geojson", gen: func(*testing.T) io.Reader {
			return repeated(feature, "[-0.1,51.5],[-0.2,51.6],", 500_000, "[-0.3,51.7]]}}")
		}},
		// 10⁶ track points: one track of a million vertices.
		badCase{name: "gpx-1e6-points.gpx", gen: func(*testing.T) io.Reader {
			return repeated(`<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Million</name><trkseg>`,
				trkpt, 500_000, `</trkseg></trk></gpx>`)
		}},
		// 10⁶ + 1 points, one over the vertex limit.
		badCase{name: "gpx-1e6+1-points.gpx", gen: func(*testing.T) io.Reader {
			return repeated(`<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Too many</name><trkseg>`,
				trkpt, 500_000, `<trkpt lat="51.7" lon="-0.3"/></trkseg></trk></gpx>`)
		}},
		// 100 MB on one line: one CSV record, and one GeoJSON string.
		badCase{name: "single-line-100MB.csv", gen: func(*testing.T) io.Reader {
			return repeated("id,name,lat,lon\nX1,", "aaaaaaaaaa", 10_000_000, ",51.5,-0.1\n")
		}},
		badCase{name: "single-line-100MB.geojson", gen: func(*testing.T) io.Reader {
			return repeated(`{"type":"Feature","id":"x","geometry":{"type":"Point","coordinates":[-0.1,51.5]},"properties":{"name":"`, "aaaaaaaaaa", 10_000_000, `"}}`)
		}},
		badCase{name: "nested-1e6.geojson", gen: func(*testing.T) io.Reader {
			return repeated(`{"type":"Feature","geometry":{"type":"Point","coordinates":[-0.1,51.5]},"properties":{"deep":`, "[", 1_000_000, "")
		}},
		badCase{name: "zip-bomb.kmz", gen: zipBomb},
	)
	return cases
}

// repeated returns a reader of head, body n times, then tail, made as it
// is read so that no huge input is held in memory or on disk.
func repeated(head, body string, n int, tail string) io.Reader {
	return io.MultiReader(strings.NewReader(head), &repeatReader{s: body, n: n}, strings.NewReader(tail))
}

type repeatReader struct {
	s      string
	n, off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	w := 0
	for w < len(p) && r.n > 0 {
		c := copy(p[w:], r.s[r.off:])
		w += c
		r.off += c
		if r.off == len(r.s) {
			r.off, r.n = 0, r.n-1
		}
	}
	if w == 0 {
		return 0, io.EOF
	}
	return w, nil
}

// zipBomb is a KMZ of about 300 KB whose doc.kml expands to 300 MB of
// text, over both the XML token limit and the KMZ's KML size limit.
func zipBomb(t *testing.T) io.Reader {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("doc.kml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, repeated(`<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>`, strings.Repeat("lol ", 1024), 300<<20/4096, "</name></Document></kml>")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b
}

// TestBadInputs imports every input of the catalogue into a GeoPackage and
// into PostGIS, each time over an existing source, and checks that the
// outcome is the one in expected.golden (the same on both stores), that no
// parser panicked, that every problem says where it is, that the Go heap
// stayed under maxHeap, and that a failed import left the whole store as it
// was. A committed case that leaves records out runs again with --strict,
// which must then fail.
func TestBadInputs(t *testing.T) {
	cases := badCases(t)
	if len(cases) < 40 {
		t.Fatalf("%d cases; the catalogue needs at least 40", len(cases))
	}
	stores := []struct {
		name string
		open func(t *testing.T) coopmap.Store
	}{
		{"GeoPackage", func(t *testing.T) coopmap.Store {
			st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "bad.gpkg"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}},
		{"PostGIS", func(t *testing.T) coopmap.Store { return postgistest.Open(t) }},
	}
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			got := runBadCases(t, s.open(t), cases)
			compareGolden(t, filepath.Join(badDir, "expected.golden"), got, s.name == "GeoPackage")
		})
	}
}

func runBadCases(t *testing.T, st coopmap.Store, cases []badCase) string {
	ctx := context.Background()
	parsers := map[string]importers.Formats{}
	formatsFor := func(encoding string) importers.Formats {
		if parsers[encoding] == nil {
			parsers[encoding] = formats(mustCSV(t, encoding), osm.Parse)
		}
		return parsers[encoding]
	}
	restore := func() {
		t.Helper()
		f, err := os.Open(sample)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		src := coopmap.Source{ID: "keep", Kind: coopmap.KindCoops, Licence: coopmap.Licence{ID: "ODC-By-1.0"},
			Attribution: "Contains data from Co-operatives UK, licensed under ODC-By 1.0."}
		if _, err := importers.Import(ctx, st, importers.Options{Source: src, Formats: formatsFor("")}, importers.Input{Name: "sample.csv", Reader: f}); err != nil {
			t.Fatal(err)
		}
	}
	restore()
	before := dump(t, st)

	var out strings.Builder
	for _, c := range cases {
		fmt.Fprintf(&out, "## %s\n", c.name)
		for _, strict := range []bool{false, true} {
			open := func() io.Reader {
				if c.gen != nil {
					return c.gen(t)
				}
				b, err := os.ReadFile(filepath.Join(badDir, strings.Fields(c.name)[0]))
				if err != nil {
					t.Fatal(err)
				}
				return bytes.NewReader(b)
			}
			in := importers.Input{Name: "bad/" + strings.Fields(c.name)[0], Reader: open()}
			opts := importers.Options{Source: coopmap.Source{ID: "keep"}, Formats: formatsFor(c.encoding), Strict: strict}
			// A generous guard against hangs, not a timing assertion.
			cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			var rep importers.Report
			var err error
			start := time.Now()
			peak := peakHeap(func() { rep, err = importers.Import(cctx, st, opts, in) })
			cancel()
			t.Logf("%s (strict %v): %v, heap peak %d MiB", c.name, strict, time.Since(start).Round(time.Millisecond), peak>>20)
			if peak > maxHeap {
				t.Errorf("%s (strict %v): heap reached %d MiB; the limit is %d MiB", c.name, strict, peak>>20, maxHeap>>20)
			}
			label := "import"
			if strict {
				label = "strict"
			}
			out.WriteString(describe(label, rep, err))
			checkReport(t, c.name, rep, err)
			switch {
			case err != nil:
				if after := dump(t, st); after != before {
					t.Errorf("%s (strict %v): the failed import changed the store:\nbefore %.300s\nafter  %.300s", c.name, strict, before, after)
				}
			case strict && rep.Skipped > 0:
				t.Errorf("%s: a strict import that left records out succeeded", c.name)
			default:
				// It imported: put the source back as it was for the next case.
				restore()
				before = dump(t, st)
			}
			if rep.Skipped == 0 || c.gen != nil {
				// Without a record left out a strict import does the
				// same again; the huge inputs are costly, and strictness
				// is covered by the small ones.
				break
			}
		}
	}
	return out.String()
}

func mustCSV(t *testing.T, encoding string) importers.Parser {
	t.Helper()
	ic := importConfig{Encoding: "auto"}
	if encoding != "" {
		ic.Encoding = encoding
	}
	p, err := ic.csvParser()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// describe renders an outcome for the golden file: the error or the
// counts, then up to five problems and notes.
func describe(label string, rep importers.Report, err error) string {
	var b strings.Builder
	if err != nil {
		fmt.Fprintf(&b, "%s: failed (%s): %v\n", label, coopmap.ErrorCode(err), err)
	} else {
		fmt.Fprintf(&b, "%s: ok: %d read, %d imported, %d skipped, %d notes\n", label, rep.Read, rep.Imported, rep.Skipped, rep.NoteCount)
	}
	for i, p := range rep.Problems {
		if i == 5 {
			fmt.Fprintf(&b, "  … %d more problems\n", rep.Skipped-5)
			break
		}
		fmt.Fprintf(&b, "  problem: %s\n", p)
	}
	for i, p := range rep.Notes {
		if i == 5 {
			fmt.Fprintf(&b, "  … %d more notes\n", rep.NoteCount-5)
			break
		}
		fmt.Fprintf(&b, "  note: %s\n", p)
	}
	return b.String()
}

// checkReport checks what must hold for any input: no panic, a domain
// error code, and a location on every problem.
func checkReport(t *testing.T, name string, rep importers.Report, err error) {
	t.Helper()
	if err != nil {
		if strings.Contains(err.Error(), "a bug in coopmap") {
			t.Errorf("%s: the parser panicked: %v", name, err)
		}
		if c := coopmap.ErrorCode(err); c != coopmap.CodeInvalid && c != coopmap.CodeTooLarge {
			t.Errorf("%s: error code %q, want invalid or too_large: %v", name, c, err)
		}
	}
	for _, p := range append(rep.Problems, rep.Notes...) {
		if !strings.HasPrefix(p.Where, "bad/") || p.Reason == "" {
			t.Errorf("%s: problem without a location or reason: %+v", name, p)
		}
	}
	if rep.Read != rep.Imported+rep.Skipped && err == nil {
		t.Errorf("%s: %d read ≠ %d imported + %d skipped", name, rep.Read, rep.Imported, rep.Skipped)
	}
}

// dump renders the whole store (every source with its version and every
// feature with all its fields) as JSON, to compare before and after.
func dump(t *testing.T, st coopmap.Store) string {
	t.Helper()
	ctx := context.Background()
	srcs, err := st.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, s := range srcs {
		enc.Encode(s)
		for f, err := range st.SourceFeatures(ctx, s.ID) {
			if err != nil {
				t.Fatal(err)
			}
			enc.Encode(f)
		}
	}
	return b.String()
}

// peakHeap runs f and returns the largest Go heap (bytes in heap objects,
// live or not yet collected) seen while it ran, sampled every millisecond.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	return peak.Load()
}

// compareGolden compares got with the golden file, or rewrites it with
// -update (once, from the first store).
func compareGolden(t *testing.T, path, got string, write bool) {
	t.Helper()
	if *update && write {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gl), len(wl)) {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s differs at line %d:\n got %q\nwant %q\n(run go test -update to accept)", path, i+1, g, w)
		}
	}
}
