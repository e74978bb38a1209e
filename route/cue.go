package route

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// cues writes the cue sheet of a leg ridden along ps, arriving at stop
// number to (an index into the route's points).
func (g *Graph) cues(ps []piece, to int) []Cue {
	if len(ps) == 0 {
		return nil
	}
	var out []Cue
	street := func(p piece) string {
		if n := g.names[g.name[p.edge]]; n != "" {
			return n
		}
		return g.kinds[p.edge].String()
	}
	cur := street(ps[0])
	out = append(out, Cue{Type: "depart", Street: cur, Location: ps[0].line[0], DistanceM: ps[0].meters,
		Text: fmt.Sprintf("Head %s on %s", compass(firstBearing(ps[0].line)), cur)})
	for i := 1; i < len(ps); i++ {
		p, prev := ps[i], ps[i-1]
		name := street(p)
		angle := turnAngle(lastBearing(prev.line), firstBearing(p.line))
		junction := g.tail(p.edge<<1 | boolBit(p.back))
		degree := int(g.first[junction+1] - g.first[junction])
		if name == cur && (math.Abs(angle) < 60 || degree < 3) {
			out[len(out)-1].DistanceM += p.meters
			continue
		}
		mod := modifier(angle)
		c := Cue{Type: "turn", Modifier: mod, Street: name, Location: p.line[0], DistanceM: p.meters}
		switch {
		case mod == "straight":
			c.Type = "continue"
			c.Text = "Continue straight onto " + name
		case mod == "uturn":
			c.Text = "Make a U-turn onto " + name
		case name == cur:
			c.Text = fmt.Sprintf("Turn %s to stay on %s", mod, name)
		default:
			c.Text = fmt.Sprintf("Turn %s onto %s", mod, name)
		}
		out = append(out, c)
		cur = name
	}
	last := ps[len(ps)-1].line
	out = append(out, Cue{Type: "arrive", Location: last[len(last)-1], Text: fmt.Sprintf("Arrive at stop %d", to+1)})
	return out
}

func boolBit(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// bearing is the compass bearing from a to b in degrees, 0 north, 90 east.
func bearing(a, b orb.Point) float64 {
	dx := (b[0] - a[0]) * math.Cos((a[1]+b[1])/2*math.Pi/180)
	dy := b[1] - a[1]
	d := math.Atan2(dx, dy) * 180 / math.Pi
	if d < 0 {
		d += 360
	}
	return d
}

// firstBearing and lastBearing are the bearings a line leaves its start
// and reaches its end with, skipping repeated points; NaN for a line of
// one point.
func firstBearing(l orb.LineString) float64 {
	for i := 1; i < len(l); i++ {
		if l[i] != l[0] {
			return bearing(l[0], l[i])
		}
	}
	return math.NaN()
}

func lastBearing(l orb.LineString) float64 {
	n := len(l) - 1
	for i := n - 1; i >= 0; i-- {
		if l[i] != l[n] {
			return bearing(l[i], l[n])
		}
	}
	return math.NaN()
}

// turnAngle is the change of direction from bearing in to out, in
// (-180, 180]: negative is a left turn. Unknown bearings count as
// straight on.
func turnAngle(in, out float64) float64 {
	if math.IsNaN(in) || math.IsNaN(out) {
		return 0
	}
	a := math.Mod(out-in+540, 360) - 180
	if a == -180 {
		a = 180
	}
	return a
}

// modifier names a turn angle.
func modifier(a float64) string {
	side := "right"
	if a < 0 {
		side = "left"
	}
	switch abs := math.Abs(a); {
	case abs < 20:
		return "straight"
	case abs < 60:
		return "slight " + side
	case abs < 135:
		return side
	case abs < 170:
		return "sharp " + side
	}
	return "uturn"
}

// compass names a bearing as one of eight compass points.
func compass(b float64) string {
	if math.IsNaN(b) {
		return "off"
	}
	names := [...]string{"north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest"}
	return names[int(math.Round(b/45))%8]
}
