package route_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/route"
)

const dir = "../testdata/route"

// build builds the graph of a file in testdata.
func build(t testing.TB, path string) (*route.Graph, *route.Report) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, rep, err := route.Build(context.Background(), f, route.BuildOptions{Source: filepath.Base(path)})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return g, rep
}

// london caches the London graph across tests.
var london = sync.OnceValues(func() (*route.Graph, error) {
	f, err := os.Open("../demo/london-highways.osm.bz2")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g, _, err := route.Build(context.Background(), f, route.BuildOptions{Source: "london_large.osm.bz2"})
	return g, err
})

func londonGraph(t testing.TB) *route.Graph {
	t.Helper()
	g, err := london()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// streets lists the street names on a route's cue sheet.
func streets(r *route.Route) string {
	var s []string
	for _, l := range r.Legs {
		for _, c := range l.Cues {
			if c.Street != "" {
				s = append(s, c.Street)
			}
		}
	}
	return strings.Join(s, ", ")
}

// TestProfile routes along each ladder of ladders.osm, both ways: the
// direct Test Way carries the rule under test; the Detour Road is the
// way round.
func TestProfile(t *testing.T) {
	g, _ := build(t, filepath.Join(dir, "ladders.osm"))
	cases := []struct {
		name          string
		there, back   bool // whether the route takes Test Way
		wantThereTime float64
	}{
		{"cycleway", true, true, 0},
		{"motorway", false, false, 0},
		{"trunk", false, false, 0},
		{"oneway", true, false, 0},
		{"oneway-bicycle-no", true, true, 0},
		{"contraflow-opposite", true, true, 0},
		{"contraflow-lane", true, true, 0},
		{"bicycle-no", false, false, 0},
		{"bicycle-private", false, false, 0},
		{"access-no", false, false, 0},
		{"access-no-bicycle-yes", true, true, 0},
		{"steps", false, false, 0},
		{"dismount", false, false, 0},
		{"mud", false, false, 0},
		{"oneway-reverse", false, true, 0},
		{"roundabout", true, false, 0},
	}
	for k, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := 51.5 + 0.01*float64(k)
			a, z := orb.Point{0, b}, orb.Point{0.005, b}
			for _, dir := range []struct {
				pts  []orb.Point
				want bool
			}{{[]orb.Point{a, z}, c.there}, {[]orb.Point{z, a}, c.back}} {
				r, err := g.Plan(context.Background(), dir.pts, route.Options{})
				if err != nil {
					t.Fatal(err)
				}
				s := streets(r)
				if got := strings.Contains(s, "Test Way"); got != dir.want {
					t.Errorf("%v → %v: via %s; want Test Way: %v", dir.pts[0], dir.pts[1], s, dir.want)
				}
				if !strings.Contains(s, "Test Way") && !strings.Contains(s, "Detour Road") {
					t.Errorf("route via %s", s)
				}
			}
		})
	}
}

