package kml_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/coopmap/coopmap/importers/internal/importertest"
	"github.com/coopmap/coopmap/importers/kml"
)

// FuzzParse checks that no input makes Parse panic or take long, and that
// whatever it emits has a key and a geometry. A KMZ seed lets the fuzzer
// reach the zip path too.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"mymaps.kml", "bad.kml", "multigeometry_discrete.kml", "gxtrack.kml", "polygon.kml", "schema.kml", "latin1.kml", "networklink.kml"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			f.Add(b)
		}
	}
	f.Add(kmz(&testing.T{}, "doc.kml", `<kml><Placemark><Point><coordinates>1,2</coordinates></Point></Placemark></kml>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		importertest.Fuzz(t, kml.Parse, "fuzz.kml", in)
	})
}
