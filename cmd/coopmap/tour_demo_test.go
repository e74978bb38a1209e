package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coopmap/coopmap"
)

// TestDemoLoad runs demo/load.sh, as make run does, twice into a fresh
// GeoPackage: the first run builds the graph and plans the four demo
// tours at real co-ops; the second changes nothing and leaves the graph
// alone.
func TestDemoLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("imports the whole demo data set")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "coopmap")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	db, graph := filepath.Join(dir, "demo.gpkg"), filepath.Join(dir, "demo.graph")
	load := func() string {
		t.Helper()
		cmd := exec.Command("bash", "demo/load.sh")
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "BIN="+bin, "DB="+db, "GRAPH="+graph)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("demo/load.sh: %v\n%s", err, out)
		}
		return string(out)
	}
	tours := []string{"demo-north", "demo-east", "demo-south", "demo-west"}
	first := load()
	for _, id := range tours {
		if !strings.Contains(first, "tour "+id+": created (version 1) in source tours (ODbL-1.0): ") {
			t.Errorf("first run did not create %s:\n%s", id, first)
		}
	}
	built, err := os.Stat(graph)
	if err != nil || !strings.Contains(first, graph+": london-highways.osm.bz2: ") {
		t.Fatalf("graph: %v\n%s", err, first)
	}

	second := load()
	for _, id := range tours {
		if !strings.Contains(second, "tour "+id+": unchanged (version 1)") {
			t.Errorf("second run changed %s:\n%s", id, second)
		}
	}
	if !strings.Contains(second, "london-cycle-map: 378 read, 378 imported, 0 skipped; 0 added, 0 updated, 378 unchanged, 0 removed") {
		t.Errorf("second run changed the cycle map:\n%s", second)
	}
	if again, err := os.Stat(graph); err != nil || !again.ModTime().Equal(built.ModTime()) || strings.Contains(second, "junctions") {
		t.Errorf("second run rebuilt the graph:\n%s", second)
	}

	st := openTestStore(t, db)
	for _, id := range tours {
		tour, err := st.Tour(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(tour.Stops); n < 4 || n > 8 || len(tour.Legs) != n-1 || tour.DistanceM < 1000 {
			t.Errorf("%s: %d stops, %d legs, %.0f m", id, n, len(tour.Legs), tour.DistanceM)
		}
		for i, s := range tour.Stops {
			if !strings.HasPrefix(s.FeatureID, "coops-uk.") || s.Unresolved || s.Name == "" {
				t.Errorf("%s: stop %d is not a co-op record: %+v", id, i, s)
			}
		}
	}
	src, err := st.Source(context.Background(), "london-cycle-map")
	if err != nil || src.Kind != coopmap.KindFeatures || src.Licence.ID != "ODbL-1.0" || src.FeatureCount != 378 || !strings.Contains(src.Attribution, "OpenStreetMap") {
		t.Errorf("cycle map source %+v, %v", src, err)
	}
}
