package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/sqlite"
)

// TestBackup backs up a GeoPackage while an import replaces its data:
// every backup is a whole GeoPackage that passes PRAGMA integrity_check,
// that ogrinfo opens, and that holds exactly the old or the new data; the
// quiet one equals the original.
func TestBackup(t *testing.T) {
	dir := t.TempDir()
	versions := [2]string{filepath.Join(dir, "a.geojson"), filepath.Join(dir, "b.geojson")}
	for i, name := range versions {
		writeKillInput(t, name, "ab"[i:i+1])
	}
	// The imports and backups run in the real binary: under the race
	// detector in-process SQLite writes are many times slower.
	bin := buildTool(t, ".", dir)
	db := filepath.Join(dir, "live.gpkg")
	ctx := context.Background()
	if out, err := exec.Command(bin, killImportArgs(db, versions[0])...).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	backup := func(out string) string {
		b, err := exec.Command(bin, "backup", "--db", db, out).CombinedOutput()
		if err != nil {
			t.Fatalf("backup: %v\n%s", err, b)
		}
		return string(b)
	}

	quiet := filepath.Join(dir, "quiet.gpkg")
	if out := backup(quiet); !strings.Contains(out, "backed up to "+quiet) {
		t.Errorf("backup printed %q", out)
	}
	if dumpFile(t, quiet) != dumpFile(t, db) {
		t.Error("the backup differs from the original")
	}
	if info := ogrinfo(t, "-so", quiet, "features"); !strings.Contains(info, "Feature Count: 12000") {
		t.Errorf("ogrinfo on the backup:\n%s", info)
	}

	// Backups while an import replaces the data.
	done := make(chan error, 1)
	go func() { done <- exec.Command(bin, killImportArgs(db, versions[1])...).Run() }()
	seen := [2]int{}
	for i := 0; ; i++ {
		name := filepath.Join(dir, "during-"+strconv.Itoa(i)+".gpkg")
		backup(name)
		checkIntegrity(t, name)
		v := storedVersion(t, func() coopmap.Store {
			st, err := sqlite.Open(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}, i)
		seen[v]++
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("the import during backups failed: %v", err)
			}
			t.Logf("%d backups during the import: %d held the old data, %d the new", i+1, seen[0], seen[1])
			return
		default:
		}
		if i == 50 {
			t.Fatal("the import did not finish in 50 backups")
		}
	}
}

func TestBackupRefuses(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db.gpkg")
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	notGpkg := filepath.Join(dir, "notes.txt")
	os.WriteFile(notGpkg, []byte("not a database"), 0o644)
	exists := filepath.Join(dir, "exists.gpkg")
	os.WriteFile(exists, []byte("keep me"), 0o644)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"backup", "--db", db}, 2, "usage"},
		{[]string{"backup", "--db", db, exists}, 1, "exists"},
		{[]string{"backup", "--db", filepath.Join(dir, "missing.gpkg"), filepath.Join(dir, "out.gpkg")}, 1, "no such file"},
		{[]string{"backup", "--db", notGpkg, filepath.Join(dir, "out.gpkg")}, 1, "backup"},
		{[]string{"backup", "--db", "postgres://u:secret@127.0.0.1:1/db", filepath.Join(dir, "out.gpkg")}, 1, "pg_dump"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), c.args, &out, &errb, noEnv)
		if code != c.code || !strings.Contains(errb.String(), c.msg) || strings.Contains(errb.String(), "secret") {
			t.Errorf("%q: exit %d, %q; want %d and %q", c.args, code, errb.String(), c.code, c.msg)
		}
	}
	if b, _ := os.ReadFile(exists); string(b) != "keep me" {
		t.Error("backup overwrote an existing file")
	}
	if _, err := os.Stat(filepath.Join(dir, "out.gpkg")); err == nil {
		t.Error("a failed backup left its output")
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.gpkg")); err == nil {
		t.Error("backing up a missing file created it")
	}
}
