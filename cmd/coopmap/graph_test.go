package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coopmap/coopmap/route"
)

func TestGraphBuild(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "ladders.graph")
	var stdout, stderr bytes.Buffer
	// The extract before the flags, as the usage shows it.
	if code := run(context.Background(), []string{"graph", "build", "../../testdata/route/ladders.osm", "-o", out}, &stdout, &stderr, noEnv); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "junctions") || !strings.Contains(stderr.String(), "highway=motorway is closed to bikes") || !strings.Contains(stderr.String(), "not in the file") {
		t.Errorf("stdout %q\nstderr %q", stdout.String(), stderr.String())
	}
	g, err := route.LoadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if g.NumEdges() == 0 {
		t.Errorf("graph %s", g)
	}

	// serve --graph answers /route; COOPMAP_GRAPH is the same flag.
	base, _, _ := startServer(t, Config{DB: filepath.Join(dir, "serve.gpkg"), Graph: out, LogFormat: "text", LogLevel: "info"})
	status, _, doc := get(t, base+"/route?points=0,51.5;0.005,51.5")
	if status != http.StatusOK || doc["type"] != "FeatureCollection" {
		t.Errorf("/route: %d %v", status, doc)
	}

	for _, c := range []struct {
		name string
		args []string
		code int
	}{
		{"no -o", []string{"graph", "build", "../../testdata/route/ladders.osm"}, 2},
		{"no extract", []string{"graph", "build", "-o", out}, 2},
		{"unknown subcommand", []string{"graph", "draw"}, 2},
		{"truncated extract", []string{"graph", "build", "-o", filepath.Join(dir, "bad.graph"), "../../testdata/bad/osm-truncated.osm"}, 1},
		{"missing extract", []string{"graph", "build", "-o", filepath.Join(dir, "bad.graph"), filepath.Join(dir, "none.osm")}, 1},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), c.args, &stdout, &stderr, noEnv); code != c.code || stderr.Len() == 0 {
			t.Errorf("%s: exit %d, want %d; stderr %q", c.name, code, c.code, stderr.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.graph")); !os.IsNotExist(err) {
		t.Errorf("a failed build left a file: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}

	// A corrupt graph stops serve from starting.
	bad := filepath.Join(dir, "corrupt.graph")
	os.WriteFile(bad, []byte("COOPGRPH nonsense"), 0o644)
	if err := serveWith(context.Background(), Config{DB: filepath.Join(dir, "x.gpkg"), Graph: bad, Addr: "127.0.0.1:0"}, slog.New(slog.DiscardHandler), nil); err == nil || !strings.Contains(err.Error(), "--graph") {
		t.Errorf("corrupt graph: %v", err)
	}
}
