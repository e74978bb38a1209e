package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/postgis"
	"github.com/coopmap/coopmap/store/postgis/postgistest"
)

// TestEnvConfigPrecedence checks flag, then COOPMAP_* variable, then
// default, for flags of every kind.
func TestEnvConfigPrecedence(t *testing.T) {
	env := map[string]string{
		"COOPMAP_MAX_INFLIGHT":      "7",
		"COOPMAP_REQUEST_TIMEOUT":   "12s",
		"COOPMAP_LOG_CLIENT_ADDR":   "yes",
		"COOPMAP_FRAME_ANCESTORS":   "'self'",
		"COOPMAP_RATE_SEARCH":       "99",
		"COOPMAP_ADDR":              "127.0.0.1:9999",
		"COOPMAP_TILE_EMBEDDED":     "on",
		"COOPMAP_STATEMENT_TIMEOUT": "",
	}
	getenv := func(k string) string { return env[k] }
	var stderr bytes.Buffer
	c, err := serveConfig([]string{"--max-inflight", "3", "--addr", "127.0.0.1:1234"}, &stderr, getenv)
	if err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	for _, x := range []struct {
		name      string
		got, want any
	}{
		{"flag beats env: max-inflight", c.Limits.MaxInflight, 3},
		{"flag beats env: addr", c.Addr, "127.0.0.1:1234"},
		{"env beats default: request-timeout", c.Limits.RequestTimeout, 12 * time.Second},
		{"env beats default: log-client-addr", c.LogClientAddr, true},
		{"env beats default: tile-embedded", c.TileEmbedded, true},
		{"env beats default: frame-ancestors", c.FrameAncestors, "'self'"},
		{"env beats default: rate-search", c.Limits.SearchRate, 99},
		{"empty env is unset: statement-timeout", c.StatementTimeout, 30 * time.Second},
		{"default: max-header-bytes", c.HTTP.MaxHeaderBytes, 64 << 10},
		{"default: read-header-timeout", c.HTTP.ReadHeaderTimeout, 10 * time.Second},
	} {
		if x.got != x.want {
			t.Errorf("%s = %v; want %v", x.name, x.got, x.want)
		}
	}
}

// TestEnvConfigErrors checks that a bad value in the environment, or a
// bad combination, is refused with a message naming it.
func TestEnvConfigErrors(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"COOPMAP_MAX_INFLIGHT": "lots"}, nil, "COOPMAP_MAX_INFLIGHT"},
		{map[string]string{"COOPMAP_MIGRATE": "perhaps"}, nil, "COOPMAP_MIGRATE"},
		{nil, []string{"--read-db", "postgres://x@127.0.0.1/x"}, "--read-db needs PostGIS"},
		{nil, []string{"--frame-ancestors", "*; script-src *"}, "--frame-ancestors"},
		{nil, []string{"--write-timeout", "10s", "--request-timeout", "30s"}, "--write-timeout"},
		{nil, []string{"--rate-tiles", "-1"}, "--rate-tiles"},
	} {
		var stderr bytes.Buffer
		_, err := serveConfig(c.args, &stderr, func(k string) string { return c.env[k] })
		if err == nil || !strings.Contains(err.Error()+stderr.String(), c.want) {
			t.Errorf("%v %v: %v %q; want an error naming %s", c.env, c.args, err, stderr.String(), c.want)
		}
	}
}

// TestServeHelpNamesEnv checks that `coopmap serve -h` names every
// flag's variable.
func TestServeHelpNamesEnv(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"serve", "-h"}, &out, &errb, noEnv); code != 0 {
		t.Fatalf("serve -h: exit %d", code)
	}
	fs := serveFlags(io.Discard, noEnv, &Config{})
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(errb.String(), "-"+f.Name+" ") && !strings.Contains(errb.String(), "-"+f.Name+"\n") {
			t.Errorf("serve -h lacks -%s", f.Name)
		}
		if !strings.Contains(errb.String(), "(env "+envName(f.Name)+")") {
			t.Errorf("serve -h does not name %s", envName(f.Name))
		}
	})
}

