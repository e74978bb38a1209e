package route_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap/route"
)

// The benchmarks' figures are in docs/PERFORMANCE.md ("Routing"). The
// whole-country Andorra extract and the uncompressed London one are read
// from the bench kit directory COOPMAP_BENCH_OSM (with andorra/ and
// london/ in it), when it is set:
//
//	COOPMAP_BENCH_OSM=/path/to/osm go test -run '^$' -bench . -benchtime 1x ./route

// benchExtracts lists the extracts BenchmarkBuild reads.
func benchExtracts() []struct{ name, path string } {
	ex := []struct{ name, path string }{
		{"andorra-la-vella.osm.pbf", "../testdata/osm/andorra-la-vella.osm.pbf"},
		{"london_large.osm.bz2", "../demo/london-highways.osm.bz2"},
	}
	if kit := os.Getenv("COOPMAP_BENCH_OSM"); kit != "" {
		ex = append(ex,
			struct{ name, path string }{"london_large.osm", filepath.Join(kit, "london", "london_large.osm")},
			struct{ name, path string }{"andorra-latest.osm.bz2", filepath.Join(kit, "andorra", "andorra-latest.osm.bz2")})
	}
	return ex
}

// BenchmarkBuild builds graphs from extracts held in memory, reporting
// the heap the finished graph keeps (graph-MB) besides allocations.
func BenchmarkBuild(b *testing.B) {
	for _, ex := range benchExtracts() {
		b.Run(ex.name, func(b *testing.B) {
			data, err := os.ReadFile(ex.path)
			if err != nil {
				b.Skip(err)
			}
			b.ReportAllocs()
			var g *route.Graph
			for b.Loop() {
				g, _, err = route.Build(context.Background(), bytes.NewReader(data), route.BuildOptions{})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			var buf bytes.Buffer
			n, _ := g.WriteTo(&buf)
			b.ReportMetric(float64(n)/(1<<20), "file-MB")
			b.ReportMetric(float64(g.NumEdges()), "edges")
			// The heap the graph keeps: live heap with it, less without.
			var with, without runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&with)
			runtime.KeepAlive(g)
			g = nil
			runtime.GC()
			runtime.ReadMemStats(&without)
			b.ReportMetric(float64(with.HeapAlloc-min(with.HeapAlloc, without.HeapAlloc))/(1<<20), "graph-MB")
		})
	}
}

// BenchmarkLoad loads the London graph file.
func BenchmarkLoad(b *testing.B) {
	var buf bytes.Buffer
	if _, err := londonGraph(b).WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := route.Load(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// randomPoints picks n points on the graph's ways, reproducibly.
func randomPoints(g *route.Graph, rng *rand.Rand, n int) []orb.Point {
	bd := g.Bounds()
	var pts []orb.Point
	for len(pts) < n {
		p := orb.Point{bd.Min[0] + rng.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + rng.Float64()*(bd.Max[1]-bd.Min[1])}
		if s, err := g.Snap(p, 0); err == nil {
			pts = append(pts, s.Point)
		}
	}
	return pts
}

// BenchmarkRoutes plans 1,000 routes between random points of the
// London graph per iteration and reports the latency percentiles.
func BenchmarkRoutes(b *testing.B) {
	g := londonGraph(b)
	rng := rand.New(rand.NewPCG(8, 8))
	pts := randomPoints(g, rng, 2000)
	var lat []time.Duration
	failed := 0
	cpu := cpuTime()
	for b.Loop() {
		for i := 0; i < len(pts); i += 2 {
			start := time.Now()
			if _, err := g.Plan(context.Background(), pts[i:i+2], route.Options{}); err != nil {
				failed++
			}
			lat = append(lat, time.Since(start))
		}
	}
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(float64(failed)/float64(len(lat)), "unroutable-share")
	b.ReportMetric(float64(cpuTime()-cpu)/1e6/float64(len(lat)), "cpu-ms/route")
}

// BenchmarkOptimize9 plans an optimised round trip through 9 random
// points of the London graph: the 9×9 route matrix, the exact order and
// the 9 legs. BenchmarkOrder9 is the exact ordering alone.
func BenchmarkOptimize9(b *testing.B) {
	g := londonGraph(b)
	rng := rand.New(rand.NewPCG(9, 9))
	pts := randomPoints(g, rng, 9)
	for b.Loop() {
		if _, err := g.Plan(context.Background(), pts, route.Options{Optimize: true, RoundTrip: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOrder9(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 9))
	m := matrix(rng, 9)
	for b.Loop() {
		if _, err := route.Order(m, route.OrderOptions{RoundTrip: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPairs routes the pairs bench/route.sh wrote to the CSV file
// COOPMAP_BENCH_PAIRS (lon1,lat1,lon2,lat2,length_m of pgRouting's
// route) on the London graph, reporting latency percentiles and how our
// route lengths compare with pgRouting's shortest ones.
func BenchmarkPairs(b *testing.B) {
	path := os.Getenv("COOPMAP_BENCH_PAIRS")
	if path == "" {
		b.Skip("COOPMAP_BENCH_PAIRS is not set; bench/route.sh sets it")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	type pair struct {
		pts    []orb.Point
		length float64
	}
	var pairs []pair
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var v [5]float64
		f := strings.Split(line, ",")
		if len(f) != 5 {
			b.Fatalf("%q: want lon1,lat1,lon2,lat2,length_m", line)
		}
		for i := range v {
			if v[i], err = strconv.ParseFloat(f[i], 64); err != nil {
				b.Fatal(err)
			}
		}
		pairs = append(pairs, pair{[]orb.Point{{v[0], v[1]}, {v[2], v[3]}}, v[4]})
	}
	g := londonGraph(b)
	var lat []time.Duration
	var ratios []float64
	failed := 0
	cpu := cpuTime()
	for b.Loop() {
		ratios = ratios[:0]
		for _, p := range pairs {
			start := time.Now()
			r, err := g.Plan(context.Background(), p.pts, route.Options{})
			lat = append(lat, time.Since(start))
			if err != nil {
				failed++
				continue
			}
			if p.length > 500 {
				ratios = append(ratios, r.DistanceM/p.length)
			}
		}
	}
	slices.Sort(lat)
	slices.Sort(ratios)
	q := func(s []float64, x float64) float64 { return s[int(x*float64(len(s)-1))] }
	ms := func(x float64) float64 { return float64(lat[int(x*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(float64(len(pairs)), "pairs")
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(float64(failed), "unroutable")
	b.ReportMetric(float64(cpuTime()-cpu)/1e6/float64(len(lat)), "cpu-ms/route")
	if len(ratios) > 0 {
		b.ReportMetric(q(ratios, 0.5), "length-ratio-p50")
		b.ReportMetric(q(ratios, 0.9), "length-ratio-p90")
		b.ReportMetric(q(ratios, 0.0), "length-ratio-min")
	}
}
