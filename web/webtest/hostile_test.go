package webtest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
	"github.com/coopmap/coopmap/importers/csv"
	"github.com/coopmap/coopmap/importers/geojson"
	"github.com/coopmap/coopmap/importers/gpx"
	"github.com/coopmap/coopmap/importers/kml"
	"github.com/coopmap/coopmap/importers/osm"
	"github.com/coopmap/coopmap/route"
	"github.com/coopmap/coopmap/store/storetest"
	"github.com/coopmap/coopmap/web"
	"github.com/coopmap/coopmap/web/webtest"
)

// hostileDir is the hostile-input catalogue (README.md there).
const hostileDir = "../../testdata/hostile"

// badDir is the importer's bad-input catalogue, sent again as uploads.
const badDir = "../../testdata/bad"

// maxServerMemory bounds the heap and the resident size while the
// catalogue runs (issue 10: memory ≤256 MiB).
const maxServerMemory = 256 << 20

// hostileEnv is a server over one store with the OGC fixture, an
// "uploads" source for import cases, a routing graph, every importer,
// the write API's tokens, and a listener that counts the connections
// made to it (a KML NetworkLink or an external entity must never reach
// it).
type hostileEnv struct {
	srv   *httptest.Server
	st    coopmap.Store
	vars  map[string]string
	logs  *syncBuffer
	calls *atomic.Int64
}

func newHostileEnv(t *testing.T, s webtest.Store) *hostileEnv {
	t.Helper()
	st := s.Open(t)
	fixture(t, st)
	uploads := source("uploads", coopmap.KindCoops, "ODC-By-1.0")
	if _, err := st.ReplaceSource(context.Background(), uploads, storetest.Seq([]coopmap.Feature{
		storetest.Point("uploads", "u1", -1, 52), storetest.Point("uploads", "u2", -1.1, 52.1)})); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../../testdata/route/ladders.osm")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, _, err := route.Build(context.Background(), f, route.BuildOptions{Source: "ladders.osm"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := web.Config{Graph: g, ImportFormats: importers.Formats{importers.FormatCSV: csv.Parse, importers.FormatGeoJSON: geojson.Parse,
		importers.FormatKML: kml.Parse, importers.FormatKMZ: kml.Parse, importers.FormatGPX: gpx.Parse, importers.FormatOSM: osm.Parse}}
	logs := &syncBuffer{}
	srv := httptest.NewServer(web.New(st, slog.New(slog.NewTextHandler(logs, nil)), cfg).Handler())
	t.Cleanup(srv.Close)

	e := &hostileEnv{srv: srv, st: st, logs: logs, calls: &atomic.Int64{}, vars: map[string]string{}}
	e.vars["listener"] = recordingListener(t, e.calls)
	for role, secret := range makeTokens(t, st) {
		e.vars["token:"+role] = secret
	}
	next := linkHref(getOK(t, srv.URL+"/collections/coops/items?limit=2").json, "next")
	u, _ := url.Parse(next)
	cursor := u.Query().Get("after")
	tampered := []byte(cursor)
	tampered[len(tampered)/2] ^= 2
	e.vars["cursor"] = url.QueryEscape(cursor)
	e.vars["tampered"] = url.QueryEscape(string(tampered))
	e.vars["cursor-cut"] = url.QueryEscape(cursor[:len(cursor)-3])
	return e
}

// recordingListener listens on a loopback port, counting every
// connection, and returns its http:// URL.
func recordingListener(t *testing.T, calls *atomic.Int64) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			calls.Add(1)
			c.Close()
		}
	}()
	return "http://" + l.Addr().String()
}

