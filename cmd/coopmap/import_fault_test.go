package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"

	"github.com/coopmap/coopmap/store/sqlite"
)

// TestFaultGeoPackageUnwritable imports a replacement of a 12,000-feature
// source into a GeoPackage that cannot take it: a read-only file, a file
// in a read-only directory, a file size limit (RLIMIT_FSIZE, which works
// without privileges), and a full filesystem (a small tmpfs, when the test
// may mount one). Each import must fail with an error that says why, and
// leave the GeoPackage exactly as it was: PRAGMA integrity_check ok and
// the same dump as before.
//
// Root ignores file permissions, so as root the read-only cases run the
// import as the user nobody.
func TestFaultGeoPackageUnwritable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildTool(t, ".", dir)
	versions := [2]string{filepath.Join(dir, "a.geojson"), filepath.Join(dir, "b.geojson")}
	for i, name := range versions {
		writeKillInput(t, name, "ab"[i:i+1])
	}
	base := filepath.Join(dir, "base.gpkg")
	if out, err := exec.Command(bin, killImportArgs(base, versions[0])...).CombinedOutput(); err != nil {
		t.Fatalf("first import: %v\n%s", err, out)
	}
	want := dumpFile(t, base)
	data, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	// place copies the GeoPackage into a fresh directory.
	place := func(t *testing.T, parent string) string {
		d, err := os.MkdirTemp(parent, "case")
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(d, "coopmap.gpkg")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	asRoot := os.Geteuid() == 0
	if asRoot {
		// nobody must reach the binary, the inputs and the copies.
		for d := dir; d != filepath.Dir(d) && d != os.TempDir(); d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name  string
		setup func(t *testing.T) (db string, cmd *exec.Cmd)
		msg   string // what the error must say
	}{
		{"read-only file", func(t *testing.T) (string, *exec.Cmd) {
			db := place(t, dir)
			os.Chmod(filepath.Dir(db), 0o777)
			os.Chmod(db, 0o444)
			return db, asUser(exec.Command(bin, killImportArgs(db, versions[1])...), asRoot)
		}, `(?i)read-?only|permission denied`},
		{"read-only directory", func(t *testing.T) (string, *exec.Cmd) {
			db := place(t, dir)
			os.Chmod(db, 0o666)
			os.Chmod(filepath.Dir(db), 0o555)
			t.Cleanup(func() { os.Chmod(filepath.Dir(db), 0o755) })
			return db, asUser(exec.Command(bin, killImportArgs(db, versions[1])...), asRoot)
		}, `(?i)read-?only|permission denied|unable to open`},
		{"file size limit", func(t *testing.T) (string, *exec.Cmd) {
			db := place(t, dir)
			// No file may grow past 256 KiB (ulimit -f counts 512-byte
			// blocks in sh): the GeoPackage is larger already and may be
			// rewritten in place, but the write-ahead log of the
			// replacement needs more.
			blocks := 256 << 10 / 512
			args := append([]string{"-c", `ulimit -f "$0" && exec "$@"`, strconv.Itoa(blocks), bin}, killImportArgs(db, versions[1])...)
			return db, exec.Command("sh", args...)
		}, `(?i)disk is full|too large|disk I/O error`},
		{"full filesystem", func(t *testing.T) (string, *exec.Cmd) {
			mnt := filepath.Join(t.TempDir(), "mnt")
			os.Mkdir(mnt, 0o755)
			size := len(data) + 256<<10
			if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size="+strconv.Itoa(size)); err != nil {
				t.Skipf("cannot mount a tmpfs here (%v); the file size limit case stands in for it", err)
			}
			t.Cleanup(func() { syscall.Unmount(mnt, 0) })
			db := place(t, mnt)
			return db, exec.Command(bin, killImportArgs(db, versions[1])...)
		}, `(?i)disk is full|no space`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, cmd := c.setup(t)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stderr, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("import into an unwritable GeoPackage: %v; want exit status 1\n%s", err, stderr.String())
			}
			if !regexp.MustCompile(c.msg).Match(stderr.Bytes()) {
				t.Errorf("error %q does not say why (want %s)", stderr.String(), c.msg)
			}
			t.Logf("import failed as it should: %s", bytes.TrimSpace(stderr.Bytes()))
			checkIntegrity(t, db)
			if got := dumpFile(t, db); got != want {
				t.Errorf("the GeoPackage changed although the import failed")
			}
		})
	}
}

// killImportArgs are the arguments of an import of file as source big
// (the kill test's input).
func killImportArgs(db, file string) []string {
	return []string{"import", "--db", db, "--source", "big", "--licence", "CC0-1.0", "--attribution", "coopmap fault test",
		"--progress", "never", "--show", "0", file}
}

// asUser makes cmd run as nobody when root is set.
func asUser(cmd *exec.Cmd, root bool) *exec.Cmd {
	if root {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	return cmd
}

// dumpFile dumps the GeoPackage at path (see dump).
func dumpFile(t *testing.T, path string) string {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return dump(t, st)
}
