package route

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
	"github.com/coopmap/coopmap/importers/osm"
)

// BuildOptions configure Build. The zero value is the default.
type BuildOptions struct {
	// Source names the extract in the graph and the report, as
	// "london.osm.pbf"; it is never opened.
	Source string
	// MaxNodes bounds the OSM nodes kept while building (16 bytes each);
	// 0 means osm.DefaultMaxNodes.
	MaxNodes int
	// MaxExamples bounds the examples kept per kind of skipped object in
	// the report; 0 means 5.
	MaxExamples int
}

// Report says what Build read, used and left out.
type Report struct {
	Nodes, Ways, Relations int
	// HighwayWays counts ways tagged highway=*; RoutableWays those the
	// bike profile lets a bike use.
	HighwayWays, RoutableWays int
	// Excluded counts highway ways the profile leaves out, by reason
	// ("highway=motorway is closed to bikes", "bicycle=no", …).
	Excluded map[string]int
	// MissingNodes counts routable ways with nodes that are not in the
	// file; the parts between missing nodes are kept.
	MissingNodes int
	// BrokenWays counts routable ways that could not be read at all.
	BrokenWays int
	// Restrictions counts turn restrictions applied; RestrictionsSkipped
	// those left out, by reason.
	Restrictions        int
	RestrictionsSkipped map[string]int
	// Examples lists a few skipped objects per kind, as "way/123: reason".
	Examples []string
}

// String summarises the report in a few lines.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "read %d nodes, %d ways, %d relations; %d highway ways, %d routable\n", r.Nodes, r.Ways, r.Relations, r.HighwayWays, r.RoutableWays)
	for _, k := range sortedKeys(r.Excluded) {
		fmt.Fprintf(&b, "  excluded %d: %s\n", r.Excluded[k], k)
	}
	if r.MissingNodes > 0 {
		fmt.Fprintf(&b, "  %d routable ways have nodes missing from the file (cut at the edge of the extract); their other parts are kept\n", r.MissingNodes)
	}
	if r.BrokenWays > 0 {
		fmt.Fprintf(&b, "  %d routable ways could not be read and were skipped\n", r.BrokenWays)
	}
	fmt.Fprintf(&b, "turn restrictions: %d applied\n", r.Restrictions)
	for _, k := range sortedKeys(r.RestrictionsSkipped) {
		fmt.Fprintf(&b, "  skipped %d: %s\n", r.RestrictionsSkipped[k], k)
	}
	for _, e := range r.Examples {
		fmt.Fprintf(&b, "  e.g. %s\n", e)
	}
	return b.String()
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// builder holds what Build keeps while the file streams past.
type builder struct {
	opts     BuildOptions
	rep      *Report
	nodes    osm.Positions
	examples map[string]int

	// Routable ways: refs[refOff[i]:refOff[i+1]] are way i's nodes.
	wayID   []int64
	refOff  []int
	refs    []int64
	profs   []wayProfile
	wayName []uint32
	names   []string
	nameIdx map[string]uint32

	restrictions []restriction
}

// restriction is a via-node turn restriction from a relation.
type restriction struct {
	id       int64
	only     bool
	from, to []int64
	via      int64
}

// Build reads an OSM extract (XML, bzip2 or gzip XML, or PBF; see
// osm.Read) and builds the bike graph, reporting what it left out. Ways
// with nodes missing from the file keep their parts between the missing
// nodes; turn restrictions whose via is a way, or whose members are not
// in the graph, are left out.
//
// Build's error is a coopmap error with CodeInvalid when the file is not
// OSM or is malformed or truncated, or holds no routable way, and
// CodeTooLarge when it holds more than MaxNodes nodes or breaks the
// reader's limits; ctx.Err() when ctx ends; otherwise the read error,
// wrapped.
func Build(ctx context.Context, r io.Reader, opts BuildOptions) (*Graph, *Report, error) {
	if opts.MaxNodes <= 0 {
		opts.MaxNodes = osm.DefaultMaxNodes
	}
	if opts.MaxExamples <= 0 {
		opts.MaxExamples = 5
	}
	b := &builder{
		opts:     opts,
		rep:      &Report{Excluded: map[string]int{}, RestrictionsSkipped: map[string]int{}},
		nodes:    osm.Positions{Max: opts.MaxNodes},
		examples: map[string]int{},
		refOff:   []int{0},
		names:    []string{""},
		nameIdx:  map[string]uint32{"": 0},
	}
	err := osm.Read(ctx, r, osm.Handler{Node: b.node, Way: b.way, Relation: b.relation})
	if err != nil {
		return nil, b.rep, err
	}
	g, err := b.graph(ctx)
	if err != nil {
		return nil, b.rep, err
	}
	return g, b.rep, nil
}

