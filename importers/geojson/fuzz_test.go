package geojson_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coopmap/coopmap/importers/geojson"
)

// FuzzParse checks that no input makes Parse panic or take long, and that
// whatever it emits has a key and a geometry.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "geojson", "coops.geojson")); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		`{"type":"Point","coordinates":[1,2]}`,
		`{"type":"Feature","id":1,"geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[0,0]}]},"properties":{"name":"x"}}`,
		`{"features":[{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}}],"type":"FeatureCollection"}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1e400,0]]}}]}`,
		`{"type":"FeatureCollection","features":[` + strings.Repeat("[", 70),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := &recorder{}
		start := time.Now()
		_ = geojson.Parse(context.Background(), strings.NewReader(string(in)), "fuzz.geojson", r)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v", d)
		}
		for i, feat := range r.features {
			if feat.ID == "" || feat.Geometry == nil || r.wheres[i] == "" {
				t.Fatalf("emitted a feature without key, geometry or where: %+v %q", feat, r.wheres[i])
			}
		}
	})
}
