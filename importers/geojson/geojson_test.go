package geojson_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers/geojson"
	"github.com/coopmap/coopmap/importers/internal/importertest"
)

func parse(t *testing.T, input string) (*importertest.Recorder, error) {
	t.Helper()
	r := &importertest.Recorder{}
	err := geojson.Parse(context.Background(), strings.NewReader(input), "t.geojson", r)
	return r, err
}

func TestFixture(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("..", "..", "testdata", "geojson", "coops.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	r := &importertest.Recorder{}
	if err := geojson.Parse(context.Background(), bytes.NewReader(in), "coops.geojson", r); err != nil {
		t.Fatal(err)
	}
	if len(r.Features) != 8 || len(r.Problems) != 12 {
		t.Errorf("got %d features and %d problems, want 8 and 12", len(r.Features), len(r.Problems))
	}
	importertest.Golden(t, filepath.Join("..", "..", "testdata", "geojson", "coops.golden"), r.Summary(nil))

	first := r.Features[0]
	if first.ID != "R006884" || first.Name != "Co-operative Group" || first.Website != "https://www.coop.co.uk" || first.Email != "info@coop.co.uk" {
		t.Errorf("first feature: %+v", first)
	}
	if _, ok := first.Properties["name"]; ok {
		t.Error("name was kept in properties after moving to Name")
	}
	if v, ok := first.Properties["members"].(float64); !ok || v != 4600000 {
		t.Errorf("members = %#v, want float64 4600000", first.Properties["members"])
	}
	if r.Features[1].ID != "17" || r.Features[1].Website != "" || r.Features[1].Properties["url"] != "www.example.coop" {
		t.Errorf("numeric id or non-http url mishandled: %+v", r.Features[1])
	}
	if id := r.Features[2].ID; len(id) != 17 || id[0] != 'h' {
		t.Errorf("feature without id got key %q, want h + 16 hex digits", id)
	}
	if r.Wheres[2] != "coops.geojson: features[2]" {
		t.Errorf("where = %q", r.Wheres[2])
	}
	for _, f := range r.Features {
		if f.Precision != coopmap.PrecisionExact {
			t.Errorf("%s: precision %q", f.ID, f.Precision)
		}
	}
}

func TestMemberOrder(t *testing.T) {
	const feature = `{"geometry":{"coordinates":[1,2],"type":"Point"},"properties":{"name":"A"},"type":"Feature","id":"a"}`
	for name, in := range map[string]string{
		"type first":    `{"type":"FeatureCollection","features":[` + feature + `]}`,
		"type last":     `{"features":[` + feature + `],"type":"FeatureCollection"}`,
		"foreign first": `{"crs":{"type":"name","properties":{"name":"x"}},"bbox":[1,2,1,2],"features":[` + feature + `],"type":"FeatureCollection"}`,
	} {
		r, err := parse(t, in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(r.Features) != 1 || r.Features[0].ID != "a" || r.Features[0].Name != "A" || r.Features[0].Geometry != (orb.Point{1, 2}) {
			t.Errorf("%s: got %+v", name, r.Features)
		}
	}
}

func TestSingleFeatureAndGeometry(t *testing.T) {
	r, err := parse(t, `{"properties":{"name":"Solo"},"geometry":{"type":"Point","coordinates":[1,2,3]},"id":"s","type":"Feature"}`)
	if err != nil || len(r.Features) != 1 || r.Wheres[0] != "t.geojson: feature" || r.Features[0].Name != "Solo" {
		t.Fatalf("single feature: %v %+v %v", err, r.Features, r.Wheres)
	}
	r, err = parse(t, `{"coordinates":[[0,0],[1,1]],"type":"LineString"}`)
	if err != nil || len(r.Features) != 1 || r.Wheres[0] != "t.geojson: geometry" {
		t.Fatalf("bare geometry: %v %+v", err, r)
	}
	if _, ok := r.Features[0].Geometry.(orb.LineString); !ok {
		t.Errorf("bare geometry decoded as %T", r.Features[0].Geometry)
	}
	r, err = parse(t, `{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[0,0]}]}`)
	if err != nil || len(r.Features) != 1 {
		t.Fatalf("bare collection: %v %+v", err, r)
	}
	r, err = parse(t, `{"type":"FeatureCollection","features":[]}`)
	if err != nil || len(r.Features)+len(r.Problems) != 0 {
		t.Fatalf("empty collection: %v %+v", err, r)
	}
}

func TestContentKeyStable(t *testing.T) {
	in := `{"type":"FeatureCollection","features":[
		{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"name":"A","x":1}},
		{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"name":"A","x":2}},
		{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2.5]},"properties":{"name":"A"}},
		{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"name":"B"}},
		{"type":"Feature","id":"","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"name":"B"}}]}`
	r, err := parse(t, in)
	if err != nil {
		t.Fatal(err)
	}
	k := func(i int) string { return r.Features[i].ID }
	if k(0) != k(1) {
		t.Error("changing a property changed the derived key")
	}
	if k(0) == k(2) || k(0) == k(3) {
		t.Error("moving or renaming did not change the derived key")
	}
	if k(3) != k(4) {
		t.Error("an empty id is not treated as missing")
	}
	again, _ := parse(t, in)
	if again.Features[0].ID != k(0) {
		t.Error("derived key differs between two parses")
	}
}

func TestErrors(t *testing.T) {
	deep := `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]},"properties":{"a":` +
		strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}}]}`
	for _, c := range []struct {
		name, in string
		code     coopmap.Code
		contains string
	}{
		{"empty", "", coopmap.CodeInvalid, "empty"},
		{"not json", "<kml></kml>", coopmap.CodeInvalid, "not valid JSON"},
		{"array", `[{"type":"Feature"}]`, coopmap.CodeInvalid, "expected a JSON object"},
		{"no type", `{"features":[]}`, coopmap.CodeInvalid, "no type member"},
		{"unknown type", `{"type":"Topology"}`, coopmap.CodeInvalid, "unknown type"},
		{"features not array", `{"type":"FeatureCollection","features":{}}`, coopmap.CodeInvalid, "must be an array"},
		{"features in a Feature", `{"features":[],"type":"Feature"}`, coopmap.CodeInvalid, "has a features member"},
		{"truncated", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Po`, coopmap.CodeInvalid, "truncated"},
		{"truncated after feature", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null}`, coopmap.CodeInvalid, "truncated"},
		{"trailing", `{"type":"FeatureCollection","features":[]} {}`, coopmap.CodeInvalid, "more data"},
		{"deep", deep, coopmap.CodeTooLarge, "deeper than"},
		{"type not string", `{"type":1}`, coopmap.CodeInvalid, "not a string"},
	} {
		_, err := parse(t, c.in)
		if coopmap.ErrorCode(err) != c.code || err == nil || !strings.Contains(err.Error(), c.contains) {
			t.Errorf("%s: got %v, want %s error containing %q", c.name, err, c.code, c.contains)
		}
	}
}

func TestFeatureTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 16 MiB")
	}
	big := `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]}},` +
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]},"properties":{"s":"` + strings.Repeat("x", geojson.MaxFeatureSize+64<<10) + `"}}]}`
	r, err := parse(t, big)
	if !errors.Is(err, coopmap.ErrTooLarge) || !strings.Contains(err.Error(), "features[1]") {
		t.Fatalf("got %v, want a too-large error naming features[1]", err)
	}
	if len(r.Features) != 1 {
		t.Errorf("got %d features before the limit, want 1", len(r.Features))
	}
}

func TestBOM(t *testing.T) {
	r, err := parse(t, "\xef\xbb\xbf"+`{"type":"Point","coordinates":[0,0]}`)
	if err != nil || len(r.Features) != 1 {
		t.Fatalf("got %v %+v", err, r)
	}
}

func TestStop(t *testing.T) {
	in := `{"type":"FeatureCollection","features":[` + strings.Repeat(`{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]}},`, 5) +
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]}}]}`
	r := &importertest.Recorder{StopAfter: 2}
	if err := geojson.Parse(context.Background(), strings.NewReader(in), "t", r); err != importertest.ErrStop {
		t.Errorf("got %v, want the emitter's error unchanged", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := geojson.Parse(ctx, strings.NewReader(in), "t", &importertest.Recorder{}); err != context.Canceled {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
