package route

import "testing"

// TestProfileTable checks the bike profile's speeds, factors and
// directions on tag sets; TestProfile in route_test.go checks the same
// rules by routing on testdata/route/ladders.osm.
func TestProfileTable(t *testing.T) {
	for _, c := range []struct {
		name     string
		tags     map[string]string
		skip     bool
		fwd, bwd bool
		speed    float64
		factor   float64
	}{
		{"cycleway", map[string]string{"highway": "cycleway"}, false, true, true, RideSpeed, 1.0},
		{"residential", map[string]string{"highway": "residential"}, false, true, true, RideSpeed, 1.1},
		{"primary", map[string]string{"highway": "primary"}, false, true, true, RideSpeed, 2.2},
		{"primary with a cycle lane", map[string]string{"highway": "primary", "cycleway:left": "lane"}, false, true, true, RideSpeed, 2.2 * 0.75},
		{"primary with a cycle track", map[string]string{"highway": "primary", "cycleway": "track"}, false, true, true, RideSpeed, 2.2 * 0.6},
		{"cycle street", map[string]string{"highway": "residential", "cyclestreet": "yes"}, false, true, true, RideSpeed, 1.0},
		{"designated path", map[string]string{"highway": "path", "bicycle": "designated", "surface": "asphalt"}, false, true, true, RideSpeed, 1.0},
		{"path", map[string]string{"highway": "path"}, false, true, true, 4.2, 1.7},
		{"track", map[string]string{"highway": "track"}, false, true, true, 3.3, 1.8},
		{"paved track", map[string]string{"highway": "track", "tracktype": "grade1"}, false, true, true, RideSpeed, 1.4},
		{"cobbles", map[string]string{"highway": "residential", "surface": "sett"}, false, true, true, 3.3, 1.5},
		{"footway", map[string]string{"highway": "footway"}, false, true, true, WalkSpeed, DismountFactor},
		{"footway bicycle=yes", map[string]string{"highway": "footway", "bicycle": "yes"}, false, true, true, RideSpeed, 1.2},
		{"dismount", map[string]string{"highway": "cycleway", "bicycle": "dismount", "oneway": "yes"}, false, true, true, WalkSpeed, DismountFactor},
		{"steps", map[string]string{"highway": "steps"}, false, true, true, WalkSpeed, StepsFactor},
		{"oneway", map[string]string{"highway": "residential", "oneway": "yes"}, false, true, false, RideSpeed, 1.1},
		{"oneway -1", map[string]string{"highway": "residential", "oneway": "-1"}, false, false, true, RideSpeed, 1.1},
		{"oneway:bicycle=no", map[string]string{"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"}, false, true, true, RideSpeed, 1.1},
		{"oneway:bicycle=yes", map[string]string{"highway": "residential", "oneway:bicycle": "yes"}, false, true, false, RideSpeed, 1.1},
		{"opposite_track", map[string]string{"highway": "residential", "oneway": "yes", "cycleway:both": "opposite_track"}, false, true, true, RideSpeed, 1.1},
		{"roundabout", map[string]string{"highway": "tertiary", "junction": "roundabout"}, false, true, false, RideSpeed, 1.4},
		{"destination", map[string]string{"highway": "service", "access": "destination"}, false, true, true, RideSpeed, 1.8},
		{"motorway", map[string]string{"highway": "motorway"}, true, false, false, 0, 0},
		{"trunk_link", map[string]string{"highway": "trunk_link"}, true, false, false, 0, 0},
		{"bicycle=no", map[string]string{"highway": "residential", "bicycle": "no"}, true, false, false, 0, 0},
		{"access=private", map[string]string{"highway": "service", "access": "private"}, true, false, false, 0, 0},
		{"vehicle=no", map[string]string{"highway": "service", "vehicle": "no"}, true, false, false, 0, 0},
		{"access=no bicycle=permissive", map[string]string{"highway": "track", "access": "no", "bicycle": "permissive", "surface": "asphalt"}, false, true, true, RideSpeed, 1.4},
		{"construction", map[string]string{"highway": "construction"}, true, false, false, 0, 0},
		{"not a highway", map[string]string{"railway": "rail"}, true, false, false, 0, 0},
	} {
		p := profile(c.tags)
		if (p.skip != "") != c.skip {
			t.Errorf("%s: skip %q, want skipped %v", c.name, p.skip, c.skip)
			continue
		}
		if c.skip {
			continue
		}
		if p.fwd != c.fwd || p.bwd != c.bwd || p.speed != c.speed || abs(p.factor-c.factor) > 1e-9 {
			t.Errorf("%s: fwd %v bwd %v speed %.2f factor %.2f; want %v %v %.2f %.2f", c.name, p.fwd, p.bwd, p.speed, p.factor, c.fwd, c.bwd, c.speed, c.factor)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
