package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/postgis"
	"github.com/coopmap/coopmap/store/postgis/postgistest"
	"github.com/coopmap/coopmap/store/sqlite"
)

// killFeatures is the size of the inputs the kill test imports: large
// enough that an import takes a while, so kills land in the middle.
const killFeatures = 12_000

// killRounds returns how many times each store's import is killed:
// COOPMAP_KILL_ROUNDS, or 6. A soak run sets it high:
//
//	COOPMAP_KILL_ROUNDS=200 go test -run TestImportKill -timeout 2h ./cmd/coopmap
func killRounds(t *testing.T) int {
	if s := os.Getenv("COOPMAP_KILL_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("COOPMAP_KILL_ROUNDS=%q: want a positive number", s)
		}
		return n
	}
	return 6
}

// TestImportKill starts the real coopmap binary importing a large
// GeoJSON over an existing source, kills it with SIGKILL at a random
// moment, and checks that the store then holds exactly the old or exactly
// the new contents, never a mix, and (for the GeoPackage) passes
// PRAGMA integrity_check. Each round imports the other version, so every
// kill lands on a real replacement.
func TestImportKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary many times")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "coopmap")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	versions := [2]string{filepath.Join(dir, "a.geojson"), filepath.Join(dir, "b.geojson")}
	for i, name := range versions {
		writeKillInput(t, name, "abcdefghij"[i:i+1])
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("COOPMAP_KILL_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (set COOPMAP_KILL_SEED to repeat)", seed)

	t.Run("GeoPackage", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "kill.gpkg")
		killLoop(t, bin, db, versions, rand.New(rand.NewPCG(seed, 1)), func() {
			checkIntegrity(t, db)
		}, func() coopmap.Store {
			st, err := sqlite.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			return st
		})
	})
	t.Run("PostGIS", func(t *testing.T) {
		dsn := postgistest.Schema(t)
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"migrate", "--db", dsn}, &out, &errb, noEnv); code != 0 {
			t.Fatalf("migrate: exit %d: %s", code, errb.String())
		}
		killLoop(t, bin, dsn, versions, rand.New(rand.NewPCG(seed, 2)), func() {}, func() coopmap.Store {
			st, err := postgis.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			return st
		})
	})
}

// writeKillInput writes killFeatures points whose names all start with
// tag, with the same ids in every version.
func writeKillInput(t *testing.T, name, tag string) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range killFeatures {
		if i > 0 {
			w.WriteByte(',')
		}
		off := float64(tag[0]-'a') * 1e-4
		fmt.Fprintf(w, `{"type":"Feature","id":"f%d","geometry":{"type":"Point","coordinates":[%.5f,%.5f]},"properties":{"name":"%s %d","note":"version %s of the kill-test data"}}`,
			i, -0.5+float64(i%400)*0.002+off, 51.3+float64(i/400)*0.004, tag, i, tag)
	}
	w.WriteString("]}\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// killLoop imports version 0 to completion, then repeatedly starts an
// import of the other version and kills it after a random delay between
// nothing and half as long again as the first import took, checking the
// store after each kill.
func killLoop(t *testing.T, bin, db string, versions [2]string, rng *rand.Rand, integrity func(), open func() coopmap.Store) {
	args := func(file string) []string {
		return []string{"import", "--db", db, "--source", "big", "--licence", "CC0-1.0", "--attribution", "coopmap kill test",
			"--progress", "never", "--show", "0", file}
	}
	start := time.Now()
	if out, err := exec.Command(bin, args(versions[0])...).CombinedOutput(); err != nil {
		t.Fatalf("first import: %v\n%s", err, out)
	}
	full := time.Since(start)
	t.Logf("a full import of %d features takes %v", killFeatures, full.Round(time.Millisecond))
	current := 0 // the version stored
	kept, committed := 0, 0
	for round := range killRounds(t) {
		next := 1 - current
		cmd := exec.Command(bin, args(versions[next])...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// A replacement takes longer than the first import, which only
		// adds: up to 3/2 of it lands both mid-import and after commits.
		delay := time.Duration(rng.Int64N(int64(full) * 3 / 2))
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		what := fmt.Sprintf("killed after %v", delay.Round(time.Millisecond))
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: the import failed before it was killed: %v\n%s", round, err, out.String())
			}
			what = "finished before the kill"
		case <-time.After(delay):
			cmd.Process.Kill() // SIGKILL: no deferred code, no rollback by the process
			<-done
		}
		integrity()
		got := storedVersion(t, open, round)
		if got == current {
			kept++
		} else {
			current = next
			committed++
		}
		t.Logf("round %d: %s: the store holds version %c", round, what, "ab"[got])
	}
	t.Logf("%d rounds kept the old data, %d had committed the new", kept, committed)
}

// storedVersion checks that source big holds exactly one version's
// features, all killFeatures of them, and returns which.
func storedVersion(t *testing.T, open func() coopmap.Store, round int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st := open()
	defer st.Close()
	src, err := st.Source(ctx, "big")
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	var counts [2]int
	n := 0
	for f, err := range st.SourceFeatures(ctx, "big") {
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		n++
		v := strings.IndexByte("ab", f.Name[0])
		if v < 0 || f.Properties["note"] != "version "+f.Name[:1]+" of the kill-test data" {
			t.Fatalf("round %d: feature %s is neither version: %+v", round, f.ID, f)
		}
		counts[v]++
	}
	switch {
	case n != killFeatures || src.FeatureCount != killFeatures:
		t.Fatalf("round %d: %d features stored (source says %d); want %d", round, n, src.FeatureCount, killFeatures)
	case counts[0] > 0 && counts[1] > 0:
		t.Fatalf("round %d: a mix of versions: %d of a, %d of b", round, counts[0], counts[1])
	case counts[0] > 0:
		return 0
	}
	return 1
}

// checkIntegrity runs SQLite's own consistency check on the GeoPackage.
func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || lines[0] != "ok" {
		t.Fatalf("PRAGMA integrity_check: %v", lines)
	}
}
