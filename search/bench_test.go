package search

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/postcodes"
	"github.com/coopmap/coopmap/search/searchbench"
)

// The benchmarks search the 19,532 records of package searchbench. See
// the Search section of docs/PERFORMANCE.md for figures and the command.

// benchReader loads the benchmark records.
func benchReader(tb testing.TB) (*memReader, *postcodes.Table) {
	tb.Helper()
	tab, err := postcodes.Load()
	if err != nil {
		tb.Fatal(err)
	}
	coops, err := searchbench.CoopsUK("..", tab)
	if err != nil {
		tb.Fatal(err)
	}
	sold, err := searchbench.SoldSpaces("..")
	if err != nil {
		tb.Fatal(err)
	}
	m := newMemReader()
	m.put(searchbench.CoopsSource, coopmap.KindCoops, coops...)
	m.put(searchbench.SoldSource, coopmap.KindFeatures, sold...)
	return m, tab
}

func BenchmarkSearch(b *testing.B) {
	m, tab := benchReader(b)
	x := New(m, tab, Options{}) // CheckEvery 0: every search checks versions
	ctx := context.Background()
	queries := searchbench.Queries()
	start := time.Now()
	if err := x.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, s := range x.snap.Load().shards {
		n += len(s.recs)
	}
	b.Logf("indexed %d records in %v", n, time.Since(start).Round(time.Millisecond))
	var ds []time.Duration
	perQuery := map[string][]time.Duration{}
	hits := 0
	for i := 0; b.Loop(); i++ {
		q := queries[i%len(queries)]
		t0 := time.Now()
		res, err := x.Search(ctx, Query{Text: q})
		d := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		hits += len(res.Hits)
		ds = append(ds, d)
		perQuery[q] = append(perQuery[q], d)
	}
	searchbench.Report(b, ds)
	// The slowest queries by median, for docs/PERFORMANCE.md.
	type slow struct {
		q string
		d time.Duration
	}
	var ss []slow
	for q, qd := range perQuery {
		slices.Sort(qd)
		ss = append(ss, slow{q, qd[len(qd)/2]})
	}
	slices.SortFunc(ss, func(a, b slow) int { return int(b.d - a.d) })
	for _, s := range ss[:min(5, len(ss))] {
		b.Logf("median %8v  %q", s.d.Round(time.Microsecond), s.q)
	}
}

func BenchmarkNearest(b *testing.B) {
	m, tab := benchReader(b)
	x := New(m, tab, Options{})
	ctx := context.Background()
	if err := x.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	var ds []time.Duration
	for b.Loop() {
		p := orb.Point{-6 + 8*r.Float64(), 50 + 8*r.Float64()}
		t0 := time.Now()
		if _, err := x.Nearest(ctx, NearQuery{Point: p, N: 10}); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
	}
	searchbench.Report(b, ds)
}

// TestBenchQueries checks that the benchmark's queries find what a person
// would want, so the figures measure useful answers.
func TestBenchQueries(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 19,532 records")
	}
	m, tab := benchReader(t)
	x := New(m, tab, Options{})
	want := map[string]string{
		"avalonain housing":                    "The Avalonian Housing And Land Co-operative Limited",
		"unicron grocery":                      "Unicorn Grocery Limited",
		"pomona soler":                         "Pomona Solar Co-operative Limited",
		"greenwhich cooperative":               "Greenwich Co-operative Development Agency Limited",
		"litherland remyca":                    "Litherland REMYCA FC Limited",
		"comercial photographers":              "The Commercial Photographers Network Limited",
		"honest mill":                          "The Honest Miller Community Group Limited",
		"Old Redcliffians Rugby Football Club": "Old Redcliffians Rugby Football Club Limited",
	}
	for q, name := range want {
		res, err := x.Search(context.Background(), Query{Text: q})
		if err != nil || len(res.Hits) == 0 || res.Hits[0].Name != name {
			var got []string
			for _, h := range res.Hits[:min(3, len(res.Hits))] {
				got = append(got, h.Name)
			}
			t.Errorf("%q: %v %v; want %q first", q, got, err, name)
		}
	}
	if n := len(x.snap.Load().shards[0].recs) + len(x.snap.Load().shards[1].recs); n < 12_000 {
		t.Errorf("%d records; the benchmark needs 12,000+", n)
	}
}
