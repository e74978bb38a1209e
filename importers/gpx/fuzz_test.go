package gpx_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/coopmap/coopmap/importers/gpx"
	"github.com/coopmap/coopmap/importers/internal/importertest"
)

// FuzzParse checks that no input makes Parse panic or take long, and that
// whatever it emits has a key and a geometry.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"gdal.gpx", "bad.gpx", "garmin_extensions.gpx", "strava.gpx", "latin1.gpx", "utf16.gpx", "empty_trk.gpx"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<!DOCTYPE gpx [<!ENTITY a "b">]><gpx/>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		importertest.Fuzz(t, gpx.Parse, "fuzz.gpx", in)
	})
}
