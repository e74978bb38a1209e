package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// sortedBBoxTests page through a box in name and update order over enough
// features that a store may read some boxes from a spatial index and sort
// the matches, and others by walking a source in order and testing each
// row against the box (the GeoPackage store switches at matched² ≥
// (limit+1)·source size). Every plan must give the order sorted in Go.
var sortedBBoxTests = []contractTest{
	{"SortedBBoxPages", testSortedBBox},
}

// sortedBBoxData returns n features of source "big" on a 0.05° grid over
// lon -6..2, lat 50..58 (so box edges on the grid pass through features),
// a few just outside grid lines, a few lines, eight on and just outside
// the edges of one box, and 60 points either side of the antimeridian;
// names repeat, some are empty.
func sortedBBoxData(n int, round int) []coopmap.Feature {
	r := rand.New(rand.NewPCG(5, 11))
	names := []string{"", "Alpha", "alpha", "Beta", "Émile", "Zeta", "ß", "Co-op", "Co-op Food", "Unity"}
	sectors := []string{"Food", "Housing", "Retail", "Energy", "Finance", "Agriculture", "Digital"}
	fs := make([]coopmap.Feature, 0, n+68)
	for i := range n {
		lon, lat := -6+0.05*float64(r.IntN(161)), 50+0.05*float64(r.IntN(161))
		f := Point("big", fmt.Sprintf("p%05d", i), lon, lat)
		switch i % 97 {
		case 1: // a hair outside a grid line: an R*Tree candidate, not a match
			f.Geometry = orb.Point{lon + 1e-7, lat}
		case 2:
			f.Geometry = orb.Point{lon, lat - 1e-7}
		case 3:
			f.Geometry = orb.LineString{{lon, lat}, {lon + 0.3, lat + 0.2}}
		}
		f.Name = names[r.IntN(len(names))]
		if r.IntN(3) > 0 {
			f.Name += fmt.Sprintf(" %d", r.IntN(n/4))
		}
		f.Sector = sectors[i%len(sectors)]
		// Later rounds change a third of the features each, so that they
		// carry later update times.
		if round > 0 && i%3 == round {
			f.Name = "Renamed " + f.Name
		}
		fs = append(fs, f)
	}
	// On each edge of the box "edges on the grid" (grid steps 20 and 120),
	// and a hair outside it: the R*Tree offers both, only the first match.
	for i, d := range []float64{0, 1e-7} {
		lo, hi, mid := -6+0.05*20, -6+0.05*120, -6+0.05*70
		loLat, hiLat, midLat := 50+0.05*20, 50+0.05*120, 50+0.05*70
		for j, p := range []orb.Point{{lo - d, midLat}, {hi + d, midLat}, {mid, loLat - d}, {mid, hiLat + d}} {
			f := Point("big", fmt.Sprintf("e%d%d", i, j), p[0], p[1])
			f.Name = names[(i+j)%len(names)]
			fs = append(fs, f)
		}
	}
	for i := range 60 {
		lon := 179.5 + 0.005*float64(i)
		if i%2 == 1 {
			lon = -lon
		}
		f := Point("big", fmt.Sprintf("m%03d", i), lon, -17+0.01*float64(i))
		f.Name = names[i%len(names)]
		fs = append(fs, f)
	}
	return fs
}

