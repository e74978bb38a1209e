package export_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/export"
)

// TestTourGPX writes tours with hostile text, a stop whose record is
// gone and no route, and checks that xmllint validates each against the
// GPX 1.1 schema and that the text reads back as written.
func TestTourGPX(t *testing.T) {
	src := coopmap.Source{ID: "tours", Title: "Tours", Kind: coopmap.KindTours, Licence: coopmap.Licence{ID: "ODbL-1.0"}, Attribution: "Routes © OpenStreetMap contributors"}
	coops := coopmap.Source{ID: "coops-uk", Title: "Co-ops", Licence: coopmap.Licence{ID: "ODC-By-1.0"}, Attribution: "Contains data from Co-operatives UK"}
	hostile := `<script>alert("x")</script> ]]> & "quotes" ` + "\x01\ufffe"
	line := orb.LineString{{-0.117, 51.603}, {-0.118, 51.604}, {-0.120, 51.605}}
	routed := coopmap.Tour{ID: "t", Title: hostile, Region: "North London", Description: hostile, DistanceM: 420,
		Stops: []coopmap.Stop{
			{FeatureID: "coops-uk.R1", Name: hostile, Location: line[0], Note: hostile},
			{FeatureID: "coops-uk.R2", Unresolved: true},
			{Name: "Bowes Park", Location: line[2]},
		},
		Legs:  []coopmap.Leg{{Geometry: line[:2], DistanceM: 200, DurationS: 40}, {Geometry: line[1:], DistanceM: 220, DurationS: 44}},
		Route: line}
	unrouted := routed
	unrouted.Legs, unrouted.Route, unrouted.DistanceM = nil, nil, 0
	legsOnly := routed
	legsOnly.Route = nil
	page := func(s coopmap.Stop) string {
		if s.FeatureID == "" {
			return ""
		}
		return "https://coopmap.example/coops/" + s.FeatureID
	}
	for name, c := range map[string]struct {
		tour   coopmap.Tour
		trkpts int
	}{"routed": {routed, 3}, "unrouted": {unrouted, 0}, "legs only": {legsOnly, 3}} {
		var b bytes.Buffer
		if err := export.WriteTourGPX(&b, c.tour, src, []coopmap.Source{coops}, page); err != nil {
			t.Fatal(err)
		}
		run(t, "xmllint", "--noout", "--nonet", "--schema", "../testdata/schemas/gpx.xsd", saveTemp(t, "tour.gpx", b.Bytes()))
		var doc struct {
			Name   string     `xml:"metadata>name"`
			Desc   string     `xml:"metadata>desc"`
			Wpts   []string   `xml:"wpt>name"`
			Trkpts []struct{} `xml:"trk>trkseg>trkpt"`
		}
		if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		clean := strings.NewReplacer("\x01", "\ufffd", "\ufffe", "\ufffd").Replace(hostile)
		if doc.Name != clean || !strings.Contains(doc.Desc, "Routes © OpenStreetMap contributors") || !strings.Contains(doc.Desc, "Stops: Co-ops") {
			t.Errorf("%s: metadata %q\n%s", name, doc.Name, doc.Desc)
		}
		if len(doc.Wpts) != 2 || doc.Wpts[0] != "1. "+clean || doc.Wpts[1] != "3. Bowes Park" || len(doc.Trkpts) != c.trkpts {
			t.Errorf("%s: waypoints %q, %d track points", name, doc.Wpts, len(doc.Trkpts))
		}
	}
}
