// Package importertest is the test harness the format parsers share: an
// Emitter that records what a parser emits, a text summary of it for
// golden files, the golden-file check with its -update flag, and the
// property every fuzz target checks.
//
// Importing it defines the -update flag in the test binary, so a test
// package that uses it must not define its own.
package importertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
)

// update is the one -update flag of a test binary that imports this
// package; flags are registered once per process, so it lives here.
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// ErrStop is what Recorder.Feature returns once StopAfter features have
// been recorded.
var ErrStop = errors.New("stop")

// Recorder is an importers.Emitter that keeps what it is given.
type Recorder struct {
	// Features and Wheres are the features emitted and where each came
	// from, in order.
	Features []coopmap.Feature
	Wheres   []string
	// Problems are the problems reported, as "where: reason".
	Problems []string
	// StopAfter, when positive, makes Feature fail with ErrStop after
	// that many features.
	StopAfter int
}

var _ importers.Emitter = (*Recorder)(nil)

// Feature records f, or returns ErrStop once StopAfter features have been
// recorded.
func (r *Recorder) Feature(f coopmap.Feature, where string) error {
	if r.StopAfter > 0 && len(r.Features) >= r.StopAfter {
		return ErrStop
	}
	r.Features = append(r.Features, f)
	r.Wheres = append(r.Wheres, where)
	return nil
}

// Problem records a problem.
func (r *Recorder) Problem(where, reason string) {
	r.Problems = append(r.Problems, where+": "+reason)
}

// Summary renders what was recorded for a golden file: each feature with
// its where, key, name, precision, geometry (rendered by geometry, or as
// WKT when geometry is nil), non-empty text fields and properties, then
// the problems.
func (r *Recorder) Summary(geometry func(orb.Geometry) string) string {
	if geometry == nil {
		geometry = wkt.MarshalString
	}
	var b strings.Builder
	for i, f := range r.Features {
		fmt.Fprintf(&b, "%s\n\tid=%q name=%q precision=%s\n\tgeometry=%s\n", r.Wheres[i], f.ID, f.Name, f.Precision, geometry(f.Geometry))
		for _, s := range []struct{ k, v string }{{"description", f.Description}, {"website", f.Website}, {"email", f.Email}, {"address", f.Address}, {"postcode", f.Postcode}} {
			if s.v != "" {
				fmt.Fprintf(&b, "\t%s=%q\n", s.k, s.v)
			}
		}
		if f.Properties != nil {
			props, _ := json.Marshal(f.Properties)
			fmt.Fprintf(&b, "\tproperties=%s\n", props)
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "PROBLEM %s\n", p)
	}
	return b.String()
}

// Positions counts the positions in g.
func Positions(g orb.Geometry) int {
	n := 0
	switch g := g.(type) {
	case orb.Point:
		n++
	case orb.LineString:
		n += len(g)
	case orb.Ring:
		n += len(g)
	case orb.MultiLineString:
		for _, l := range g {
			n += len(l)
		}
	case orb.Polygon:
		for _, l := range g {
			n += len(l)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			n += Positions(p)
		}
	case orb.Collection:
		for _, m := range g {
			n += Positions(m)
		}
	}
	return n
}

// Outline renders a geometry too large to show in full as its type,
// position count and bounds.
func Outline(g orb.Geometry) string {
	bd := g.Bound()
	return fmt.Sprintf("%s of %d positions in [%.6f %.6f, %.6f %.6f]", g.GeoJSONType(), Positions(g), bd.Min[0], bd.Min[1], bd.Max[0], bd.Max[1])
}

// Golden compares got with the golden file at path, or rewrites the file
// when the test runs with -update.
func Golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", path, got)
	}
}

// Fuzz is the body of a parser's fuzz target: it fails t when p takes
// longer than 5 seconds on in or emits a feature without a key, a
// geometry or a where. Whether p fails does not matter.
func Fuzz(t *testing.T, p importers.Parser, name string, in []byte) {
	t.Helper()
	r := &Recorder{}
	start := time.Now()
	_ = p(context.Background(), bytes.NewReader(in), name, r)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
	for i, feat := range r.Features {
		if feat.ID == "" || feat.Geometry == nil || r.Wheres[i] == "" {
			t.Fatalf("emitted a feature without key, geometry or where: %+v %q", feat, r.Wheres[i])
		}
	}
}
