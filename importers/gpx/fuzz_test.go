package gpx_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coopmap/coopmap/importers/gpx"
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
		r := &recorder{}
		start := time.Now()
		_ = gpx.Parse(context.Background(), strings.NewReader(string(in)), "fuzz.gpx", r)
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