// TestREADMEConfiguration keeps the README's configuration table equal to
// serve's flags; -update rewrites it.
func TestREADMEConfiguration(t *testing.T) {
	const begin, end = "<!-- serve flags: begin -->\n", "<!-- serve flags: end -->\n"
	path := filepath.Join("..", "..", "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, rest, ok1 := strings.Cut(string(readme), begin)
	old, tail, ok2 := strings.Cut(rest, end)
	if !ok1 || !ok2 {
		t.Fatalf("README.md has no %q … %q section", begin, end)
	}
	fs := serveFlags(io.Discard, noEnv, &Config{})
	applyEnv(fs, noEnv) // names the variables in the help
	var b strings.Builder
	b.WriteString("| flag | env | default | meaning |\n|---|---|---|---|\n")
	fs.VisitAll(func(f *flag.Flag) {
		def := f.DefValue
		switch {
		case def == "" || def == "0" && strings.Contains(f.Usage, "0: "):
			def = "none"
		case def == "false":
			def = "off"
		}
		usage, _, _ := strings.Cut(f.Usage, " (env ")
		usage = strings.ReplaceAll(usage, "|", `\|`)
		fmt.Fprintf(&b, "| `--%s` | `%s` | `%s` | %s |\n", f.Name, envName(f.Name), strings.ReplaceAll(def, "|", `\|`), usage)
	})
	if b.String() == old {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(head+begin+b.String()+end+tail), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's configuration table is out of date; run go test ./cmd/coopmap -run TestREADMEConfiguration -update")
}

// TestLogFormatAuto checks that auto logs JSON when stderr is no
// terminal.
func TestLogFormatAuto(t *testing.T) {
	var b bytes.Buffer
	log, err := newLogger(&b, "auto", "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hello", "k", "v")
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil || m["msg"] != "hello" {
		t.Errorf("auto on a buffer wrote %q; want a JSON line", b.String())
	}
}

// serveDefaults is serve's configuration from its defaults, on a fresh
// GeoPackage and a free port.
func serveDefaults(t *testing.T, args ...string) Config {
	t.Helper()
	c, err := serveConfig(append([]string{"--db", filepath.Join(t.TempDir(), "ops.gpkg"), "--addr", "127.0.0.1:0"}, args...), io.Discard, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSlowHeadersCutOff is a slowloris client: it sends a header line
// every 100 ms and never finishes. The server must close the connection
// (ReadHeaderTimeout, here 500 ms) rather than wait for it.
func TestSlowHeadersCutOff(t *testing.T) {
	base, _, _ := startServer(t, serveDefaults(t, "--read-header-timeout", "500ms"))
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	closed := make(chan error, 1)
	go func() {
		// Whatever the server sends (nothing, or a 408), the read
		// ends when it closes the connection.
		_, err := io.Copy(io.Discard, conn)
		closed <- err
	}()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	// A bound so a broken server fails the test instead of hanging it;
	// the server should cut the client off long before.
	limit := time.After(30 * time.Second)
	for i := 0; ; i++ {
		select {
		case <-closed:
			return
		case <-limit:
			t.Fatal("the server kept a client that never finished its headers")
		case <-tick.C:
			// Writes may fail once the server has closed; the read
			// above then reports it.
			fmt.Fprintf(conn, "X-Slow-%d: y\r\n", i)
		}
	}
}

// TestHugeHeader sends a 1 MiB header: the answer is 431, and the server
// goes on serving.
func TestHugeHeader(t *testing.T) {
	base, _, _ := startServer(t, serveDefaults(t))
	req, _ := http.NewRequest(http.MethodGet, base+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 1<<20))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// The server may close before the client has sent it all.
		if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") && !strings.Contains(err.Error(), "broken pipe") {
			t.Fatal(err)
		}
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("1 MiB header: %d; want 431", resp.StatusCode)
		}
	}
	// Over a raw connection the status line is certain.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 1<<20))
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 431") {
		t.Errorf("raw 1 MiB header: %q %v; want HTTP/1.1 431", line, err)
	}
	if code, _, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz after: %d", code)
	}
}

// TestServeReadReplica serves with --read-db pointing at a second
// database (a schema on the same server) that does not replicate: a
// source written to the primary is not listed, as reads go to the
// replica, and /metrics reports both pools.
func TestServeReadReplica(t *testing.T) {
	ctx := context.Background()
	primaryDSN, replicaDSN := postgistest.Schema(t), postgistest.Schema(t)
	for _, dsn := range []string{primaryDSN, replicaDSN} {
		st, err := postgis.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
	for dsn, id := range map[string]string{primaryDSN: "only-on-primary", replicaDSN: "only-on-replica"} {
		st, err := postgis.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		src := coopmap.Source{ID: id, Title: id, Kind: coopmap.KindCoops, Licence: coopmap.Licence{ID: "CC0-1.0"}, Attribution: "test"}
		if _, err := st.ReplaceSource(ctx, src, func(func(coopmap.Feature, error) bool) {}); err != nil {
			t.Fatal(err)
		}
		st.Close()
	}

	c := serveDefaults(t, "--db", primaryDSN, "--read-db", replicaDSN)
	base, _, _ := startServer(t, c)
	if code, _, m := get(t, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d %v", code, m)
	}
	_, _, m := get(t, base+"/collections?f=json")
	if cols, _ := json.Marshal(m["collections"]); strings.Contains(string(cols), "only-on-primary") || !strings.Contains(string(cols), "only-on-replica") {
		t.Errorf("/collections = %s; want the replica's source only: reads come from --read-db", cols)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, pool := range []string{`pool="primary"`, `pool="replica"`} {
		if !strings.Contains(string(b), "coopmap_db_pool_max_connections{"+pool+"}") {
			t.Errorf("/metrics has no %s pool", pool)
		}
	}
}
