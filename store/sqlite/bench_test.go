package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/sqlite"
	"github.com/coopmap/coopmap/store/storetest"
)

// BenchmarkStore runs the shared store benchmarks: a bbox query returning
// about 1,000 of 200,000 points, and get-by-id.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(tb testing.TB) coopmap.Store { return open(tb) })
}

// BenchmarkReplace100k loads 100,000 points into a new file with one
// ReplaceSource, then replaces them again unchanged, and reports the rates
// and the size of the closed file.
func BenchmarkReplace100k(b *testing.B) {
	const n = 100_000
	data := storetest.BenchData(n)
	ctx := context.Background()
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "bench.gpkg")
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := s.ReplaceSource(ctx, storetest.Source("bench", coopmap.KindCoops), storetest.Seq(data)); err != nil {
			b.Fatal(err)
		}
		load := time.Since(start)
		start = time.Now()
		r, err := s.ReplaceSource(ctx, storetest.Source("bench", coopmap.KindCoops), storetest.Seq(data))
		if err != nil || r.Unchanged != n {
			b.Fatalf("second replace = %+v, %v", r, err)
		}
		again := time.Since(start)
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(n/load.Seconds(), "inserts/s")
		b.ReportMetric(n/again.Seconds(), "unchanged/s")
		b.ReportMetric(float64(fi.Size())/(1<<20), "MiB/100k-points")
	}
}
