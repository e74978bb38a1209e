// Package tilestest gives tile tests a deterministic synthetic fixture:
// co-op points and overlay lines and polygons around London, loaded into
// any store, so every renderer can be tested on the same data.
package tilestest

import (
	"context"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

// The fixture's sources. The data is generated, so it is in the public
// domain (CC0).
var (
	Coops = coopmap.Source{
		ID: "coops", Title: "Synthetic co-ops", Kind: coopmap.KindCoops,
		Licence: coopmap.Licence{ID: "CC0-1.0"}, Attribution: "coopmap test data",
	}
	Paths = coopmap.Source{
		ID: "paths", Title: "Synthetic paths & parks", Kind: coopmap.KindFeatures,
		Licence: coopmap.Licence{ID: "CC-BY-4.0"}, Attribution: "coopmap <test> paths",
	}
)

// NumCoops is how many co-op points Load stores.
const NumCoops = 3000

var sectors = []string{"Food", "Housing", "Energy", "Retail", ""}

// CoopFeatures returns the co-op points: NumCoops points spread over
// Greater London, denser towards the centre.
func CoopFeatures() []coopmap.Feature {
	rnd := rand.New(rand.NewPCG(1, 2))
	fs := make([]coopmap.Feature, NumCoops)
	for i := range fs {
		r := 0.25 * math.Sqrt(rnd.Float64())
		a := rnd.Float64() * 2 * math.Pi
		fs[i] = coopmap.Feature{
			ID: fmt.Sprintf("coops.c%05d", i), SourceID: Coops.ID, Name: fmt.Sprintf("Co-op %d", i),
			Sector: sectors[i%len(sectors)], OrgType: "Worker co-op", Precision: coopmap.PrecisionExact,
			Geometry: orb.Point{-0.1 + 1.6*r*math.Cos(a), 51.5 + r*math.Sin(a)},
		}
	}
	return fs
}

// PathFeatures returns the overlay: 40 wandering lines of 60 vertices, 20
// squares of sizes from 5 m to 2 km, a park with a pond (a hole) and 5
// points.
func PathFeatures() []coopmap.Feature {
	rnd := rand.New(rand.NewPCG(3, 4))
	var fs []coopmap.Feature
	add := func(key string, g orb.Geometry) {
		fs = append(fs, coopmap.Feature{ID: "paths." + key, SourceID: Paths.ID, Name: "Path " + key, Precision: coopmap.PrecisionExact, Geometry: g})
	}
	for i := range 40 {
		p := orb.Point{-0.4 + 0.6*rnd.Float64(), 51.35 + 0.3*rnd.Float64()}
		l := orb.LineString{p}
		for range 59 {
			p = orb.Point{p[0] + (rnd.Float64()-0.5)*0.01, p[1] + (rnd.Float64()-0.5)*0.006}
			l = append(l, p)
		}
		add(fmt.Sprintf("l%02d", i), l)
	}
	for i := range 20 {
		c := orb.Point{-0.4 + 0.6*rnd.Float64(), 51.35 + 0.3*rnd.Float64()}
		h := 5 * math.Pow(400, float64(i)/19) / 111_000 // 5 m … 2 km
		w := h / math.Cos(c[1]*math.Pi/180)
		add(fmt.Sprintf("s%02d", i), orb.Polygon{{{c[0] - w, c[1] - h}, {c[0] + w, c[1] - h}, {c[0] + w, c[1] + h}, {c[0] - w, c[1] + h}, {c[0] - w, c[1] - h}}})
	}
	add("park", orb.Polygon{
		{{-0.17, 51.50}, {-0.15, 51.50}, {-0.15, 51.512}, {-0.17, 51.512}, {-0.17, 51.50}},
		{{-0.165, 51.504}, {-0.165, 51.508}, {-0.158, 51.508}, {-0.158, 51.504}, {-0.165, 51.504}},
	})
	for i := range 5 {
		add(fmt.Sprintf("p%d", i), orb.Point{-0.12 + 0.01*float64(i), 51.51})
	}
	return fs
}

// Load stores both sources in s.
func Load(tb testing.TB, s coopmap.Writer) {
	tb.Helper()
	for _, src := range []struct {
		s  coopmap.Source
		fs []coopmap.Feature
	}{{Coops, CoopFeatures()}, {Paths, PathFeatures()}} {
		if _, err := s.ReplaceSource(context.Background(), src.s, seq(src.fs)); err != nil {
			tb.Fatalf("ReplaceSource(%s): %v", src.s.ID, err)
		}
	}
}

func seq(fs []coopmap.Feature) iter.Seq2[coopmap.Feature, error] {
	return func(yield func(coopmap.Feature, error) bool) {
		for _, f := range fs {
			if !yield(f, nil) {
				return
			}
		}
	}
}