// send makes the request of c and checks the answer against it.
func (e *hostileEnv) send(t *testing.T, c webtest.HostileCase) (int, []byte) {
	t.Helper()
	req, err := webtest.HostileRequest(c, e.srv.URL, hostileDir, e.vars)
	if err != nil {
		t.Fatalf("%s: %v", c.Where, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s: %s %s: %v", c.Where, c.Method, c.Target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err := webtest.CheckHostile(c, resp.StatusCode, resp.Header, body); err != nil {
		t.Errorf("%s %s: %v", c.Where, c.Name, err)
	}
	return resp.StatusCode, body
}

// contents is what a collection holds: its features' ids and versions.
func (e *hostileEnv) contents(t *testing.T, collection string) string {
	t.Helper()
	r := getOK(t, e.srv.URL+"/collections/"+collection+"/items?limit=10000")
	var ids []string
	for _, f := range r.json["features"].([]any) {
		m := f.(map[string]any)
		ids = append(ids, fmt.Sprint(m["id"], "@", m["properties"].(map[string]any)["version"]))
	}
	slices.Sort(ids)
	return strings.Join(ids, " ")
}

// fixtureState is the fixture's records (the co-ops R0000… and the
// orchards) with their versions; the rows that are valid writes add
// records of their own, which it leaves out.
func (e *hostileEnv) fixtureState(t *testing.T) string {
	t.Helper()
	var keep []string
	for _, id := range strings.Fields(e.contents(t, "coops")) {
		if strings.HasPrefix(id, "coops.R") {
			keep = append(keep, id)
		}
	}
	return strings.Join(keep, " ") + " | " + e.contents(t, "orchards")
}

// memWatch samples the Go heap and the process's peak resident size
// while a test runs.
type memWatch struct {
	stop     chan struct{}
	done     sync.WaitGroup
	peakHeap uint64
}

func watchMemory() *memWatch {
	m := &memWatch{stop: make(chan struct{})}
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			m.peakHeap = max(m.peakHeap, s[0].Value.Uint64())
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

// end stops sampling and returns the peak heap and the peak resident
// size (VmHWM) of this process.
func (m *memWatch) end() (heap, rss uint64) {
	close(m.stop)
	m.done.Wait()
	return m.peakHeap, vmHWM()
}

// vmHWM is this process's peak resident set size from /proc, 0 where
// there is none.
func vmHWM() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestHostileHTTP sends the whole catalogue (testdata/hostile/http.tsv
// and the query-parameter matrix params.tsv) to a server over each
// store: every answer has the row's status and, for errors, a problem
// naming the row's field; no answer is a 5xx, nothing panics, nothing
// reaches the recording listener, a refused upload leaves the uploads
// source exactly as it was, the fixture is unchanged afterwards, and the
// Go heap stays under 256 MiB. The memory figure is in-process (client
// and server share the test binary): the Go heap sampled every 5 ms and
// the process's VmHWM; cmd/coopmap TestHostileProcess measures a real
// coopmap serve.
func TestHostileHTTP(t *testing.T) {
	cases, err := webtest.LoadHostile(filepath.Join(hostileDir, "http.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	matrix, err := paramMatrix()
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, matrix...)
	if len(cases) < 120 {
		t.Fatalf("%d cases; the catalogue needs at least 120", len(cases))
	}
	for _, s := range webtest.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			e := newHostileEnv(t, s)
			fixtureBefore := e.fixtureState(t)
			uploads := e.contents(t, "uploads")
			mem := watchMemory()
			for _, c := range cases {
				t.Run(c.Name, func(t *testing.T) {
					status, body := e.send(t, c)
					if !strings.HasSuffix(strings.SplitN(c.Target, "?", 2)[0], "/import") || c.Method != http.MethodPost {
						return
					}
					after := e.contents(t, "uploads")
					switch {
					case status >= 400 && after != uploads:
						t.Errorf("%s: a refused upload changed the source:\nbefore %s\nafter  %s", c.Where, uploads, after)
					case status == http.StatusOK && !strings.Contains(c.Target, "dry_run=true"):
						checkImported(t, c.Where, body, after)
						uploads = after
					}
				})
			}
			heap, rss := mem.end()
			t.Logf("%d cases; peak Go heap %d MiB, peak RSS of the test process (client and server) %d MiB", len(cases), heap>>20, rss>>20)
			if heap > maxServerMemory {
				t.Errorf("the Go heap reached %d MiB; the limit is %d MiB", heap>>20, maxServerMemory>>20)
			}
			if n := e.calls.Load(); n != 0 {
				t.Errorf("%d connections reached the recording listener: an input made the server fetch a URL", n)
			}
			if after := e.fixtureState(t); after != fixtureBefore {
				t.Errorf("the hostile requests changed the fixture:\nbefore %.600s\nafter  %.600s", fixtureBefore, after)
			}
			if strings.Contains(e.logs.String(), "panic") {
				t.Errorf("the server logged a panic:\n%s", e.logs)
			}
		})
	}
}

// checkImported checks that a successful upload's report agrees with
// what the source now holds: all of the upload, not part of it.
func checkImported(t *testing.T, where string, body []byte, contents string) {
	t.Helper()
	var rep struct {
		Imported int `json:"imported"`
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("%s: the import report: %v", where, err)
	}
	if n := len(strings.Fields(contents)); n != rep.Imported {
		t.Errorf("%s: the report says %d imported; the source holds %d", where, rep.Imported, n)
	}
}

// paramMatrix is params.tsv crossed with payloads.tsv: every query
// parameter of every GET endpoint given each hostile text (SQL, script,
// invalid UTF-8, NUL…), each row's class of payloads with the answer it
// must get.
func paramMatrix() ([]webtest.HostileCase, error) {
	payloads := map[string][]string{}
	pf, err := os.ReadFile(filepath.Join(hostileDir, "payloads.tsv"))
	if err != nil {
		return nil, err
	}
	for i, line := range strings.Split(string(pf), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		class, p, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("payloads.tsv:%d: want class<TAB>payload", i+1)
		}
		payloads[class] = append(payloads[class], p)
	}
	rows, err := webtest.LoadHostile(filepath.Join(hostileDir, "params.tsv"))
	if err != nil {
		return nil, err
	}
	var out []webtest.HostileCase
	for _, r := range rows {
		// The body column of params.tsv names the payload class.
		ps := payloads[r.Body]
		if len(ps) == 0 {
			return nil, fmt.Errorf("%s: no payloads of class %q", r.Where, r.Body)
		}
		for i, p := range ps {
			c := r
			c.Name = fmt.Sprintf("%s %s %d", r.Name, r.Body, i)
			c.Target = strings.ReplaceAll(r.Target, "{v}", p)
			c.Body = ""
			out = append(out, c)
		}
	}
	return out, nil
}