// example keeps one example of a skipped object, a few per kind.
func (b *builder) example(kind, what string) {
	if b.examples[kind] < b.opts.MaxExamples {
		b.examples[kind]++
		b.rep.Examples = append(b.rep.Examples, what)
	}
}

func (b *builder) node(n osm.Node) error {
	b.rep.Nodes++
	if n.Bad != "" {
		return nil
	}
	return b.nodes.Add(n.ID, n.Lon, n.Lat)
}

func (b *builder) way(w osm.Way) error {
	b.rep.Ways++
	if _, ok := w.Tags["highway"]; !ok {
		return nil
	}
	b.rep.HighwayWays++
	p := profile(w.Tags)
	if p.skip != "" {
		b.rep.Excluded[p.skip]++
		return nil
	}
	if w.Bad != "" || len(w.Refs) < 2 {
		b.rep.BrokenWays++
		why := w.Bad
		if why == "" {
			why = fmt.Sprintf("it has %d node(s)", len(w.Refs))
		}
		b.example("broken", fmt.Sprintf("way/%d: %s", w.ID, why))
		return nil
	}
	b.rep.RoutableWays++
	b.wayID = append(b.wayID, w.ID)
	b.refs = append(b.refs, w.Refs...)
	b.refOff = append(b.refOff, len(b.refs))
	b.profs = append(b.profs, p)
	b.wayName = append(b.wayName, b.name(w.Tags))
	return nil
}

// name interns the way's street name: name, else ref, else "".
func (b *builder) name(t map[string]string) uint32 {
	n := strings.TrimSpace(t["name"])
	if n == "" {
		n = strings.TrimSpace(t["ref"])
	}
	if len(n) > 200 {
		n = clip(n)
	}
	i, ok := b.nameIdx[n]
	if !ok {
		i = uint32(len(b.names))
		b.names = append(b.names, n)
		b.nameIdx[n] = i
	}
	return i
}

func (b *builder) relation(r osm.Relation) error {
	b.rep.Relations++
	if r.Tags["type"] != "restriction" {
		return nil
	}
	skip := func(why string) error {
		b.rep.RestrictionsSkipped[why]++
		b.example("restriction", fmt.Sprintf("relation/%d: %s", r.ID, why))
		return nil
	}
	for _, ex := range strings.Split(r.Tags["except"], ";") {
		if strings.TrimSpace(ex) == "bicycle" {
			b.rep.RestrictionsSkipped["except=bicycle"]++
			return nil
		}
	}
	kind, ok := r.Tags["restriction:bicycle"]
	if !ok {
		kind = r.Tags["restriction"]
	}
	var res restriction
	switch {
	case strings.HasPrefix(kind, "no_"):
	case strings.HasPrefix(kind, "only_"):
		res.only = true
	case kind == "":
		return skip("no restriction tag")
	default:
		return skip("restriction=" + clip(kind) + " is not no_* or only_*")
	}
	res.id = r.ID
	vias := 0
	for _, m := range r.Members {
		switch {
		case m.Role == "from" && m.Type == "way":
			res.from = append(res.from, m.Ref)
		case m.Role == "to" && m.Type == "way":
			res.to = append(res.to, m.Ref)
		case m.Role == "via" && m.Type == "node":
			res.via = m.Ref
			vias++
		case m.Role == "via" && m.Type == "way":
			return skip("the via is a way (not supported)")
		}
	}
	if vias != 1 || len(res.from) == 0 || len(res.to) == 0 {
		return skip("it lacks a from way, a to way or one via node")
	}
	b.restrictions = append(b.restrictions, res)
	return nil
}

