package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// recoveryLimit is how soon after the database is back the server must
// serve again (issue 10).
const recoveryLimit = 10 * time.Second

// TestFaultPostGIS runs the real binary against a PostGIS cluster of its
// own and takes the database away: first before the server starts, then
// under load. The server must start anyway (/healthz 200, /readyz 503),
// answer data requests with a prompt 503 + Retry-After while the database
// is gone (no 500, no hang, no crash), and serve again within
// recoveryLimit of the database coming back, without a restart.
func TestFaultPostGIS(t *testing.T) {
	c := startCluster(t)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"migrate", "--db", c.dsn}, &out, &errb, noEnv); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, errb.String())
	}
	demoImport(t, c.dsn)
	dir := t.TempDir()
	bin := buildTool(t, ".", dir)
	loadgen := buildTool(t, "../../bench/loadgen", dir)
	items := "/collections/coops-uk/items?limit=10"

	c.pg(t, "down")
	p := startProc(t, bin, "--db", c.dsn)
	if code, _ := status(p.base + "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with the database down = %d; want 200", code)
	}
	if code, _ := status(p.base + "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database down = %d; want 503", code)
	}
	for _, path := range []string{items, "/collections", "/coops/coops-uk.R037035", "/tiles/default/10/511/340.mvt"} {
		start := time.Now()
		code, retry := status(p.base + path)
		if code != http.StatusServiceUnavailable || retry == "" {
			t.Errorf("%s with the database down = %d (Retry-After %q); want 503 with Retry-After", path, code, retry)
		}
		t.Logf("%s with the database down: %d in %v", path, code, time.Since(start).Round(time.Millisecond))
	}
	c.pg(t, "up")
	ready := waitStatus(t, p.base+"/readyz", http.StatusOK, recoveryLimit)
	t.Logf("started with the database down: ready %v after it came up", ready.Round(time.Millisecond))
	p.alive(t)

	// Restart under load: 100 requests/s for 22s; the database goes
	// down at 8s (after the caches have warmed) and stays down for 4s
	// (plus the time pg_ctl takes).
	l := startLoad(t, loadgen, p.base, dir, 100, 22*time.Second)
	time.Sleep(8 * time.Second)
	downAt := time.Now()
	c.pg(t, "down")
	downDone := time.Now()
	time.Sleep(4 * time.Second)
	c.pg(t, "up")
	upAt := time.Now()
	recovered := waitStatus(t, p.base+items, http.StatusOK, recoveryLimit)
	t.Logf("database down for %v; serving again %v after it was back", upAt.Sub(downAt).Round(time.Millisecond), recovered.Round(time.Millisecond))
	r := l.wait(t)
	p.alive(t)
	for code, n := range r.Statuses {
		if s, _ := strconv.Atoi(code); s >= 500 && s != http.StatusServiceUnavailable {
			t.Errorf("%d responses with status %s during the restart; want none (only 503 while the database is down)", n, code)
		}
	}
	if len(r.Errors) > 0 {
		t.Errorf("transport errors during the restart: %v %q; want none", r.Errors, r.ErrorSample)
	}
	if r.Statuses["503"] == 0 {
		t.Errorf("no 503 while the database was down: %v", r.Statuses)
	}
	// No hang: every request was answered inside the client's timeout
	// (15s; a timeout is a transport error, checked above), and those due
	// while the database was down (but not in the second before it came
	// back, when the pool may be dialling the starting server) promptly.
	from, to := int(downDone.Sub(l.started)/time.Second)+1, int(upAt.Sub(l.started)/time.Second)-1
	outageMax := 0.0
	for _, s := range r.Timeline {
		mark := ""
		if s.T >= from && s.T < to {
			outageMax = max(outageMax, s.MaxMS)
			mark = " (database down)"
		}
		t.Logf("second %2d: %3d requests %v %v slowest %.0f ms%s", s.T, s.N, s.Statuses, s.Errors, s.MaxMS, mark)
	}
	t.Logf("slowest request: %.0f ms; slowest due while the database was down: %.0f ms", r.Latency.Max, outageMax)
	if outageMax > 2000 {
		t.Errorf("a request due while the database was down took %.0f ms; want a prompt 503 (under 2s)", outageMax)
	}
	for why, n := range unavailableReasons(p.logs.String()) {
		t.Logf("%4d × 503 because: %s", n, why)
	}
}