// TestHostileImportCatalogue uploads every file of the importer's
// bad-input catalogue (testdata/bad, cmd/coopmap TestBadInputs) to
// POST /collections/uploads/import on both stores, expecting the status
// testdata/hostile/import.tsv gives it: no 5xx, and a refused upload
// leaves the source as it was, an accepted one replaces all of it.
func TestHostileImportCatalogue(t *testing.T) {
	cases, err := webtest.LoadHostile(filepath.Join(hostileDir, "import.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := os.ReadDir(badDir)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, c := range cases {
		listed[strings.TrimPrefix(c.Body, "@../bad/")] = true
	}
	for _, f := range files {
		if n := f.Name(); n != "README.md" && n != "expected.golden" && !listed[n] {
			t.Errorf("testdata/bad/%s is not in testdata/hostile/import.tsv", n)
		}
	}
	for _, s := range webtest.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			e := newHostileEnv(t, s)
			before := e.contents(t, "uploads")
			for _, c := range cases {
				t.Run(c.Name, func(t *testing.T) {
					status, body := e.send(t, c)
					after := e.contents(t, "uploads")
					switch {
					case status >= 400 && after != before:
						t.Errorf("%s: a refused upload changed the source:\nbefore %s\nafter  %s", c.Where, before, after)
					case status == http.StatusOK:
						checkImported(t, c.Where, body, after)
						before = after
					}
				})
			}
			if strings.Contains(e.logs.String(), "panic") {
				t.Errorf("the server logged a panic:\n%s", e.logs)
			}
		})
	}
}
