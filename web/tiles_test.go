package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/sqlite"
	"github.com/coopmap/coopmap/tiles/tilestest"
)

// tileServer serves the tilestest fixture from a GeoPackage store.
func tileServer(t *testing.T, cfg Config) (*httptest.Server, *Server, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tiles.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tilestest.Load(t, st)
	s := New(st, slog.New(slog.DiscardHandler), cfg)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, s, st
}

// tileGet sends a GET with headers; the client never decompresses, so the
// test sees the bytes on the wire.
func tileGet(t *testing.T, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: time.Minute}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestTiles runs the read-only tile tests on one server (maxzoom 15).
func TestTiles(t *testing.T) {
	ts, _, _ := tileServer(t, Config{TileMaxZoom: 15})
	t.Run("HeadersETagAndGzip", func(t *testing.T) { testTileHeadersETagAndGzip(t, ts) })
	t.Run("EmptyAndDefault", func(t *testing.T) { testTileEmptyAndDefault(t, ts) })
	t.Run("TileJSON", func(t *testing.T) { testTileJSON(t, ts) })
	t.Run("BadInput", func(t *testing.T) { testTileBadInput(t, ts) })
}

const londonZ15 = "/tiles/coops/15/16374/10895.mvt" // holds (-0.1, 51.51)

func testTileHeadersETagAndGzip(t *testing.T, ts *httptest.Server) {
	resp, raw := tileGet(t, ts.URL+londonZ15)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != mvtContentType {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Content-Encoding") != "" || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age=") || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("headers %v", resp.Header)
	}
	layers, names, err := tilestest.Decode(raw)
	if err != nil || len(names) != 1 || names[0] != "coops" || len(layers["coops"]) == 0 {
		t.Fatalf("tile decodes to %v, %v", names, err)
	}

	resp, _ = tileGet(t, ts.URL+londonZ15, "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", resp.StatusCode)
	}

	resp, gz := tileGet(t, ts.URL+londonZ15, "Accept-Encoding", "br;q=1, gzip;q=0.8")
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("ETag") == etag {
		t.Fatalf("gzip response headers %v", resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, raw) { // once compressed, never twice
		t.Error("gzip body does not decompress to the tile")
	}
	resp, _ = tileGet(t, ts.URL+londonZ15, "Accept-Encoding", "gzip", "If-None-Match", resp.Header.Get("ETag"))
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("gzip If-None-Match: status %d", resp.StatusCode)
	}
	resp, _ = tileGet(t, ts.URL+londonZ15, "Accept-Encoding", "gzip;q=0")
	if resp.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 got gzip")
	}
}

func testTileEmptyAndDefault(t *testing.T, ts *httptest.Server) {
	resp, body := tileGet(t, ts.URL+"/tiles/coops/10/0/0.mvt")
	if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
		t.Errorf("empty tile: status %d, %d bytes", resp.StatusCode, len(body))
	}
	resp, body = tileGet(t, ts.URL+"/tiles/default/8/127/85.mvt")
	_, names, err := tilestest.Decode(body)
	if resp.StatusCode != 200 || err != nil || strings.Join(names, ",") != "coops,paths" {
		t.Errorf("default tile: status %d, layers %v, %v", resp.StatusCode, names, err)
	}
}

func testTileJSON(t *testing.T, ts *httptest.Server) {
	resp, body := tileGet(t, ts.URL+"/tiles/coops.json")
	var tj TileJSON
	if err := json.Unmarshal(body, &tj); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d: %v: %s", resp.StatusCode, err, body)
	}
	if tj.TileJSON != "3.0.0" || tj.MaxZoom != 15 || tj.Tiles[0] != ts.URL+"/tiles/coops/{z}/{x}/{y}.mvt" ||
		!strings.Contains(tj.Attribution, "coopmap test data") || !strings.Contains(tj.Attribution, "CC0-1.0") ||
		len(tj.VectorLayers) != 1 || tj.VectorLayers[0].ID != "coops" || tj.VectorLayers[0].Fields["count"] == "" {
		t.Errorf("TileJSON %+v", tj)
	}
	if tj.Bounds[0] > -0.4 || tj.Bounds[2] < 0.2 || tj.Bounds[1] > 51.3 || tj.Bounds[3] < 51.7 || tj.Center[2] < 5 {
		t.Errorf("bounds %v center %v", tj.Bounds, tj.Center)
	}
	_, body = tileGet(t, ts.URL+"/tiles/default.json")
	if err := json.Unmarshal(body, &tj); err != nil {
		t.Fatal(err)
	}
	if len(tj.VectorLayers) != 2 || !strings.Contains(tj.Attribution, "coopmap &lt;test&gt; paths") ||
		!strings.Contains(tj.Attribution, `<a href="https://creativecommons.org/licenses/by/4.0/">CC-BY-4.0</a>`) {
		t.Errorf("default TileJSON: %+v", tj)
	}
}

