package osm_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coopmap/coopmap/importers/osm"
)

// FuzzParse checks that no input makes Parse panic or take long, whatever
// format it sniffs (XML, bzip2, gzip, PBF), and that whatever it emits
// has a key and a geometry.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"coops.osm", "coops.osm.bz2"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			f.Add(b)
		}
	}
	nodes := []node{{id: 1, lat: 1, lon: 2, tags: []tag{{"name", "A"}, {"shop", "x"}}}, {id: 2, lat: 1, lon: 3}, {id: 3, lat: 2, lon: 3}}
	ways := []way{{id: 9, refs: []int64{1, 2, 3, 1}, tags: []tag{{"name", "W"}, {"building", "yes"}}}}
	f.Add(writePBF(nodes, ways, true, false))
	f.Add(writePBF(nodes, ways, false, false))
	f.Add(writePBF(nodes, ways, true, true))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := &recorder{}
		start := time.Now()
		_ = osm.Parse(context.Background(), bytes.NewReader(in), "fuzz.osm", r)
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
