package osm_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/coopmap/coopmap/importers/internal/importertest"
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
		importertest.Fuzz(t, osm.Parse, "fuzz.osm", in)
	})
}
