package geojson_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coopmap/coopmap/importers/geojson"
	"github.com/coopmap/coopmap/importers/internal/importertest"
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
		importertest.Fuzz(t, geojson.Parse, "fuzz.geojson", in)
	})
}
