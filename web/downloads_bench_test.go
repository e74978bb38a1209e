package web_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coopmap/coopmap/export"
	"github.com/coopmap/coopmap/store/sqlite"
	"github.com/coopmap/coopmap/web"
	"github.com/coopmap/coopmap/web/webtest"
)

// BenchmarkDownloadLarge downloads a whole large collection over HTTP in
// every format from the GeoPackage store named by COOPMAP_DOWNLOAD_DB
// (source COOPMAP_DOWNLOAD_SOURCE, default "big"), and reports the
// process's peak anonymous and file-backed RSS and live Go heap while it
// streams; the client reads in the same process. It is skipped without
// COOPMAP_DOWNLOAD_DB. docs/PERFORMANCE.md (Downloads) says how to make
// a 1,000,000-feature store and gives the figures.
func BenchmarkDownloadLarge(b *testing.B) {
	db := os.Getenv("COOPMAP_DOWNLOAD_DB")
	if db == "" {
		b.Skip("set COOPMAP_DOWNLOAD_DB to a GeoPackage store with a large source")
	}
	source := os.Getenv("COOPMAP_DOWNLOAD_SOURCE")
	if source == "" {
		source = "big"
	}
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	srv := webtest.Serve(b, st, web.Config{})
	for _, f := range export.Formats(nil) {
		b.Run(f.Name, func(b *testing.B) {
			for b.Loop() {
				stop := peakMemory()
				res, err := http.Get(srv.URL + "/collections/" + source + "/download?f=" + f.Name)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusOK {
					b.Fatalf("status %d, %v", res.StatusCode, err)
				}
				anon, file, heap := stop()
				b.ReportMetric(float64(n)/(1<<20), "file-MB")
				b.ReportMetric(float64(anon)/(1<<10), "peak-rss-anon-MB")
				b.ReportMetric(float64(file)/(1<<10), "peak-rss-file-MB")
				b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
			}
		})
	}
}

// peakMemory samples RssAnon and RssFile (kB, from /proc/self/status) and
// the live Go heap (bytes) every 50 ms until stop is called, which returns
// the peaks.
func peakMemory() (stop func() (anon, file, heap uint64)) {
	var (
		mu               sync.Mutex
		pAnon, pFile, pH uint64
		done             = make(chan struct{})
		wg               sync.WaitGroup
	)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		b, _ := os.ReadFile("/proc/self/status")
		metrics.Read(sample)
		mu.Lock()
		defer mu.Unlock()
		for _, l := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				continue
			}
			n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			switch k {
			case "RssAnon":
				pAnon = max(pAnon, n)
			case "RssFile":
				pFile = max(pFile, n)
			}
		}
		pH = max(pH, sample[0].Value.Uint64())
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			read()
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return func() (uint64, uint64, uint64) {
		close(done)
		wg.Wait()
		read()
		return pAnon, pFile, pH
	}
}
