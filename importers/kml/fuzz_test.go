package kml_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		r := &recorder{}
		start := time.Now()
		_ = kml.Parse(context.Background(), strings.NewReader(string(in)), "fuzz.kml", r)
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
