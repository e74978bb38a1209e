package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tourCoops holds the nine real co-ops of the Co-operatives UK data that
// lie inside the London extract the tour tests route on.
const tourCoops = "../../testdata/tours/wood-green-coops.csv"

// runTour runs "coopmap tour ARGS…" in-process.
func runTour(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"tour"}, args...), &out, &errb, noEnv)
	return code, out.String(), errb.String()
}

// TestTours drives the tour command and the /tours endpoints end to end
// on each store: the real co-ops imported, the graph built from the
// bundled London extract, tours planned, stored, served as JSON and as
// GPX that xmllint validates against the GPX 1.1 schema, and bad input
// refused with the stop named.
func TestTours(t *testing.T) {
	graph := filepath.Join(t.TempDir(), "london.graph")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"graph", "build", "../../demo/london-highways.osm.bz2", "-o", graph}, &out, &errb, noEnv); code != 0 {
		t.Fatalf("graph build: exit %d: %s", code, errb.String())
	}
	for _, s := range searchStores() {
		t.Run(s.name, func(t *testing.T) {
			db := s.db(t)
			if code, out, errs := runImport(t, append(newSource(db), tourCoops)...); code != 0 || !strings.Contains(out, "9 added") {
				t.Fatalf("co-ops: exit %d %s %s", code, out, errs)
			}
			testTourCommand(t, db, graph)
			testTourBadInput(t, db, graph)
			testTourHTTP(t, db, graph)
		})
	}
}