func testTileBadInput(t *testing.T, ts *httptest.Server) {
	for _, c := range []struct {
		path   string
		status int
		field  string
	}{
		{"/tiles/coops/-1/0/0.mvt", 400, "z"},
		{"/tiles/coops/16/0/0.mvt", 400, "z"}, // maxzoom 15
		{"/tiles/coops/a/0/0.mvt", 400, "z"},
		{"/tiles/coops/1.5/0/0.mvt", 400, "z"},
		{"/tiles/coops/99999999999999999999/0/0.mvt", 400, "z"},
		{"/tiles/coops/2/4/0.mvt", 400, "x"},
		{"/tiles/coops/2/-1/0.mvt", 400, "x"},
		{"/tiles/coops/2/0/4.mvt", 400, "y"},
		{"/tiles/coops/2/0/1.5.mvt", 400, "y"},
		{"/tiles/coops/2/0/%20.mvt", 400, "y"},
		{"/tiles/coops/2/0/.mvt", 400, "y"},
		{"/tiles/nope/0/0/0.mvt", 404, ""},
		{"/tiles/COOPS/0/0/0.mvt", 404, ""},
		{"/tiles/coops/0/0/0.png", 404, ""},
		{"/tiles/coops/0/0/0", 404, ""},
		{"/tiles/nope.json", 404, ""},
		{"/tiles/coops.xml", 404, ""},
		{"/tiles/coops/0/0/0/0.mvt", 404, ""},
	} {
		resp, body := tileGet(t, ts.URL+c.path)
		var p Problem
		if err := json.Unmarshal(body, &p); err != nil || resp.StatusCode != c.status || p.Status != c.status || p.Field != c.field ||
			resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: status %d, %s", c.path, resp.StatusCode, body)
		}
	}
}

// TestTileCacheFollowsVersions: re-importing one collection renders its
// tiles anew and leaves the other collection's cached tiles alone.
func TestTileCacheFollowsVersions(t *testing.T) {
	ts, s, st := tileServer(t, Config{TileCatalogTTL: time.Nanosecond})
	paths := "/tiles/paths/16/32738/21792.mvt"
	r1, _ := tileGet(t, ts.URL+paths)
	c1, _ := tileGet(t, ts.URL+londonZ15)
	n, _ := s.tiles.cache.Stats()
	if n != 2 {
		t.Fatalf("%d tiles cached, want 2", n)
	}
	fs := tilestest.PathFeatures()
	for i := range fs {
		if fs[i].ID == "paths.park" {
			fs[i].Geometry = fs[i].Geometry.Bound().ToPolygon()
		}
	}
	if _, err := st.ReplaceSource(context.Background(), tilestest.Paths, sliceSeq(fs)); err != nil {
		t.Fatal(err)
	}
	r2, _ := tileGet(t, ts.URL+paths)
	if r1.Header.Get("ETag") == r2.Header.Get("ETag") {
		t.Error("paths tile unchanged after its collection changed")
	}
	c2, _ := tileGet(t, ts.URL+londonZ15)
	if c1.Header.Get("ETag") != c2.Header.Get("ETag") {
		t.Error("coops tile changed")
	}
	if n, _ := s.tiles.cache.Stats(); n != 3 { // the coops tile was a hit
		t.Errorf("%d tiles cached, want 3", n)
	}
}

func sliceSeq(fs []coopmap.Feature) iter.Seq2[coopmap.Feature, error] {
	return func(yield func(coopmap.Feature, error) bool) {
		for _, f := range fs {
			if !yield(f, nil) {
				return
			}
		}
	}
}

// BenchmarkTileWarm measures a cached tile through the whole handler
// stack (router, logging, cache, ETag), without a network.
func BenchmarkTileWarm(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "tiles.gpkg"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	tilestest.Load(b, st)
	h := New(st, slog.New(slog.DiscardHandler), Config{}).Handler()
	req := httptest.NewRequest(http.MethodGet, londonZ15, nil)
	h.ServeHTTP(httptest.NewRecorder(), req)
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
