package route

import "strings"

// Speeds of the bike profile, in metres per second.
const (
	// RideSpeed is riding on a good surface: 18 km/h.
	RideSpeed = 5.0
	// WalkSpeed is pushing the bike (bicycle=dismount, footways without
	// bicycle=yes, steps): 5 km/h.
	WalkSpeed = 5.0 / 3.6
)

// Penalties of the bike profile, as factors on riding time: a way's cost
// is its time times its factor, and the router minimises cost. A factor
// of 1 is the best there is (a cycleway).
const (
	// StepsFactor makes highway=steps a last resort: a flight of steps
	// costs as much as riding about 8 times its length on a main road.
	StepsFactor = 8.0
	// DismountFactor applies on top of walking speed where one must push.
	DismountFactor = 1.5
	// UTurnCost is the cost, in seconds, of turning back on the same way.
	UTurnCost = 30.0
)

// kind is what a way is for the cue sheet and the profile; its value is
// stored in graph files, so the order is fixed.
type kind uint8

const (
	kindRoad kind = iota
	kindCycleway
	kindPath
	kindTrack
	kindFootway
	kindSteps
	kindService
	kindMainRoad
)

// String is how the cue sheet names an unnamed way of the kind.
func (k kind) String() string {
	switch k {
	case kindCycleway:
		return "the cycleway"
	case kindPath:
		return "the path"
	case kindTrack:
		return "the track"
	case kindFootway:
		return "the footway"
	case kindSteps:
		return "the steps"
	case kindService:
		return "the service road"
	case kindMainRoad:
		return "the main road"
	}
	return "the road"
}

// wayProfile is how the bike profile sees one OSM way.
type wayProfile struct {
	// skip, when set, says why the way is not routable.
	skip string
	// fwd and bwd say whether the way may be used along and against the
	// order of its nodes.
	fwd, bwd bool
	// speed is in metres per second; factor ≥ 1 multiplies time into cost.
	speed, factor float64
	kind          kind
}

// highwayBase maps routable highway values to the kind and factor of the
// way before access, cycle infrastructure and surface are considered.
// Values not listed (motorway, trunk, construction, proposed, platform,
// corridor, …) are not routable.
func highwayBase(h string) (kind, float64, bool) {
	switch h {
	case "cycleway":
		return kindCycleway, 1.0, true
	case "living_street":
		return kindRoad, 1.05, true
	case "residential":
		return kindRoad, 1.1, true
	case "unclassified", "road":
		return kindRoad, 1.2, true
	case "service":
		return kindService, 1.3, true
	case "tertiary", "tertiary_link":
		return kindRoad, 1.4, true
	case "secondary", "secondary_link":
		return kindMainRoad, 1.7, true
	case "primary", "primary_link":
		return kindMainRoad, 2.2, true
	case "track":
		return kindTrack, 1.4, true
	case "path":
		return kindPath, 1.5, true
	case "bridleway":
		return kindPath, 1.6, true
	case "footway", "pedestrian":
		return kindFootway, 1.2, true
	case "steps":
		return kindSteps, StepsFactor, true
	}
	return 0, 0, false
}

