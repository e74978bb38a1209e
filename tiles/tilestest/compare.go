package tilestest

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/planar"
)

// Layer is one decoded tile layer: MVT feature id → geometry in tile
// units (a feature split into several MVT features has its parts
// collected into an orb.Collection).
type Layer map[uint64]orb.Geometry

// Decode decodes an MVT tile into its layers by name, checking that every
// layer is version 2 and every feature has an id.
func Decode(b []byte) (map[string]Layer, []string, error) {
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]Layer{}
	var names []string
	for _, l := range ls {
		if l.Version != 2 {
			return nil, nil, fmt.Errorf("layer %q: version %d, want 2", l.Name, l.Version)
		}
		names = append(names, l.Name)
		m := Layer{}
		for _, f := range l.Features {
			fid, ok := f.ID.(float64) // orb decodes ids as float64
			id := uint64(fid)
			if !ok || float64(id) != fid {
				return nil, nil, fmt.Errorf("layer %q: a feature has no id (%T)", l.Name, f.ID)
			}
			if g, dup := m[id]; dup {
				c, _ := g.(orb.Collection)
				m[id] = append(c, f.Geometry)
				continue
			}
			m[id] = f.Geometry
		}
		out[l.Name] = m
	}
	return out, names, nil
}

// Diff compares two tiles and describes every difference: layers, feature
// ids, and geometries further apart than tol tile units (each vertex of
// one within tol of the other's outline, both ways). A feature in one tile
// only is a difference unless it is a sliver (see sliver). It returns ""
// when they agree.
func Diff(a, b []byte, tol float64) (string, error) {
	la, na, err := Decode(a)
	if err != nil {
		return "", fmt.Errorf("first tile: %w", err)
	}
	lb, nb, err := Decode(b)
	if err != nil {
		return "", fmt.Errorf("second tile: %w", err)
	}
	var d strings.Builder
	if !slices.Equal(na, nb) {
		fmt.Fprintf(&d, "layers %v vs %v\n", na, nb)
	}
	for name, fa := range la {
		fb := lb[name]
		for id, ga := range fa {
			gb, ok := fb[id]
			if !ok {
				if !sliver(ga) {
					fmt.Fprintf(&d, "%s: feature %d only in the first\n", name, id)
				}
				continue
			}
			if dist := max(farthest(ga, gb), farthest(gb, ga)); dist > tol {
				fmt.Fprintf(&d, "%s: feature %d: geometries %.1f units apart\n", name, id, dist)
			}
		}
		for id := range fb {
			if _, ok := fa[id]; !ok && !sliver(fb[id]) {
				fmt.Fprintf(&d, "%s: feature %d only in the second\n", name, id)
			}
		}
	}
	return d.String(), nil
}

// sliver reports whether g is a remnant of clipping that no map shows:
// at most one pixel (16 units) across, wholly in the buffer outside the
// 4096-unit tile. Renderers may differ on those.
func sliver(g orb.Geometry) bool {
	if _, ok := g.(orb.Point); ok {
		return false
	}
	b := g.Bound()
	small := b.Max[0]-b.Min[0] <= 16 && b.Max[1]-b.Min[1] <= 16
	outside := b.Max[0] <= 0 || b.Max[1] <= 0 || b.Min[0] >= 4096 || b.Min[1] >= 4096
	return small && outside
}

// farthest is the largest distance from a vertex of a to b's outline.
func farthest(a, b orb.Geometry) float64 {
	worst := 0.0
	for _, p := range vertices(a) {
		best := math.Inf(1)
		for _, s := range segments(b) {
			best = min(best, planar.DistanceFromSegment(s[0], s[1], p))
		}
		worst = max(worst, best)
	}
	return worst
}

func vertices(g orb.Geometry) []orb.Point {
	var ps []orb.Point
	for _, s := range segments(g) {
		ps = append(ps, s[0], s[1])
	}
	return ps
}

// segments lists g's outline as segments (a point is a zero-length one).
func segments(g orb.Geometry) [][2]orb.Point {
	var out [][2]orb.Point
	line := func(l []orb.Point) {
		if len(l) == 1 {
			out = append(out, [2]orb.Point{l[0], l[0]})
		}
		for i := 1; i < len(l); i++ {
			out = append(out, [2]orb.Point{l[i-1], l[i]})
		}
	}
	switch g := g.(type) {
	case orb.Point:
		line([]orb.Point{g})
	case orb.MultiPoint:
		for _, p := range g {
			line([]orb.Point{p})
		}
	case orb.LineString:
		line(g)
	case orb.MultiLineString:
		for _, l := range g {
			line(l)
		}
	case orb.Ring:
		line(g)
	case orb.Polygon:
		for _, r := range g {
			line(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				line(r)
			}
		}
	case orb.Collection:
		for _, m := range g {
			out = append(out, segments(m)...)
		}
	}
	return out
}
