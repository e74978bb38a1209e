package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/sqlite"
	"github.com/coopmap/coopmap/store/storetest"
)

// BenchmarkReimportChanged100k loads 100,000 points, then re-imports them
// with 10,000 changed and 10,000 left out: the import that writes
// history (the superseded versions and the tombstones).
func BenchmarkReimportChanged100k(b *testing.B) {
	const n = 100_000
	data := storetest.BenchData(n)
	next := make([]coopmap.Feature, 0, n)
	for i, f := range data[:n-n/10] {
		if i%9 == 0 {
			f.Name += " (renamed)"
		}
		next = append(next, f)
	}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.gpkg"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.ReplaceSource(ctx, storetest.Source("bench", coopmap.KindCoops), storetest.Seq(data)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start, cpu := time.Now(), cpuTime(b)
		r, err := s.ReplaceSource(ctx, storetest.Source("bench", coopmap.KindCoops), storetest.Seq(next))
		if err != nil || r.Removed != n/10 || r.Updated != (n-n/10+8)/9 {
			b.Fatalf("re-import = %+v, %v", r, err)
		}
		b.ReportMetric(n/time.Since(start).Seconds(), "features/s")
		// CPU time is steadier than wall time on a shared machine.
		b.ReportMetric((cpuTime(b) - cpu).Seconds(), "cpu-s")
		b.StopTimer()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// cpuTime returns the CPU time the process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkUpdateFeature100k updates single records of a 100,000-point
// file, each at its current version: one write transaction per edit.
func BenchmarkUpdateFeature100k(b *testing.B) {
	const n = 100_000
	data := storetest.BenchData(n)
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.gpkg"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ReplaceSource(ctx, storetest.Source("bench", coopmap.KindCoops), storetest.Seq(data)); err != nil {
		b.Fatal(err)
	}
	versions := make([]int64, n)
	for i := 0; b.Loop(); i++ {
		j := (i * 7919) % n
		f := data[j]
		f.Name = fmt.Sprintf("Edit %d", i)
		if versions[j] == 0 {
			versions[j] = 1
		}
		got, err := s.UpdateFeature(ctx, f, versions[j], coopmap.Change{By: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		versions[j] = got.Version
	}
}