// unavailableReasons counts the server's "request unavailable" log lines
// by their error, cut short.
func unavailableReasons(logs string) map[string]int {
	out := map[string]int{}
	for _, line := range strings.Split(logs, "\n") {
		var rec struct {
			Msg string `json:"msg"`
			Err string `json:"err"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "request unavailable" {
			continue
		}
		why := rec.Err
		if i := strings.LastIndex(why, "shortly: "); i >= 0 {
			why = why[i+len("shortly: "):] // the driver's error: group by cause, not by query
		}
		if len(why) > 120 {
			why = why[:120] + "…"
		}
		out[why]++
	}
	return out
}

// TestFaultSIGTERMUnderLoad sends SIGTERM to the real binary while it
// serves 150 requests/s and while large downloads are in flight: every
// request in flight completes with its whole body, no connection is reset
// (after the listener closes, new connections are refused, which is what
// a load balancer expects), and the process exits 0 within the drain
// timeout.
func TestFaultSIGTERMUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary under load")
	}
	dir := t.TempDir()
	bin := buildTool(t, ".", dir)
	loadgen := buildTool(t, "../../bench/loadgen", dir)
	db := filepath.Join(dir, "coopmap.gpkg")
	demoImport(t, db)
	const drain = 20 * time.Second
	p := startProc(t, bin, "--db", db, "--shutdown-timeout", drain.String())
	download := p.base + "/collections/coops-uk/download?f=geojson"
	full := fetch(t, download)
	if full.err != nil || full.code != http.StatusOK {
		t.Fatalf("download before the signal: %d %v", full.code, full.err)
	}

	l := startLoad(t, loadgen, p.base, dir, 150, 8*time.Second)
	time.Sleep(3 * time.Second)
	// Downloads in flight when the signal comes.
	var wg sync.WaitGroup
	got := make([]fetched, 4)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = fetch(t, download) }()
	}
	time.Sleep(20 * time.Millisecond)
	took := p.stopWith(t, syscall.SIGTERM, drain+5*time.Second)
	wg.Wait()
	r := l.wait(t)
	if p.err != nil {
		t.Errorf("exit after SIGTERM: %v; want status 0\n%s", p.err, p.logs)
	}
	t.Logf("exited %v after SIGTERM (drain timeout %v)", took.Round(time.Millisecond), drain)
	for i, f := range got {
		switch {
		case f.err != nil && f.sent:
			t.Errorf("download %d in flight at SIGTERM failed: %v", i, f.err)
		case f.err != nil:
			t.Logf("download %d started after the listener closed: %v", i, f.err)
		case f.code != http.StatusOK || f.n != full.n:
			t.Errorf("download %d in flight at SIGTERM: %d, %d bytes; want 200 and %d bytes", i, f.code, f.n, full.n)
		}
	}
	for kind, n := range r.Errors {
		if kind != "refused" {
			t.Errorf("%d %q errors; want only connections refused after the listener closed (%q)", n, kind, r.ErrorSample)
		}
	}
	for code, n := range r.Statuses {
		if s, _ := strconv.Atoi(code); s >= 500 {
			t.Errorf("%d responses with status %s; want none", n, code)
		}
	}
	t.Logf("load: %d sent, statuses %v, errors %v, p99 %.1f ms", r.Sent, r.Statuses, r.Errors, r.Latency.P99)
}

// fetched is the outcome of one fetch.
type fetched struct {
	code int
	n    int64
	sent bool // the response headers arrived: the request was in flight
	err  error
}

// fetch GETs u (plain, not gzipped) and counts its body.
func fetch(t *testing.T, u string) fetched {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return fetched{err: err}
	}
	req.Header.Set("Accept-Encoding", "identity")
	res, err := (&http.Transport{DisableKeepAlives: true}).RoundTrip(req)
	if err != nil {
		return fetched{err: err}
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	return fetched{code: res.StatusCode, n: n, sent: true, err: err}
}
