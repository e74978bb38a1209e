package storetest

import (
	"context"
	"testing"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// benchSortedBoxes are the boxes of the sortby=name benchmarks over the
// BenchPoints points spread evenly over lon -6..2, lat 50..58: all of them
// (a Great Britain view), about 26,000 (a city region), about 100, and no
// box.
var benchSortedBoxes = []struct {
	name string
	box  *geo.BBox
}{
	{"wide", &geo.BBox{MinLon: -6, MinLat: 50, MaxLon: 2, MaxLat: 58}},
	{"city", &geo.BBox{MinLon: -3.44, MinLat: 52.56, MaxLon: -0.56, MaxLat: 55.44}},
	{"tiny", &geo.BBox{MinLon: -2.09, MinLat: 53.41, MaxLon: -1.91, MaxLat: 53.59}},
	{"nobox", nil},
}

// benchSorted runs the list view's query on s, which holds BenchData in
// source "bench": a first page of 50 by name, in each of
// benchSortedBoxes, with the exact count. It reports the matches.
func benchSorted(b *testing.B, s coopmap.Store) {
	ctx := context.Background()
	for _, c := range benchSortedBoxes {
		b.Run("SortName50/"+c.name, func(b *testing.B) {
			q := coopmap.Query{BBox: c.box, Sources: []string{"bench"}, Sort: coopmap.Sort{Field: coopmap.SortName}, Limit: 50}
			matched := 0
			for b.Loop() {
				p, err := s.Features(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Features) != min(50, p.Matched) {
					b.Fatalf("%d features of %d matched", len(p.Features), p.Matched)
				}
				matched = p.Matched
			}
			b.ReportMetric(float64(matched), "matched")
		})
	}
}