func testTourCommand(t *testing.T, db, graph string) {
	args := []string{"--db", db, "--graph", graph, "--id", "wood-green", "--title", "Wood Green", "--region", "North London",
		"--stops", "coops-uk.R035956;coops-uk.R012327;Bowes Park station@-0.1195,51.6072;coops-uk.R032464;coops-uk.R013219"}
	code, out, errs := runTour(t, append([]string{"create", "--order", "optimize"}, args...)...)
	if code != 0 || !strings.HasPrefix(out, "tour wood-green: created (version 1) in source tours (ODbL-1.0): 5 stops, ") ||
		!strings.Contains(out, "  1. Myddleton Road Community Benefit Society Limited (coops-uk.R035956), ") ||
		!strings.Contains(out, "(named point)") || !strings.Contains(out, "  5. Cavendish Club Limited (coops-uk.R013219), ") {
		t.Fatalf("create: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runTour(t, append([]string{"create", "--order", "optimize"}, args...)...); code != 1 || !strings.Contains(errs, `tour "wood-green" exists (version 1); change it with coopmap tour update`) {
		t.Errorf("second create: exit %d: %s", code, errs)
	}
	if code, out, errs := runTour(t, append([]string{"create", "--order", "optimize", "--replace"}, args...)...); code != 0 || !strings.HasPrefix(out, "tour wood-green: unchanged (version 1)") {
		t.Errorf("create --replace with the same plan: exit %d: %s%s", code, out, errs)
	}
	if code, out, errs := runTour(t, "update", "--db", db, "--graph", graph, "--id", "wood-green", "--title", "Wood Green and Bowes Park"); code != 0 || !strings.HasPrefix(out, "tour wood-green: updated (version 2)") {
		t.Errorf("update: exit %d: %s%s", code, out, errs)
	}
	code, out, errs = runTour(t, "create", "--db", db, "--graph", graph, "--id", "to-delete", "--title", "Short", "--stops", "coops-uk.R035956;coops-uk.R013219")
	if code != 0 {
		t.Fatalf("create: exit %d: %s", code, errs)
	}
	code, out, _ = runTour(t, "list", "--db", db)
	if code != 0 || !strings.Contains(out, "wood-green  tours   Wood Green and Bowes Park") || !strings.Contains(out, "to-delete") {
		t.Errorf("list: exit %d:\n%s", code, out)
	}
	if code, out, errs := runTour(t, "delete", "--db", db, "--id", "to-delete"); code != 0 || out != "tour to-delete: deleted\n" {
		t.Errorf("delete: exit %d: %s%s", code, out, errs)
	}
	if code, _, errs := runTour(t, "delete", "--db", db, "--id", "to-delete"); code != 1 || !strings.Contains(errs, "not_found") {
		t.Errorf("second delete: exit %d: %s", code, errs)
	}
}

func testTourBadInput(t *testing.T, db, graph string) {
	many := strings.Repeat("p@-0.11,51.61;q@-0.12,51.61;", 26)
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no subcommand", nil, 2, "Usage:"},
		{"no id", []string{"create", "--db", db, "--graph", graph}, 2, "--id is required"},
		{"no graph", []string{"create", "--db", db, "--id", "x", "--title", "X", "--stops", "coops-uk.R035956;coops-uk.R013219"}, 1, "--graph: invalid: graph: is required"},
		{"bad graph", []string{"create", "--db", db, "--graph", tourCoops, "--id", "x", "--title", "X", "--stops", "coops-uk.R035956;coops-uk.R013219"}, 1, "--graph: "},
		{"no title", []string{"create", "--db", db, "--graph", graph, "--id", "x", "--stops", "coops-uk.R035956;coops-uk.R013219"}, 1, "--title: invalid: title: is required"},
		{"bad id", []string{"create", "--db", db, "--graph", graph, "--id", "Not A Slug", "--title", "X", "--stops", "coops-uk.R035956;coops-uk.R013219"}, 1, "--id: invalid: id:"},
		{"bad order", []string{"create", "--db", db, "--graph", graph, "--id", "x", "--title", "X", "--order", "random", "--stops", "coops-uk.R035956;coops-uk.R013219"}, 1, `--order: invalid: order: "random" is not keep or optimize`},
		{"unknown record", []string{"create", "--db", db, "--graph", graph, "--id", "x", "--title", "X", "--stops", "coops-uk.R035956;coops-uk.R999"}, 1, `--stops: invalid: stops[1].feature_id: no record "coops-uk.R999" in source "coops-uk"`},
		{"NaN", []string{"create", "--db", db, "--graph", graph, "--id", "x", "--title", "X", "--stops", "coops-uk.R035956;Pub@NaN,51.6"}, 1, `--stops: invalid: stops[1]: "Pub@NaN,51.6": "NaN" is not a finite decimal number`},
		{"off the graph", []string{"create", "--db", db, "--graph", graph, "--id", "x", "--title", "X", "--stops", "coops-uk.R035956;Brighton@-0.14,50.82"}, 1, "--stops: unroutable: stops[1]: -0.140000,50.820000 is more than 300 m from any way"},
		{"too many", []string{"create", "--db", db, "--graph", graph, "--id", "x", "--title", "X", "--stops", many}, 1, "--stops: too_large: stops: 52 stops; a routed tour has at most 50"},
		{"same place", []string{"create", "--db", db, "--graph", graph, "--id", "x", "--title", "X", "--stops", "coops-uk.R037035;coops-uk.R020824"}, 1, "--stops: invalid: stops[1]: the same as stops[0]"},
		{"update missing", []string{"update", "--db", db, "--graph", graph, "--id", "nope"}, 1, `not_found: `},
	} {
		code, out, errs := runTour(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) || out != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d saying %q", c.name, code, out, errs, c.code, c.msg)
		}
	}
	if _, out, _ := runTour(t, "list", "--db", db); strings.Contains(out, "\nx ") {
		t.Errorf("a failed create stored a tour:\n%s", out)
	}
}

// gpxDoc is the part of a GPX file the test reads.
type gpxDoc struct {
	Metadata struct {
		Name      string `xml:"name"`
		Desc      string `xml:"desc"`
		Copyright struct {
			License string `xml:"license"`
		} `xml:"copyright"`
	} `xml:"metadata"`
	Wpts []struct {
		Name string `xml:"name"`
		Desc string `xml:"desc"`
		Link struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Type string `xml:"type"`
	} `xml:"wpt"`
	Rtepts []struct{} `xml:"rte>rtept"`
	Trkpts []struct{} `xml:"trk>trkseg>trkpt"`
}