// TestDismountSpeed checks that pushing is timed at walking speed.
func TestDismountSpeed(t *testing.T) {
	g, _ := build(t, filepath.Join(dir, "ladders.osm"))
	b := 51.5 + 0.01*12 // the dismount ladder
	// From one end of Test Way to the other, the Detour is dearer than
	// walking the 207 m if we start and end on Test Way itself.
	r, err := g.Plan(context.Background(), []orb.Point{{0.0015, b}, {0.0035, b}}, route.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := streets(r); s != "Test Way" {
		t.Fatalf("via %s", s)
	}
	if speed := r.DistanceM / r.DurationS; math.Abs(speed-route.WalkSpeed) > 0.01 {
		t.Errorf("speed %.2f m/s, want walking speed %.2f", speed, route.WalkSpeed)
	}
}

func TestReport(t *testing.T) {
	_, rep := build(t, filepath.Join(dir, "ladders.osm"))
	if rep.MissingNodes != 1 {
		t.Errorf("MissingNodes = %d, want 1", rep.MissingNodes)
	}
	for reason, n := range map[string]int{
		"highway=motorway is closed to bikes": 1,
		"highway=trunk is closed to bikes":    1,
		"bicycle=no":                          1,
		"bicycle=private":                     1,
		"access=no":                           1,
	} {
		if rep.Excluded[reason] != n {
			t.Errorf("Excluded[%q] = %d, want %d (%v)", reason, rep.Excluded[reason], n, rep.Excluded)
		}
	}
	if !strings.Contains(rep.String(), "way/") {
		t.Errorf("the report names no way:\n%s", rep)
	}
}

func TestRestrictions(t *testing.T) {
	g, rep := build(t, filepath.Join(dir, "restrictions.osm"))
	if rep.Restrictions != 2 || rep.RestrictionsSkipped["except=bicycle"] != 1 {
		t.Errorf("restrictions: %d applied, skipped %v; want 2 and one except=bicycle", rep.Restrictions, rep.RestrictionsSkipped)
	}
	for k, c := range []struct {
		label string
		round bool // whether the route must go round by the loop
	}{{"First", true}, {"Second", true}, {"Third", false}} {
		x := 0.01 * float64(k)
		r, err := g.Plan(context.Background(), []orb.Point{{x, 51.5985}, {x + 0.0025, 51.6}}, route.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s := streets(r)
		if got := strings.Contains(s, c.label+" Loop"); got != c.round {
			t.Errorf("%s: via %s; want the loop: %v", c.label, s, c.round)
		}
		// The other way round nothing is restricted.
		r, err = g.Plan(context.Background(), []orb.Point{{x + 0.0025, 51.6}, {x, 51.5985}}, route.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s := streets(r); strings.Contains(s, "Loop") {
			t.Errorf("%s back: via %s", c.label, s)
		}
	}
}

// TestFormats builds the same extract from OSM XML (bzip2) and PBF.
func TestFormats(t *testing.T) {
	x, rx := build(t, "../testdata/osm/andorra-la-vella.osm.bz2")
	p, rp := build(t, "../testdata/osm/andorra-la-vella.osm.pbf")
	_, xs, _ := strings.Cut(x.String(), ":")
	_, ps, _ := strings.Cut(p.String(), ":")
	if xs != ps || rx.String() != rp.String() {
		t.Errorf("XML and PBF differ:\n%s\n%s\n%s\n%s", x, p, rx, rp)
	}
	if x.NumEdges() == 0 || rx.Restrictions == 0 {
		t.Errorf("andorra: %s; %d restrictions", x, rx.Restrictions)
	}
}

func TestBuildErrors(t *testing.T) {
	for _, c := range []struct {
		file string
		code coopmap.Code
	}{
		{"../testdata/bad/osm-truncated.osm", coopmap.CodeInvalid},
		{"../testdata/bad/truncated.osm.bz2", coopmap.CodeInvalid},
		{"../testdata/bad/osm-bad-pbf.osm.pbf", coopmap.CodeInvalid},
		{"../testdata/bad/garbage.bin", coopmap.CodeInvalid},
		{"../testdata/bad/osm-missing-nodes.osm", coopmap.CodeInvalid}, // nothing to route on
	} {
		f, err := os.Open(c.file)
		if err != nil {
			t.Fatal(err)
		}
		_, rep, err := route.Build(context.Background(), f, route.BuildOptions{})
		f.Close()
		if coopmap.ErrorCode(err) != c.code || rep == nil {
			t.Errorf("%s: %v (report %v), want %s", c.file, err, rep, c.code)
		}
	}
	_, _, err := route.Build(context.Background(), strings.NewReader("<osm><node id='1' lat='1' lon='1'/>"), route.BuildOptions{})
	if coopmap.ErrorCode(err) != coopmap.CodeInvalid || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated XML: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := route.Build(ctx, strings.NewReader("<osm/>"), route.BuildOptions{}); err != context.Canceled {
		t.Errorf("cancelled: %v", err)
	}
}

func TestFile(t *testing.T) {
	g := londonGraph(t)
	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	l, err := route.Load(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if l.String() != g.String() {
		t.Errorf("loaded %s, built %s", l, g)
	}
	pts := []orb.Point{{-0.1387, 51.6146}, {-0.1083, 51.6229}, {-0.1200, 51.6000}}
	a, err := g.Plan(context.Background(), pts, route.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Plan(context.Background(), pts, route.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.DistanceM != b.DistanceM || len(a.Geometry) != len(b.Geometry) {
		t.Errorf("built graph routes %v m, loaded %v m", a.DistanceM, b.DistanceM)
	}

	bad := map[string][]byte{
		"empty":       nil,
		"not a graph": []byte("<osm version='0.6'></osm>"),
		"truncated":   data[:len(data)/2],
		"flipped bit": flip(data, len(data)/3),
		"version 99":  version(data, 99),
	}
	for name, b := range bad {
		if _, err := route.Load(bytes.NewReader(b)); coopmap.ErrorCode(err) != coopmap.CodeInvalid {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if _, err := route.LoadFile(filepath.Join(t.TempDir(), "missing.graph")); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}

func flip(b []byte, i int) []byte {
	c := slices.Clone(b)
	c[i] ^= 1
	return c
}

func version(b []byte, v uint32) []byte {
	c := slices.Clone(b)
	binary.LittleEndian.PutUint32(c[len(route.FileMagic):], v)
	return c
}

func TestPlanErrors(t *testing.T) {
	g, _ := build(t, filepath.Join(dir, "ladders.osm"))
	a, z := orb.Point{0, 51.5}, orb.Point{0.005, 51.5}
	many := make([]orb.Point, route.MaxPoints+1)
	for i := range many {
		many[i] = orb.Point{0.0001 * float64(i), 51.5}
	}
	for _, c := range []struct {
		name  string
		pts   []orb.Point
		code  coopmap.Code
		field string
	}{
		{"one point", []orb.Point{a}, coopmap.CodeInvalid, "points"},
		{"too many", many, coopmap.CodeTooLarge, "points"},
		{"NaN", []orb.Point{a, {math.NaN(), 51.5}}, coopmap.CodeInvalid, "points[1]"},
		{"Inf", []orb.Point{{math.Inf(1), 51.5}, a}, coopmap.CodeInvalid, "points[0]"},
		{"latitude 91", []orb.Point{a, z, {0, 91}}, coopmap.CodeInvalid, "points[2]"},
		{"identical", []orb.Point{a, z, z}, coopmap.CodeInvalid, "points[2]"},
		{"far from roads", []orb.Point{a, {1, 52}}, coopmap.CodeUnroutable, "points[1]"},
		{"island", []orb.Point{a, {0.005, 51.51}}, coopmap.CodeUnroutable, "points[1]"},
		{"island optimised", []orb.Point{a, z, {0.005, 51.51}, {0.002, 51.5}}, coopmap.CodeUnroutable, "points[2]"},
	} {
		opts := route.Options{Optimize: strings.Contains(c.name, "optimised")}
		_, err := g.Plan(context.Background(), c.pts, opts)
		if coopmap.ErrorCode(err) != c.code || coopmap.ErrorField(err) != c.field {
			t.Errorf("%s: %v; want %s on %s", c.name, err, c.code, c.field)
		}
	}
	// Oneways that lead away: the far end of the oneway ladder's Test
	// Way cannot be left against it, but the Detour makes it reachable.
	if _, err := g.Plan(context.Background(), []orb.Point{{0.0035, 51.53}, {0.0015, 51.53}}, route.Options{}); err != nil {
		t.Errorf("against a oneway: %v", err)
	}
}

func TestPlanLondon(t *testing.T) {
	g := londonGraph(t)
	pts := []orb.Point{{-0.1200, 51.6000}, {-0.1387, 51.6146}, {-0.1083, 51.6229}, {-0.1300, 51.6250}, {-0.1000, 51.6050}, {-0.1450, 51.6050}}
	keep, err := g.Plan(context.Background(), pts, route.Options{RoundTrip: true})
	if err != nil {
		t.Fatal(err)
	}
	opt, err := g.Plan(context.Background(), pts, route.Options{Optimize: true, RoundTrip: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(opt.Order) != len(pts)+1 || opt.Order[0] != 0 || opt.Order[len(pts)] != 0 || len(opt.Legs) != len(pts) {
		t.Fatalf("order %v, %d legs", opt.Order, len(opt.Legs))
	}
	if opt.DurationS > keep.DurationS*1.05 {
		t.Errorf("optimised %.0f s, given order %.0f s", opt.DurationS, keep.DurationS)
	}
	sum := 0.0
	for i, l := range opt.Legs {
		sum += l.DistanceM
		if l.From != opt.Order[i] || l.To != opt.Order[i+1] {
			t.Errorf("leg %d goes %d → %d, order %v", i, l.From, l.To, opt.Order)
		}
		if l.Cues[0].Type != "depart" || l.Cues[len(l.Cues)-1].Type != "arrive" {
			t.Errorf("leg %d cues %v", i, l.Cues)
		}
		if a, b := l.Geometry[0], opt.Stops[l.From].Point; math.Hypot(a[0]-b[0], a[1]-b[1]) > 1e-9 {
			t.Errorf("leg %d starts at %v, its stop is at %v", i, l.Geometry[0], opt.Stops[l.From].Point)
		}
		// The route is no shorter than the straight line.
		if straight := distance(opt.Stops[l.From].Point, opt.Stops[l.To].Point); l.DistanceM < straight*0.999 {
			t.Errorf("leg %d: %.0f m, straight line %.0f m", i, l.DistanceM, straight)
		}
	}
	if math.Abs(sum-opt.DistanceM) > 1e-6 {
		t.Errorf("legs sum to %v, route %v", sum, opt.DistanceM)
	}
	// Fixed end: the last point stays last.
	fixed, err := g.Plan(context.Background(), pts, route.Options{Optimize: true})
	if err != nil {
		t.Fatal(err)
	}
	if fixed.Order[0] != 0 || fixed.Order[len(fixed.Order)-1] != len(pts)-1 {
		t.Errorf("fixed end: order %v", fixed.Order)
	}
}

func distance(a, b orb.Point) float64 {
	const r = 6371008.8
	la1, la2 := a[1]*math.Pi/180, b[1]*math.Pi/180
	dla, dlo := la2-la1, (b[0]-a[0])*math.Pi/180
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

// TestOrderExact checks Held–Karp against trying every order.
func TestOrderExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 3; n <= route.MaxExactOrder; n++ {
		m := matrix(rng, n)
		for _, o := range []route.OrderOptions{{}, {RoundTrip: true}, {FreeEnd: true}} {
			got, err := route.Order(m, o)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(m, o)
			if c, w := orderCost(m, got, o), orderCost(m, want, o); math.Abs(c-w) > 1e-9 {
				t.Errorf("n=%d %+v: order %v costs %v, best %v costs %v", n, o, got, c, want, w)
			}
		}
	}
}

// TestOrderHeuristic checks the heuristic's orders are permutations
// that keep the start and a fixed end, and beat the given order.
func TestOrderHeuristic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{10, 20, route.MaxPoints} {
		m := matrix(rng, n)
		for _, o := range []route.OrderOptions{{}, {RoundTrip: true}, {FreeEnd: true}} {
			got, err := route.Order(m, o)
			if err != nil {
				t.Fatal(err)
			}
			sorted := slices.Sorted(slices.Values(got))
			if len(got) != n || got[0] != 0 || sorted[0] != 0 || sorted[n-1] != n-1 || len(slices.Compact(sorted)) != n {
				t.Fatalf("n=%d: %v is not a permutation from 0", n, got)
			}
			if !o.RoundTrip && !o.FreeEnd && got[n-1] != n-1 {
				t.Errorf("n=%d: order %v does not end at %d", n, got, n-1)
			}
			identity := make([]int, n)
			for i := range identity {
				identity[i] = i
			}
			if orderCost(m, got, o) > orderCost(m, identity, o) {
				t.Errorf("n=%d %+v: worse than the given order", n, o)
			}
		}
	}
	if _, err := route.Order(matrix(rng, route.MaxPoints+1), route.OrderOptions{}); coopmap.ErrorCode(err) != coopmap.CodeTooLarge {
		t.Errorf("too many points: %v", err)
	}
	m := matrix(rng, 4)
	for i := range m {
		if i != 2 {
			m[i][2] = math.Inf(1)
		}
	}
	if _, err := route.Order(m, route.OrderOptions{}); coopmap.ErrorCode(err) != coopmap.CodeUnroutable || coopmap.ErrorField(err) != "points[2]" {
		t.Errorf("unreachable point: %v", err)
	}
}

// matrix is an asymmetric cost matrix of random points with a random
// detour factor each way.
func matrix(rng *rand.Rand, n int) [][]float64 {
	pts := make([][2]float64, n)
	for i := range pts {
		pts[i] = [2]float64{rng.Float64() * 1000, rng.Float64() * 1000}
	}
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
		for j := range m[i] {
			if i != j {
				m[i][j] = math.Hypot(pts[i][0]-pts[j][0], pts[i][1]-pts[j][1]) * (1 + rng.Float64()/2)
			}
		}
	}
	return m
}

func orderCost(m [][]float64, order []int, o route.OrderOptions) float64 {
	c := 0.0
	for i := 0; i+1 < len(order); i++ {
		c += m[order[i]][order[i+1]]
	}
	if o.RoundTrip {
		c += m[order[len(order)-1]][order[0]]
	}
	return c
}

func bruteForce(m [][]float64, o route.OrderOptions) []int {
	n := len(m)
	var inner []int
	for i := 1; i < n; i++ {
		if o.RoundTrip || o.FreeEnd || i != n-1 {
			inner = append(inner, i)
		}
	}
	var best []int
	bestCost := math.Inf(1)
	var perm func(k int)
	perm = func(k int) {
		if k == len(inner) {
			order := append([]int{0}, inner...)
			if !o.RoundTrip && !o.FreeEnd {
				order = append(order, n-1)
			}
			if c := orderCost(m, order, o); c < bestCost {
				bestCost, best = c, order
			}
			return
		}
		for i := k; i < len(inner); i++ {
			inner[k], inner[i] = inner[i], inner[k]
			perm(k + 1)
			inner[k], inner[i] = inner[i], inner[k]
		}
	}
	perm(0)
	return best
}

// TestConcurrent plans on one graph from several goroutines (run with
// -race).
func TestConcurrent(t *testing.T) {
	g := londonGraph(t)
	pts := []orb.Point{{-0.1200, 51.6000}, {-0.1387, 51.6146}, {-0.1083, 51.6229}}
	want, err := g.Plan(context.Background(), pts, route.Options{Optimize: true})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				r, err := g.Plan(context.Background(), pts, route.Options{Optimize: true})
				if err != nil || r.DistanceM != want.DistanceM {
					t.Errorf("%v, %v m; want %v m", err, r.DistanceM, want.DistanceM)
					return
				}
			}
		})
	}
	wg.Wait()
}