func testSortedBBox(t *testing.T, s coopmap.Store) {
	const n = 1000
	for round := range 3 {
		if round > 0 {
			// A later round must be stored in a later millisecond.
			start := time.Now()
			for time.Since(start) < 5*time.Millisecond {
				time.Sleep(time.Millisecond)
			}
		}
		replace(t, s, Source("big", coopmap.KindCoops), sortedBBoxData(n, round))
	}
	var other []coopmap.Feature
	for i := range 300 {
		f := Point("other", fmt.Sprintf("o%03d", i), -6+0.027*float64(i), 50+0.026*float64(i))
		f.Name = fmt.Sprintf("Alpha %d", i%40)
		other = append(other, f)
	}
	replace(t, s, Source("other", coopmap.KindFeatures), other)

	// Everything, read back as stored, is the truth the pages must match.
	everything := query(t, s, coopmap.Query{Limit: coopmap.MaxLimit})
	if len(everything.Features) != n+68+300 || everything.Next != "" {
		t.Fatalf("read %d features back (next %q); want %d", len(everything.Features), everything.Next, n+368)
	}
	times := map[int64]bool{}
	for _, f := range everything.Features {
		times[f.UpdatedAt.UnixMilli()] = true
	}
	if len(times) < 3 {
		t.Fatalf("features carry %d update times; want at least 3", len(times))
	}

	grid := func(k int) float64 { return -6 + 0.05*float64(k) }
	gridLat := func(k int) float64 { return 50 + 0.05*float64(k) }
	boxes := []struct {
		name string
		box  geo.BBox
	}{
		{"wide", geo.BBox{MinLon: -6.5, MinLat: 49.5, MaxLon: 2.5, MaxLat: 58.5}},
		{"edges on the grid", geo.BBox{MinLon: grid(20), MinLat: gridLat(20), MaxLon: grid(120), MaxLat: gridLat(120)}},
		{"a ninth", geo.BBox{MinLon: grid(0), MinLat: gridLat(0), MaxLon: grid(55), MaxLat: gridLat(55)}},
		{"city", geo.BBox{MinLon: grid(60), MinLat: gridLat(70), MaxLon: grid(75), MaxLat: gridLat(85)}},
		{"tiny", geo.BBox{MinLon: grid(100), MinLat: gridLat(100), MaxLon: grid(110), MaxLat: gridLat(110)}},
		{"across the antimeridian", geo.BBox{MinLon: 170, MinLat: -20, MaxLon: -170, MaxLat: 0}},
	}
	// Paging back from the last page reads in the opposite direction, so
	// each of these walks its index both ways.
	sorts := []coopmap.Sort{{Field: coopmap.SortName}, {Field: coopmap.SortUpdated, Desc: true}}
	for _, b := range boxes {
		for _, sort := range sorts {
			for _, tc := range []struct {
				name  string
				q     coopmap.Query
				pages int // about how many pages the matches fill
			}{
				{"big", coopmap.Query{Sources: []string{"big"}}, 6},
				{"big, large pages", coopmap.Query{Sources: []string{"big"}}, 2},
				{"big, food", coopmap.Query{Sources: []string{"big"}, Sector: "Food"}, 10},
				{"both sources", coopmap.Query{Sources: []string{"big", "other"}}, 4},
				{"every source", coopmap.Query{}, 2},
			} {
				q := tc.q
				q.BBox, q.Sort = &b.box, sort
				want := sortedIn(everything.Features, q)
				if len(want) == 0 && q.Sector == "" {
					t.Fatalf("%s, %s: no features in the box", b.name, tc.name)
				}
				q.Limit = max(1, len(want)/tc.pages)
				if b.name == "across the antimeridian" {
					if tc.name != "big" {
						continue
					}
					q.Limit = 2 // small pages, so that 60 matches are many
				}
				if p := query(t, s, q); p.Matched != len(want) {
					t.Errorf("%s, %s, sort %+v: matched %d; want %d", b.name, tc.name, sort, p.Matched, len(want))
				}
				fwd, back := pages(t, s, q)
				if !slices.Equal(fwd, want) {
					t.Errorf("%s, %s, sort %+v, limit %d: forward pages differ from the order sorted in Go at %d of %d",
						b.name, tc.name, sort, q.Limit, firstDiff(fwd, want), len(want))
				}
				if !slices.Equal(back, want) {
					t.Errorf("%s, %s, sort %+v, limit %d: backward pages differ from the order sorted in Go at %d of %d",
						b.name, tc.name, sort, q.Limit, firstDiff(back, want), len(want))
				}
			}
		}
	}
}

// sortedIn returns the ids of the features of fs that q's box, sources and
// sector keep, in q's order, ties by id.
func sortedIn(fs []coopmap.Feature, q coopmap.Query) []string {
	var keep []coopmap.Feature
	for _, f := range fs {
		if len(q.Sources) > 0 && !slices.Contains(q.Sources, f.SourceID) || q.Sector != "" && f.Sector != q.Sector {
			continue
		}
		fb := f.Geometry.Bound()
		for _, b := range q.BBox.Bounds() {
			if fb.Min[0] <= b.Max[0] && fb.Max[0] >= b.Min[0] && fb.Min[1] <= b.Max[1] && fb.Max[1] >= b.Min[1] {
				keep = append(keep, f)
				break
			}
		}
	}
	slices.SortFunc(keep, func(a, b coopmap.Feature) int {
		c := 0
		switch q.Sort.Field {
		case coopmap.SortName:
			c = strings.Compare(a.Name, b.Name)
		case coopmap.SortUpdated:
			c = a.UpdatedAt.Compare(b.UpdatedAt)
		}
		if c == 0 {
			c = strings.Compare(a.ID, b.ID)
		}
		if q.Sort.Desc {
			c = -c
		}
		return c
	})
	return ids(keep)
}

// firstDiff returns the first index where a and b differ.
func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
