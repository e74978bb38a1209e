package export

import (
	"fmt"
	"io"
	"strings"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

// WriteTourGPX writes a tour as a GPX 1.1 document that validates against
// the GPX 1.1 schema, for a GPS device or app to follow:
//
//   - metadata: the tour's title as name; as desc its region,
//     description, length and riding time, then the Notice of its source
//     (src, whose licence covers the route, ODbL for routes from
//     OpenStreetMap) and of each source in stopSources (the sources of
//     the records its stops reference); copyright and licence links from
//     src, as WriteGPX writes them.
//   - one waypoint (wpt) per stop with a location, in order: name
//     "N. name", the note as desc (or "Stop N of M on title"), a link to page(stop) when it returns
//     an http(s) URL (the record's page), type "co-op" for a stop that
//     references a record and "stop" for a named point.
//   - a route (rte) through the same stops, for devices that route
//     themselves.
//   - a track (trk) of the routed line, when the tour has been routed.
//
// The error is w's.
func WriteTourGPX(w io.Writer, t coopmap.Tour, src coopmap.Source, stopSources []coopmap.Source, page func(coopmap.Stop) string) error {
	var duration float64
	for _, l := range t.Legs {
		duration += l.DurationS
	}
	var desc strings.Builder
	for _, s := range []string{t.Region, t.Description} {
		if s != "" {
			desc.WriteString(strings.TrimSpace(s) + "\n")
		}
	}
	fmt.Fprintf(&desc, "%d stops", len(t.Stops))
	if t.DistanceM > 0 {
		fmt.Fprintf(&desc, ", %.1f km, about %.0f min by bike", t.DistanceM/1000, duration/60)
	}
	desc.WriteString(".\n\n" + Notice(src))
	for _, s := range stopSources {
		desc.WriteString("\nStops: " + Notice(s))
	}
	b := appendGPXStart(nil, src, t.Title, desc.String())

	point := func(tag string, i int, s coopmap.Stop) {
		b = append(b, '<')
		b = append(b, tag...)
		b = appendLatLon(b, s.Location)
		b = append(b, '>')
		b = appendElem(b, "name", fmt.Sprintf("%d. %s", i+1, s.Name))
		desc := s.Note
		if desc == "" {
			desc = fmt.Sprintf("Stop %d of %d on %s", i+1, len(t.Stops), t.Title)
		}
		b = appendElem(b, "desc", desc)
		if u := httpURL(page(s)); u != "" {
			b = appendGPXLink(b, u, s.Name)
		}
		typ := "stop"
		if s.FeatureID != "" {
			typ = "co-op"
		}
		b = appendElem(b, "type", typ)
		b = append(b, "</"...)
		b = append(b, tag...)
		b = append(b, ">\n"...)
	}
	for i, s := range t.Stops {
		if !s.Unresolved {
			point("wpt", i, s)
		}
	}
	b = append(b, "<rte>"...)
	b = appendElem(b, "name", t.Title)
	b = append(b, '\n')
	for i, s := range t.Stops {
		if !s.Unresolved {
			point("rtept", i, s)
		}
	}
	b = append(b, "</rte>\n"...)
	line := t.Route
	if line == nil {
		for _, l := range t.Legs {
			if n := len(line); n > 0 && len(l.Geometry) > 0 && line[n-1] == l.Geometry[0] {
				l.Geometry = l.Geometry[1:]
			}
			line = append(line, l.Geometry...)
		}
	}
	if len(line) > 0 {
		b = append(b, "<trk>"...)
		b = appendElem(b, "name", t.Title)
		b = appendElem(b, "type", "cycling")
		b = append(b, "<trkseg>"...)
		for _, p := range line {
			b = append(b, "<trkpt"...)
			b = appendLatLon(b, p)
			b = append(b, "/>"...)
		}
		b = append(b, "</trkseg></trk>\n"...)
	}
	b = append(b, "</gpx>\n"...)
	_, err := w.Write(b)
	return err
}

// appendLatLon appends the lat and lon attributes of a GPX point.
func appendLatLon(b []byte, p orb.Point) []byte {
	b = append(b, ` lat="`...)
	b = appendNum(b, p[1])
	b = append(b, `" lon="`...)
	b = appendNum(b, p[0])
	return append(b, '"')
}
