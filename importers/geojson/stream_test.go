package geojson_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers/geojson"
)

// heapWatcher is an emitter that counts features and samples the live heap.
type heapWatcher struct {
	n        int
	maxHeap  uint64
	every    int
	lastName string
}

func (h *heapWatcher) Feature(f coopmap.Feature, where string) error {
	h.n++
	h.lastName = f.Name
	if h.n%h.every == 0 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		h.maxHeap = max(h.maxHeap, m.HeapAlloc)
	}
	return nil
}

func (h *heapWatcher) Problem(where, reason string) {}

// writeCollection writes a FeatureCollection of n point features, about
// 200 bytes each, to w.
func writeCollection(w io.Writer, n int) error {
	bw := bufio.NewWriter(w)
	fmt.Fprint(bw, `{"type":"FeatureCollection","features":[`)
	for i := range n {
		if i > 0 {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, `{"type":"Feature","id":%d,"geometry":{"type":"Point","coordinates":[%.6f,%.6f]},"properties":{"name":"Co-op number %d","sector":"Retail","members":%d,"open":true,"tags":["a","b"]}}`+"\n",
			i, -5+float64(i%1000)/100, 50+float64(i/1000%1000)/100, i, i%977)
	}
	fmt.Fprint(bw, `]}`)
	return bw.Flush()
}

// TestStreamMemory feeds a million-feature collection through a pipe, so
// the input never exists in memory, and checks the live heap stays flat.
// It runs 100,000 features under -race and skips under -short.
func TestStreamMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams ~200 MB of GeoJSON")
	}
	n := 1_000_000
	if raceEnabled {
		n = 100_000
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeCollection(pw, n)) }()
	h := &heapWatcher{every: n / 20}
	if err := geojson.Parse(context.Background(), pr, "big.geojson", h); err != nil {
		t.Fatal(err)
	}
	if h.n != n || h.lastName != fmt.Sprintf("Co-op number %d", n-1) {
		t.Fatalf("got %d features (last %q), want %d", h.n, h.lastName, n)
	}
	t.Logf("%d features: peak live heap %.1f MiB", n, float64(h.maxHeap)/(1<<20))
	if h.maxHeap > 32<<20 {
		t.Errorf("live heap reached %d bytes; streaming should keep it flat, well under 32 MiB", h.maxHeap)
	}
}

func BenchmarkParse(b *testing.B) {
	const n = 10_000
	for b.Loop() {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeCollection(pw, n)) }()
		h := &heapWatcher{every: n}
		if err := geojson.Parse(context.Background(), pr, "big.geojson", h); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "features/op")
}
