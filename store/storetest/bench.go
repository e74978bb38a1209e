package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// BenchPoints is the number of points Bench loads.
const BenchPoints = 200_000

// benchSide is the side in degrees of a square query box that holds about
// 1,000 of BenchPoints points spread evenly over the 8°×8° benchmark area.
const benchSide = 0.566

// BenchData yields n seeded pseudo-random co-op points over Great Britain
// (lon -6..2, lat 50..58) in source "bench".
func BenchData(n int) []coopmap.Feature {
	r := rand.New(rand.NewPCG(42, 7))
	sectors := []string{"Food", "Housing", "Retail", "Energy", "Finance", "Agriculture", "Digital"}
	fs := make([]coopmap.Feature, n)
	for i := range fs {
		f := Point("bench", fmt.Sprintf("R%07d", i), -6+8*r.Float64(), 50+8*r.Float64())
		f.Sector = sectors[i%len(sectors)]
		f.Postcode = fmt.Sprintf("N%d %dAB", i%30, i%10)
		fs[i] = f
	}
	return fs
}

// Bench loads BenchPoints points into a fresh store and runs the store
// benchmarks: a bbox query returning about 1,000 of them (with the exact
// count every page carries), get-by-id, and the list view's first page of
// 50 by name in a wide, a city and a tiny box and without one. It reports
// features per query, or the number matched.
func Bench(b *testing.B, open Opener) {
	s := open(b)
	ctx := context.Background()
	data := BenchData(BenchPoints)
	start := time.Now()
	if _, err := s.ReplaceSource(ctx, Source("bench", coopmap.KindCoops), Seq(data)); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d points in %v (%.0f points/s)", BenchPoints, time.Since(start).Round(time.Millisecond), BenchPoints/time.Since(start).Seconds())

	r := rand.New(rand.NewPCG(1, 2))
	boxes := make([]geo.BBox, 256)
	for i := range boxes {
		x, y := -6+(8-benchSide)*r.Float64(), 50+(8-benchSide)*r.Float64()
		boxes[i] = geo.BBox{MinLon: x, MinLat: y, MaxLon: x + benchSide, MaxLat: y + benchSide}
	}
	b.Run("BBox1000of200k", func(b *testing.B) {
		n := 0
		for i := 0; b.Loop(); i++ {
			p, err := s.Features(ctx, coopmap.Query{BBox: &boxes[i%len(boxes)], Limit: coopmap.MaxLimit})
			if err != nil {
				b.Fatal(err)
			}
			n += len(p.Features)
		}
		b.ReportMetric(float64(n)/float64(b.N), "features/op")
	})
	b.Run("FeatureByID", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			id := data[(i*7919)%len(data)].ID
			if _, err := s.Feature(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	benchSorted(b, s)
}
