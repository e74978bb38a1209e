package osm_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coopmap/coopmap/importers/osm"
)

// readAll streams a file through osm.Read and summarises what it saw.
func readAll(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var nodes, ways, refs, rels, members, tagged int
	var restriction string
	err = osm.Read(context.Background(), f, osm.Handler{
		Node: func(n osm.Node) error {
			nodes++
			if len(n.Tags) > 0 {
				tagged++
			}
			return nil
		},
		Way: func(w osm.Way) error {
			ways++
			refs += len(w.Refs)
			return nil
		},
		Relation: func(r osm.Relation) error {
			rels++
			members += len(r.Members)
			if r.Tags["type"] == "restriction" && restriction == "" {
				restriction = fmt.Sprintf("relation/%d %s %v", r.ID, r.Tags["restriction"], r.Members)
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d nodes (%d tagged), %d ways (%d refs), %d relations (%d members); first restriction %s", nodes, tagged, ways, refs, rels, members, restriction)
}

// TestRead checks that XML and PBF stream the same objects, relations
// included.
func TestRead(t *testing.T) {
	x := readAll(t, "andorra-la-vella.osm.bz2")
	p := readAll(t, "andorra-la-vella.osm.pbf")
	if x != p {
		t.Errorf("XML: %s\nPBF: %s", x, p)
	}
	if !strings.Contains(x, "3562 nodes") || !strings.Contains(x, "12 relations") || !strings.Contains(x, "{way") {
		t.Errorf("andorra: %s", x)
	}
}

// TestReadSkips checks that a nil handler function skips that kind.
func TestReadSkips(t *testing.T) {
	f, err := os.Open(filepath.Join(dir, "andorra-la-vella.osm.pbf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ways := 0
	if err := osm.Read(context.Background(), f, osm.Handler{Way: func(osm.Way) error { ways++; return nil }}); err != nil || ways != 297 {
		t.Errorf("%d ways, %v", ways, err)
	}
}