// profile applies the bike profile (see the package documentation) to a
// way's tags.
func profile(t map[string]string) wayProfile {
	h, ok := t["highway"]
	if !ok {
		return wayProfile{skip: "not a highway"}
	}
	switch h {
	case "motorway", "motorway_link", "trunk", "trunk_link":
		return wayProfile{skip: "highway=" + h + " is closed to bikes"}
	}
	k, factor, ok := highwayBase(h)
	if !ok {
		return wayProfile{skip: "highway=" + clip(h) + " is not routable"}
	}
	if t["area"] == "yes" && h != "pedestrian" && h != "footway" {
		return wayProfile{skip: "an area, not a way"}
	}
	bike := t["bicycle"]
	switch bike {
	case "no", "private", "use_sidepath":
		return wayProfile{skip: "bicycle=" + bike}
	}
	allowed := bike == "yes" || bike == "designated" || bike == "permissive" || bike == "destination"
	if !allowed {
		for _, key := range []string{"access", "vehicle"} {
			if v := t[key]; v == "no" || v == "private" {
				return wayProfile{skip: key + "=" + v}
			}
		}
	}
	p := wayProfile{fwd: true, bwd: true, speed: RideSpeed, factor: factor, kind: k}
	dismount := bike == "dismount" || k == kindSteps || k == kindFootway && !allowed
	switch {
	case dismount:
		p.speed = WalkSpeed
		if k != kindSteps {
			p.factor = DismountFactor
		}
	case bike == "designated" || t["bicycle_road"] == "yes" || t["cyclestreet"] == "yes":
		p.factor = 1.0
	case k == kindFootway || k == kindPath && allowed:
		p.factor = min(p.factor, 1.2)
	}
	if !dismount && (k == kindMainRoad || h == "tertiary" || h == "tertiary_link") {
		switch lane := cycleLane(t); lane {
		case "track":
			p.factor = max(1.0, p.factor*0.6)
		case "lane":
			p.factor = max(1.0, p.factor*0.75)
		}
	}
	if v := t["access"]; !allowed && (v == "destination" || v == "customers" || v == "delivery") {
		p.factor += 0.5
	}
	if !dismount {
		speed, extra := surface(t, k)
		p.speed = min(p.speed, speed)
		p.factor += extra
	}
	if !dismount {
		p.fwd, p.bwd = oneway(t)
	}
	return p
}

// cycleLane returns "track" or "lane" when the way carries cycle
// infrastructure along it (cycleway, cycleway:left|right|both), else "".
func cycleLane(t map[string]string) string {
	best := ""
	for _, key := range []string{"cycleway", "cycleway:both", "cycleway:left", "cycleway:right"} {
		switch t[key] {
		case "track", "separate":
			return "track"
		case "lane", "shared_lane", "share_busway", "opposite_lane", "opposite_track":
			best = "lane"
		}
	}
	return best
}

// surface returns the top speed on the way's surface and the factor
// added for it. Tracks and paths without a surface tag are taken as
// unpaved (tracktype=grade1 as paved).
func surface(t map[string]string, k kind) (float64, float64) {
	s := t["surface"]
	if s == "" {
		switch {
		case k == kindTrack && t["tracktype"] == "grade1":
			s = "paved"
		case k == kindTrack:
			s = "unpaved"
		case k == kindPath:
			s = "compacted"
		}
	}
	switch s {
	case "compacted", "fine_gravel", "paving_stones:lanes", "wood", "metal":
		return 4.2, 0.2
	case "sett", "cobblestone", "unhewn_cobblestone", "gravel", "unpaved", "pebblestone", "rock":
		return 3.3, 0.4
	case "dirt", "ground", "earth", "grass", "mud", "sand", "woodchips", "grass_paver":
		return 2.5, 0.8
	}
	return RideSpeed, 0
}

// oneway reports the directions a bike may use the way in: oneway (or
// an implied oneway: junction=roundabout|circular) restricts it unless
// oneway:bicycle=no or a contraflow cycleway (cycleway=opposite*,
// cycleway:left|right|both=opposite_lane|opposite_track) says otherwise;
// oneway:bicycle alone also makes a way oneway for bikes.
func oneway(t map[string]string) (fwd, bwd bool) {
	v, ok := t["oneway:bicycle"]
	if !ok {
		v = t["oneway"]
		if v == "" && (t["junction"] == "roundabout" || t["junction"] == "circular") {
			v = "yes"
		}
		if v != "" && v != "no" && contraflow(t) {
			v = "no"
		}
	}
	switch v {
	case "yes", "1", "true":
		return true, false
	case "-1", "reverse":
		return false, true
	}
	return true, true
}

// contraflow reports whether a oneway way has a cycle lane or track
// against its flow.
func contraflow(t map[string]string) bool {
	if strings.HasPrefix(t["cycleway"], "opposite") {
		return true
	}
	for _, key := range []string{"cycleway:both", "cycleway:left", "cycleway:right"} {
		if v := t[key]; v == "opposite_lane" || v == "opposite_track" || v == "opposite" {
			return true
		}
	}
	return t["cycleway:left:oneway"] == "-1" || t["cycleway:right:oneway"] == "-1" || t["cycleway:left:oneway"] == "no" || t["cycleway:right:oneway"] == "no"
}

// clip shortens a value from the input for quoting in a message.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}
