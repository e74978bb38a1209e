package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Helpers of the fault tests (serve_fault_test.go, import_fault_test.go):
// real binaries, a real PostGIS cluster the test may stop and start, and
// bench/loadgen for load. docs/RELIABILITY.md records what they measure.

// buildTool builds the main package at pkg (relative to this directory)
// into dir and returns the binary's path.
func buildTool(t *testing.T, pkg, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, filepath.Base(pkg))
	if pkg == "." {
		bin = filepath.Join(dir, "coopmap")
	}
	build := exec.Command("go", "build", "-o", bin, pkg)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// cluster is a PostGIS cluster of the test's own, started by
// scripts/pg.sh, which the test can stop and start again on the same port
// (the shared test database cannot be: other packages' tests use it).
type cluster struct {
	dsn, dir string
}

// pgScript is scripts/pg.sh, from this directory.
const pgScript = "../../scripts/pg.sh"

// startCluster starts a throwaway cluster, removed when t ends. Without
// PostgreSQL installed it skips t, or fails it when CI is set.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	if _, err := os.Stat("/usr/lib/postgresql/15/bin/initdb"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL 15 is not installed (scripts/deps.sh test installs it): %v", err)
		}
		t.Skipf("PostgreSQL 15 is not installed: %v", err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(pgScript, "start")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pg.sh start: %v\n%s", err, stderr.String())
	}
	m := regexp.MustCompile(`COOPMAP_TEST_POSTGRES='([^']+)' COOPMAP_PG_DIR='([^']+)'`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("pg.sh start printed %q", out)
	}
	c := &cluster{dsn: string(m[1]), dir: string(m[2])}
	t.Cleanup(func() { exec.Command(pgScript, "stop", c.dir).Run() })
	return c
}

// pg runs pg.sh down or up on the cluster.
func (c *cluster) pg(t *testing.T, what string) {
	t.Helper()
	if out, err := exec.Command(pgScript, what, c.dir).CombinedOutput(); err != nil {
		t.Fatalf("pg.sh %s: %v\n%s", what, err, out)
	}
}

// demoImport imports the bundled Co-operatives UK data into db as source
// coops-uk, in-process.
func demoImport(t *testing.T, db string) {
	t.Helper()
	var out, errb bytes.Buffer
	args := []string{"import", "--db", db, "--source", "coops-uk", "--kind", "coops", "--licence", "ODC-By-1.0",
		"--attribution", "Contains data from Co-operatives UK (ODC-By 1.0)", "--show", "0", "--progress", "never",
		"../../demo/coops-uk-Q2-2023.csv"}
	if code := run(context.Background(), args, &out, &errb, noEnv); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out.String(), errb.String())
	}
}

// proc is a coopmap serve process.
type proc struct {
	cmd    *exec.Cmd
	base   string
	logs   *syncBuffer
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
}

// startProc starts bin serve with args on a free loopback port and waits
// until /healthz answers; it is killed when t ends if still running.
func startProc(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	addr := unusedAddr(t)
	p := &proc{base: "http://" + addr, logs: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", addr, "--log-format", "json"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	// All the load comes from one address: no per-client rate limits.
	p.cmd.Env = append(os.Environ(), "COOPMAP_RATE_SEARCH=0", "COOPMAP_RATE_ROUTE=0", "COOPMAP_RATE_TILES=0", "COOPMAP_RATE_DOWNLOAD=0")
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := status(p.base + "/healthz"); code == http.StatusOK {
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("coopmap serve exited at start: %v\n%s", p.err, p.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("coopmap serve did not answer /healthz in 30s\n%s", p.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alive fails t if the process has exited.
func (p *proc) alive(t *testing.T) {
	t.Helper()
	select {
	case <-p.exited:
		t.Fatalf("coopmap serve died: %v\n%s", p.err, p.logs)
	default:
	}
}

// stopWith sends sig and returns how long the process took to exit, failing
// t if it is still running after limit.
func (p *proc) stopWith(t *testing.T, sig syscall.Signal, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		return time.Since(start)
	case <-time.After(limit):
		t.Fatalf("coopmap serve still running %v after %v\n%s", limit, sig, p.logs)
	}
	return 0
}

// status GETs u and returns the status and the Retry-After header; 0 for
// a transport error.
func status(u string) (int, string) {
	c := http.Client{Timeout: 10 * time.Second}
	res, err := c.Get(u)
	if err != nil {
		return 0, ""
	}
	defer res.Body.Close()
	var sink bytes.Buffer
	sink.ReadFrom(res.Body)
	return res.StatusCode, res.Header.Get("Retry-After")
}

// waitStatus polls u every 100ms until it answers want, and returns how
// long that took; it fails t after limit.
func waitStatus(t *testing.T, u string, want int, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		code, _ := status(u)
		if code == want {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s still %d after %v; want %d", u, code, limit, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// loadResult is the part of bench/loadgen's JSON the tests read.
type loadResult struct {
	Sent        int            `json:"sent"`
	Statuses    map[string]int `json:"statuses"`
	Errors      map[string]int `json:"errors"`
	ErrorSample []string       `json:"error_sample"`
	Latency     struct {
		P50 float64 `json:"p50"`
		P99 float64 `json:"p99"`
		Max float64 `json:"max"`
	} `json:"latency_ms"`
	Timeline []struct {
		T        int            `json:"t"`
		N        int            `json:"n"`
		Statuses map[string]int `json:"statuses"`
		Errors   map[string]int `json:"errors"`
		MaxMS    float64        `json:"max_ms"`
	} `json:"timeline"`
}

// load is a bench/loadgen run in the background.
type load struct {
	cmd     *exec.Cmd
	out     string
	logs    bytes.Buffer
	done    chan error
	started time.Time // about when the first request was due
}

// startLoad builds a URL list from the server at base (n URLs, without
// routes: the test server has no graph) and starts sending it at rate
// for dur.
func startLoad(t *testing.T, loadgen, base, dir string, rate int, dur time.Duration) *load {
	t.Helper()
	urls := filepath.Join(dir, "urls.txt")
	out, err := exec.Command(loadgen, "urls", "-base", base, "-n", "2000", "-sample", "2000", "-route-share", "0").Output()
	if err != nil {
		t.Fatalf("loadgen urls: %v", err)
	}
	if err := os.WriteFile(urls, out, 0o644); err != nil {
		t.Fatal(err)
	}
	l := &load{out: filepath.Join(dir, "load.json"), done: make(chan error, 1)}
	l.cmd = exec.Command(loadgen, "run", "-base", base, "-urls", urls, "-rate", strconv.Itoa(rate), "-duration", dur.String(),
		"-timeout", "15s", "-timeline", "-json", l.out)
	l.cmd.Stdout, l.cmd.Stderr = &l.logs, &l.logs
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l.started = time.Now()
	go func() { l.done <- l.cmd.Wait() }()
	t.Cleanup(func() { l.cmd.Process.Kill() })
	return l
}

// wait waits for the run to end and returns its result.
func (l *load) wait(t *testing.T) loadResult {
	t.Helper()
	if err := <-l.done; err != nil {
		t.Fatalf("loadgen: %v\n%s", err, l.logs.String())
	}
	b, err := os.ReadFile(l.out)
	if err != nil {
		t.Fatal(err)
	}
	var r loadResult
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	t.Logf("loadgen:\n%s", strings.TrimSpace(l.logs.String()))
	return r
}
