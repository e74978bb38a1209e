package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coopmap/coopmap/store/postgis"
	"github.com/coopmap/coopmap/store/postgis/postgistest"
	"github.com/coopmap/coopmap/web/webtest"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer = webtest.SyncBuffer

// startServer runs serveWith in the background and returns its base URL,
// a function that stops it and returns serveWith's result, and its log.
func startServer(t *testing.T, c Config) (string, func() error, *syncBuffer) {
	t.Helper()
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() { errc <- serveWith(ctx, c, log, func(a net.Addr) { addrc <- a }) }()
	select {
	case a := <-addrc:
		var once sync.Once
		var stopErr error
		stop := func() error {
			once.Do(func() { cancel(); stopErr = <-errc })
			return stopErr
		}
		t.Cleanup(func() { stop() })
		return "http://" + a.String(), stop, logs
	case err := <-errc:
		cancel()
		t.Fatalf("server did not start: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("server did not start in 30s\n%s", logs)
	}
	return "", nil, nil
}

func get(t *testing.T, u string) (int, http.Header, map[string]any) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("GET %s: body is not JSON: %q", u, body)
	}
	return res.StatusCode, res.Header, m
}

func TestServeGeoPackage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coopmap.gpkg")
	base, stop, logs := startServer(t, Config{DB: path})
	if code, _, m := get(t, base+"/healthz"); code != 200 || m["status"] != "ok" {
		t.Errorf("/healthz = %d %v", code, m)
	}
	if code, _, m := get(t, base+"/readyz"); code != 200 || m["status"] != "ready" {
		t.Errorf("/readyz = %d %v", code, m)
	}
	code, h, m := get(t, base+"/no/such/thing")
	if code != 404 || h.Get("Content-Type") != "application/problem+json" || m["status"] != float64(404) || m["title"] == "" {
		t.Errorf("unknown path = %d %s %v; want a 404 problem document", code, h.Get("Content-Type"), m)
	}
	res, err := http.Post(base+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 405 {
		t.Errorf("POST /healthz = %d; want 405", res.StatusCode)
	}
	if err := stop(); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if !strings.Contains(logs.String(), "stopped") || !strings.Contains(logs.String(), "path=/readyz") {
		t.Errorf("log lacks request and shutdown lines:\n%s", logs)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

// unusedAddr returns a loopback address nothing listens on.
func unusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestServeStartsWhilePostGISIsDown(t *testing.T) {
	dsn := "postgres://coopmap@" + unusedAddr(t) + "/coopmap?sslmode=disable&connect_timeout=2"
	base, stop, _ := startServer(t, Config{DB: dsn})
	if code, _, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d; want 200 while the database is down", code)
	}
	code, h, m := get(t, base+"/readyz")
	if code != 503 || h.Get("Content-Type") != "application/problem+json" || !strings.Contains(m["detail"].(string), "store unavailable") {
		t.Errorf("/readyz = %d %v; want 503 with the reason", code, m)
	}
	if err := stop(); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// TestShutdownLetsRequestsFinish holds a /readyz request in flight (its
// store ping waits on a database that accepts connections but never
// answers) and checks that shutting down answers it before returning.
func TestShutdownLetsRequestsFinish(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns sync.WaitGroup
	accepted := make(chan struct{}, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			conns.Add(1)
			go func() { defer conns.Done(); io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	dsn := "postgres://coopmap@" + ln.Addr().String() + "/coopmap?sslmode=disable"
	base, stop, _ := startServer(t, Config{DB: dsn})
	// The start-up schema check reached the database too; forget it.
	for len(accepted) > 0 {
		<-accepted
	}
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			done <- result{0, err}
			return
		}
		res.Body.Close()
		done <- result{res.StatusCode, nil}
	}()
	select {
	case <-accepted: // the ping is waiting on the silent database
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the database")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	r := <-done
	if r.err != nil || r.code != 503 {
		t.Errorf("in-flight request during shutdown = %d, %v; want its 503 answer", r.code, r.err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

func TestServeRefusesOutdatedSchema(t *testing.T) {
	dsn := postgistest.Schema(t) // empty: no migrations applied
	err := serveWith(context.Background(), Config{DB: dsn, Addr: "127.0.0.1:0"}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if !errors.Is(err, postgis.ErrSchemaVersion) || !strings.Contains(err.Error(), "coopmap migrate") {
		t.Fatalf("serve on an empty schema = %v; want a schema error that says to migrate", err)
	}
	// `coopmap migrate` fixes it; then serve starts and is ready.
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"migrate", "--db", dsn}, &out, &errb, noEnv); code != 0 {
		t.Fatalf("migrate exit %d: %s", code, errb.String())
	}
	base, _, _ := startServer(t, Config{DB: dsn})
	if code, _, m := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz after migrate = %d %v", code, m)
	}
}

// TestServeBecomesReadyWhenPostGISComesUp starts the server against an
// address where nothing listens yet, then puts a proxy to the real
// database there: with --migrate the server migrates and turns ready
// without a restart.
func TestServeBecomesReadyWhenPostGISComesUp(t *testing.T) {
	real := postgistest.Schema(t)
	u, err := url.Parse(real)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	addr := unusedAddr(t)
	u.Host = addr
	base, _, _ := startServer(t, Config{DB: u.String(), Migrate: true})
	if code, _, _ := get(t, base+"/readyz"); code != 503 {
		t.Fatalf("/readyz before the database is up = %d; want 503", code)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("could not take over %s for the proxy: %v", addr, err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				d, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer d.Close()
				go io.Copy(d, c)
				io.Copy(c, d)
			}()
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _, m := get(t, base+"/readyz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d %v 30s after the database came up", code, m)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestCommandLine(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &out, &errb, noEnv); code != 0 || !strings.HasPrefix(out.String(), "coopmap ") {
		t.Errorf("version: %d %q", code, out.String())
	}
	for _, args := range [][]string{{}, {"frobnicate"}, {"serve", "--no-such-flag"}, {"serve", "stray"}, {"migrate", "--db"}} {
		out.Reset()
		errb.Reset()
		if code := run(context.Background(), args, &out, &errb, noEnv); code != 2 || errb.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and an explanation", args, code, errb.String())
		}
	}
	errb.Reset()
	if code := run(context.Background(), []string{"serve", "--log-format", "xml"}, &out, &errb, noEnv); code != 1 || !strings.Contains(errb.String(), "log-format") {
		t.Errorf("bad log format: exit %d, %q", code, errb.String())
	}
	// The environment supplies defaults; flags win.
	env := func(k string) string {
		return map[string]string{"COOPMAP_DB": filepath.Join(t.TempDir(), "env.gpkg")}[k]
	}
	out.Reset()
	if code := run(context.Background(), []string{"migrate"}, &out, &errb, env); code != 0 || !strings.Contains(out.String(), "env.gpkg") {
		t.Errorf("migrate with COOPMAP_DB: %d %q %q", code, out.String(), errb.String())
	}
}

func noEnv(string) string { return "" }
