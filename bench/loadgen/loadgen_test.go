package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSend sends a short constant-rate load to a test server and checks
// that every request is counted under its class and status.
func TestSend(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/busy" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	list := filepath.Join(t.TempDir(), "urls.txt")
	os.WriteFile(list, []byte("# comment\ntiles /a\nitems /b\n\n/busy\n"), 0o644)
	reqs, err := readURLs(list)
	if err != nil || len(reqs) != 3 || reqs[2].class != "other" {
		t.Fatalf("readURLs = %v, %v", reqs, err)
	}
	res := send(context.Background(), config{bases: []string{srv.URL}, reqs: reqs, rate: 300, dur: 300 * time.Millisecond,
		conns: 8, timeout: 5 * time.Second, pids: []int{os.Getpid()}, timeline: true})
	if res.Sent != 90 || res.Statuses["200"] != 60 || res.Statuses["503"] != 30 || len(res.Errors) != 0 {
		t.Errorf("sent %d, statuses %v, errors %v; want 90 sent, 60 200s and 30 503s", res.Sent, res.Statuses, res.Errors)
	}
	if res.Classes["other"].Bad != 30 || res.Latency.Bad != 30 || res.Classes["tiles"].N != 30 {
		t.Errorf("classes %+v", res.Classes)
	}
	if len(res.RSS) != 1 || res.RSS[0].Max <= 0 {
		t.Errorf("rss %+v", res.RSS)
	}
	lim := limits{maxBad: 0}
	if len(lim.check(res)) != 1 {
		t.Errorf("30 errors passed -max-errors 0")
	}
}

func TestErrorKind(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = http.Get("http://" + addr + "/")
	if k := errorKind(err); k != "refused" {
		t.Errorf("connection refused = %q (%v)", k, err)
	}
}

func TestTileOf(t *testing.T) {
	for _, c := range []struct {
		lon, lat float64
		z, x, y  int
	}{{-0.125, 51.5975, 14, 8186, 5441}, {0, 0, 1, 1, 1}, {-180, 85.05, 2, 0, 0}, {180, -90, 3, 7, 7}} {
		if x, y := tileOf(c.lon, c.lat, c.z); x != c.x || y != c.y {
			t.Errorf("tileOf(%v, %v, %d) = %d/%d; want %d/%d", c.lon, c.lat, c.z, x, y, c.x, c.y)
		}
	}
}
