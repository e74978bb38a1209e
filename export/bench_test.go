package export_test

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/export"
)

// synthetic yields n co-ops made on the fly, every tenth a line, so the
// benchmark measures the writers and nothing holds the features.
func synthetic(n int) iter.Seq2[coopmap.Feature, error] {
	return func(yield func(coopmap.Feature, error) bool) {
		now := time.Now()
		for i := range n {
			f := coopmap.Feature{
				ID: fmt.Sprintf("big.R%07d", i), SourceID: "big", Name: fmt.Sprintf("Co-op number %d, \"Ltd\"", i),
				Sector: "Food", OrgType: "Worker co-op", Address: "1 High Street, Leeds", Postcode: "LS1 1AA",
				Website: "https://example.coop/", Description: "A co-operative <with> markup & text",
				Properties: map[string]any{"members": float64(i % 100), "legal_form": "Society"},
				Geometry:   orb.Point{-3 + float64(i%60000)/10000, 50 + float64(i/60000)/10}, Precision: coopmap.PrecisionExact,
				UpdatedAt: now,
			}
			if i%10 == 9 {
				f.Geometry = orb.LineString{{-1, 52}, {-1.001, 52.001}, {-1.002, 52.003}}
			}
			if !yield(f, nil) {
				return
			}
		}
	}
}

// countingDiscard counts the bytes it throws away.
type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// peakHeap samples the live heap every few milliseconds until stop is
// called, which returns the highest sample in bytes.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var (
		mu   sync.Mutex
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			mu.Lock()
			peak = max(peak, sample[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// BenchmarkExport writes 1,000,000 features in every format and reports
// the peak live heap while doing so (peak-heap-MB) and the file size
// (file-MB). Memory stays flat: the figure is the same for 10,000
// features (go test … -args -features=10000). Figures are in docs/PERFORMANCE.md:
//
//	go test -run='^$' -bench=Export -benchtime=1x ./export/
func BenchmarkExport(b *testing.B) {
	for _, f := range export.Formats(nil) {
		b.Run(f.Name, func(b *testing.B) {
			for b.Loop() {
				runtime.GC()
				stop := peakHeap()
				var out countingDiscard
				if err := f.Write(context.Background(), &out, testSource, synthetic(*benchFeatures)); err != nil {
					b.Fatal(err)
				}
				peak := stop()
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(out.n)/(1<<20), "file-MB")
			}
		})
	}
}