func testTourHTTP(t *testing.T, db, graph string) {
	base, _, _ := startServer(t, Config{DB: db, Graph: graph, LogFormat: "text", LogLevel: "info"})

	code, ct, m := getJSON(t, base+"/tours")
	list, _ := m["tours"].([]any)
	if code != 200 || ct != "application/json" || len(list) != 1 {
		t.Fatalf("/tours: %d %s %v", code, ct, m)
	}
	if s := list[0].(map[string]any); s["id"] != "wood-green" || s["stops"] != float64(5) || s["licence"].(map[string]any)["id"] != "ODbL-1.0" ||
		!strings.Contains(s["attribution"].(string), "OpenStreetMap") || s["duration_s"].(float64) <= 0 {
		t.Errorf("/tours: %v", s)
	}

	code, _, m = getJSON(t, base+"/tours/wood-green")
	stops, _ := m["stops"].([]any)
	legs, _ := m["legs"].([]any)
	srcs, _ := m["sources"].([]any)
	if code != 200 || m["title"] != "Wood Green and Bowes Park" || len(stops) != 5 || len(legs) != 4 || len(srcs) != 2 || m["route"] == nil {
		t.Fatalf("/tours/wood-green: %d %v", code, m)
	}
	first := stops[0].(map[string]any)
	if first["feature_id"] != "coops-uk.R035956" || first["page"] != base+"/coops/coops-uk.R035956" || first["name"] != "Myddleton Road Community Benefit Society Limited" {
		t.Errorf("first stop %v", first)
	}
	var sum float64
	for _, l := range legs {
		sum += l.(map[string]any)["distance_m"].(float64)
	}
	if d := m["distance_m"].(float64); d < 2000 || d-sum > 1 || sum-d > 1 {
		t.Errorf("distance %v m, legs add up to %v m", d, sum)
	}
	if s := srcs[1].(map[string]any); s["id"] != "coops-uk" || s["role"] != "stops" || s["licence"].(map[string]any)["id"] != "ODC-By-1.0" {
		t.Errorf("stop source %v", s)
	}

	res, err := http.Get(base + "/tours/wood-green.gpx")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/gpx+xml" {
		t.Fatalf("GPX: %d %s %.300s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	file := filepath.Join(t.TempDir(), "wood-green.gpx")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	xmllint := gpkgTool(t, "xmllint")
	if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", "../../testdata/schemas/gpx.xsd", file).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
	var g gpxDoc
	if err := xml.Unmarshal(body, &g); err != nil {
		t.Fatal(err)
	}
	if g.Metadata.Name != "Wood Green and Bowes Park" || g.Metadata.Copyright.License != "https://opendatacommons.org/licenses/odbl/1-0/" ||
		!strings.Contains(g.Metadata.Desc, "Routes © OpenStreetMap contributors") || !strings.Contains(g.Metadata.Desc, "Contains data from Co-operatives UK") {
		t.Errorf("GPX metadata %+v", g.Metadata)
	}
	if len(g.Wpts) != 5 || len(g.Rtepts) != 5 || len(g.Trkpts) < 20 {
		t.Fatalf("GPX has %d waypoints, %d route points, %d track points", len(g.Wpts), len(g.Rtepts), len(g.Trkpts))
	}
	if w := g.Wpts[0]; w.Name != "1. Myddleton Road Community Benefit Society Limited" || w.Link.Href != base+"/coops/coops-uk.R035956" || w.Type != "co-op" || w.Desc == "" {
		t.Errorf("first waypoint %+v", w)
	}
	named := false
	for _, w := range g.Wpts {
		named = named || (strings.HasSuffix(w.Name, ". Bowes Park station") && w.Link.Href == "" && w.Type == "stop")
	}
	if !named {
		t.Errorf("no named-point waypoint for Bowes Park station: %+v", g.Wpts)
	}

	for _, c := range []struct{ path, detail string }{
		{"/tours/nope", `"nope"`},
		{"/tours/nope.gpx", `"nope"`},
		{"/tours/wood-green.kml", "no tour file"},
		{"/tours/Wood%20Green", "no tour"},
		{"/tours/" + strings.Repeat("a", 300) + ".gpx", "no tour"},
	} {
		code, ct, m := getJSON(t, base+c.path)
		if code != 404 || ct != "application/problem+json" || !strings.Contains(fmt.Sprint(m["detail"]), c.detail) {
			t.Errorf("%s: %d %s %v; want a 404 problem saying %q", c.path, code, ct, m, c.detail)
		}
	}
}