// graph turns the kept ways into the graph.
func (b *builder) graph(ctx context.Context) (*Graph, error) {
	// A node is a junction when it ends a (part of a) way, is used more
	// than once, or is the via of a restriction.
	var used, ends []int64
	missing := make([]bool, len(b.wayID))
	for i := range b.wayID {
		refs := b.refs[b.refOff[i]:b.refOff[i+1]]
		prevOK := false
		for j, ref := range refs {
			_, _, ok := b.nodes.FindE7(ref)
			if !ok {
				missing[i] = true
				prevOK = false
				continue
			}
			used = append(used, ref)
			nextOK := j+1 < len(refs)
			if nextOK {
				_, _, nextOK = b.nodes.FindE7(refs[j+1])
			}
			if !prevOK || !nextOK {
				ends = append(ends, ref)
			}
			prevOK = true
		}
		if missing[i] {
			b.rep.MissingNodes++
			b.example("missing", fmt.Sprintf("way/%d: some of its %d nodes are not in the file, as happens at the edge of an extract", b.wayID[i], len(refs)))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.Sort(used)
	junction := ends
	for i := 1; i < len(used); i++ {
		if used[i] == used[i-1] {
			junction = append(junction, used[i])
		}
	}
	for _, r := range b.restrictions {
		if _, ok := slices.BinarySearch(used, r.via); ok {
			junction = append(junction, r.via)
		}
	}
	slices.Sort(junction)
	junction = slices.Compact(junction)
	used = nil
	if len(junction) == 0 {
		return nil, coopmap.Errorf(coopmap.CodeInvalid, "%s: no way a bike may use has its nodes in the file; nothing to route on", b.source())
	}
	if len(junction) > math.MaxUint32/4 {
		return nil, coopmap.Errorf(coopmap.CodeTooLarge, "%s: more than %d junctions", b.source(), math.MaxUint32/4)
	}
	g := &Graph{Source: b.opts.Source, names: b.names, geomOff: []uint32{0}}
	g.lon = make([]int32, len(junction))
	g.lat = make([]int32, len(junction))
	for v, id := range junction {
		g.lon[v], g.lat[v], _ = b.nodes.FindE7(id)
	}
	vertex := func(id int64) (uint32, bool) {
		v, ok := slices.BinarySearch(junction, id)
		return uint32(v), ok
	}
	edgeWay := []int{} // way index of each edge, for restrictions
	g.minCost = math.Inf(1)
	for i := range b.wayID {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		refs := b.refs[b.refOff[i]:b.refOff[i+1]]
		p := b.profs[i]
		open := false // whether an edge has begun, at junction startV
		var startV uint32
		var meters float64
		var prevLon, prevLat int32
		geomStart := len(g.glon)
		for _, ref := range refs {
			lon, lat, ok := b.nodes.FindE7(ref)
			if !ok {
				open = false
				g.glon, g.glat = g.glon[:geomStart], g.glat[:geomStart]
				continue
			}
			if open {
				meters += geo.Distance(e7(prevLon, prevLat), e7(lon, lat))
			}
			prevLon, prevLat = lon, lat
			v, isJunction := vertex(ref)
			if !isJunction {
				if open {
					g.glon = append(g.glon, lon)
					g.glat = append(g.glat, lat)
				}
				continue
			}
			if open && !(v == startV && len(g.glon) == geomStart) {
				g.addEdge(startV, v, meters, p, b.wayName[i])
				edgeWay = append(edgeWay, i)
			} else {
				g.glon, g.glat = g.glon[:geomStart], g.glat[:geomStart]
			}
			open, startV, meters, geomStart = true, v, 0, len(g.glon)
		}
		g.glon, g.glat = g.glon[:geomStart], g.glat[:geomStart]
	}
	if len(g.from) == 0 {
		return nil, coopmap.Errorf(coopmap.CodeInvalid, "%s: no way a bike may use has two of its nodes in the file; nothing to route on", b.source())
	}
	if math.IsInf(g.minCost, 1) || g.minCost <= 0 {
		g.minCost = 1 / RideSpeed
	}
	b.turns(g, edgeWay, vertex)
	g.arcs()
	g.finish()
	return g, nil
}

func (b *builder) source() string {
	if b.opts.Source == "" {
		return "the extract"
	}
	return b.opts.Source
}

func e7(lon, lat int32) [2]float64 {
	return [2]float64{float64(lon) / 1e7, float64(lat) / 1e7}
}

// addEdge appends an edge whose inner points are already in glon/glat.
func (g *Graph) addEdge(from, to uint32, meters float64, p wayProfile, name uint32) {
	inf := float32(math.Inf(1))
	t := meters / p.speed
	c := t * p.factor
	g.from = append(g.from, from)
	g.to = append(g.to, to)
	g.length = append(g.length, float32(meters))
	cf, cb, tf, tb := inf, inf, inf, inf
	if p.fwd {
		cf, tf = float32(c), float32(t)
	}
	if p.bwd {
		cb, tb = float32(c), float32(t)
	}
	g.costF = append(g.costF, cf)
	g.costB = append(g.costB, cb)
	g.timeF = append(g.timeF, tf)
	g.timeB = append(g.timeB, tb)
	g.name = append(g.name, name)
	g.kinds = append(g.kinds, p.kind)
	g.geomOff = append(g.geomOff, uint32(len(g.glon)))
	if meters > 0 {
		// float32 rounding must not make an edge cheaper than the
		// heuristic assumes.
		g.minCost = min(g.minCost, float64(float32(c))/float64(float32(meters))*0.999)
	}
}

// turns turns the restrictions into forbidden (in edge, out edge) pairs.
func (b *builder) turns(g *Graph, edgeWay []int, vertex func(int64) (uint32, bool)) {
	wayIdx := make(map[int64]int, len(b.wayID))
	for i, id := range b.wayID {
		wayIdx[id] = i
	}
	// Edges at each via vertex, found by scanning once.
	at := map[uint32][]uint32{}
	vias := map[uint32]bool{}
	for _, r := range b.restrictions {
		if v, ok := vertex(r.via); ok {
			vias[v] = true
		}
	}
	for e := range g.from {
		for _, v := range []uint32{g.from[e], g.to[e]} {
			if vias[v] {
				at[v] = append(at[v], uint32(e))
			}
		}
	}
	of := func(v uint32, ways []int64) []uint32 {
		var es []uint32
		for _, e := range at[v] {
			for _, w := range ways {
				if i, ok := wayIdx[w]; ok && edgeWay[e] == i {
					es = append(es, e)
				}
			}
		}
		return es
	}
	for _, r := range b.restrictions {
		v, ok := vertex(r.via)
		ins, outs := of(v, r.from), of(v, r.to)
		if !ok || len(ins) == 0 || len(outs) == 0 {
			why := "its ways or via node are not in the graph (not routable, or outside the extract)"
			b.rep.RestrictionsSkipped[why]++
			b.example("restriction", "relation/"+strconv.FormatInt(r.id, 10)+": "+why)
			continue
		}
		b.rep.Restrictions++
		for _, in := range ins {
			if r.only {
				for _, out := range at[v] {
					if !slices.Contains(outs, out) {
						g.forbidden = append(g.forbidden, uint64(in)<<32|uint64(out))
					}
				}
				continue
			}
			for _, out := range outs {
				g.forbidden = append(g.forbidden, uint64(in)<<32|uint64(out))
			}
		}
	}
	slices.Sort(g.forbidden)
	g.forbidden = slices.Compact(g.forbidden)
}

// arcs builds the compressed adjacency from the edges.
func (g *Graph) arcs() {
	nv := len(g.lon)
	g.first = make([]uint32, nv+1)
	for e := range g.from {
		if !math.IsInf(float64(g.costF[e]), 1) {
			g.first[g.from[e]+1]++
		}
		if !math.IsInf(float64(g.costB[e]), 1) {
			g.first[g.to[e]+1]++
		}
	}
	for v := range nv {
		g.first[v+1] += g.first[v]
	}
	g.adj = make([]uint32, g.first[nv])
	fill := append([]uint32(nil), g.first[:nv]...)
	for e := range g.from {
		if !math.IsInf(float64(g.costF[e]), 1) {
			g.adj[fill[g.from[e]]] = uint32(e) << 1
			fill[g.from[e]]++
		}
		if !math.IsInf(float64(g.costB[e]), 1) {
			g.adj[fill[g.to[e]]] = uint32(e)<<1 | 1
			fill[g.to[e]]++
		}
	}
}
