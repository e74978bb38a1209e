package postgis_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/postgis"
	"github.com/coopmap/coopmap/store/postgis/postgistest"
	"github.com/coopmap/coopmap/store/storetest"
)

func open(tb testing.TB) coopmap.Store { return postgistest.Open(tb) }

func TestContract(t *testing.T) {
	postgistest.DSN(t)
	storetest.Run(t, open)
}

// BenchmarkPostGIS runs the shared store benchmarks (BBox1000of200k and
// FeatureByID) on one 200,000-point store.
func BenchmarkPostGIS(b *testing.B) {
	postgistest.DSN(b)
	storetest.Bench(b, open)
}

func TestOpenDoesNotConnect(t *testing.T) {
	ctx := context.Background()
	// Nothing listens on port 1: Open must still succeed, and Ping fail as
	// "unreachable", not as an outdated schema.
	s, err := postgis.Open(ctx, "postgres://coopmap:secret@127.0.0.1:1/coopmap?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatalf("Open with the database down: %v", err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err = s.Ping(ctx)
	if err == nil || errors.Is(err, postgis.ErrSchemaVersion) {
		t.Fatalf("Ping with the database down = %v; want a connection error", err)
	}
}

func TestOpenBadDSN(t *testing.T) {
	_, err := postgis.Open(context.Background(), "postgres://user:hunter2@host:notaport/db")
	if err == nil {
		t.Fatal("Open accepted a malformed DSN")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error leaks the password: %v", err)
	}
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	dsn := postgistest.Schema(t)
	s, err := postgis.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	err = s.Ping(ctx)
	var se *postgis.SchemaError
	if !errors.As(err, &se) || !errors.Is(err, postgis.ErrSchemaVersion) || se.Have != 0 || se.Want != postgis.LatestSchemaVersion || !se.Outdated() {
		t.Fatalf("Ping before migrating = %v; want a SchemaError at version 0", err)
	}
	if !strings.Contains(err.Error(), "coopmap migrate") || !strings.Contains(err.Error(), "--migrate") {
		t.Errorf("the error does not say what to do: %v", err)
	}

	// Several processes migrating at once: one applies, the others wait.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := postgis.Open(ctx, dsn)
			if err != nil {
				errs[i] = err
				return
			}
			defer o.Close()
			errs[i] = o.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Migrate %d: %v", i, err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != postgis.LatestSchemaVersion {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, postgis.LatestSchemaVersion)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping after migrating: %v", err)
	}
}

func TestSchemaNewerThanCode(t *testing.T) {
	ctx := context.Background()
	s := postgistest.Open(t)
	// Pretend a later coopmap migrated this database.
	if _, err := s.ReplaceSource(ctx, storetest.Source("x", coopmap.KindCoops), nil); err != nil {
		t.Fatal(err)
	}
	if err := postgis.ExecForTest(ctx, s, `INSERT INTO coopmap_schema_migrations (version, name) VALUES (999, '0999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	err := s.Ping(ctx)
	var se *postgis.SchemaError
	if !errors.As(err, &se) || se.Have != 999 || se.Outdated() || !strings.Contains(err.Error(), "upgrade coopmap") {
		t.Fatalf("Ping on a newer schema = %v; want a SchemaError asking to upgrade", err)
	}
	if err := s.Migrate(ctx); !errors.As(err, &se) {
		t.Fatalf("Migrate on a newer schema = %v; want a SchemaError", err)
	}
}

func TestFeatureIDOfAnotherSource(t *testing.T) {
	ctx := context.Background()
	s := postgistest.Open(t)
	if _, err := s.ReplaceSource(ctx, storetest.Source("a", coopmap.KindCoops), storetest.Seq([]coopmap.Feature{storetest.Point("a", "1", 0, 51)})); err != nil {
		t.Fatal(err)
	}
	f := storetest.Point("b", "1", 0, 51)
	f.ID = "a.1" // ids are unique across sources
	_, err := s.ReplaceSource(ctx, storetest.Source("b", coopmap.KindCoops), storetest.Seq([]coopmap.Feature{storetest.Point("b", "0", 0, 51), f}))
	if coopmap.ErrorCode(err) != coopmap.CodeConflict || coopmap.ErrorField(err) != "features[1].id" {
		t.Fatalf("replace taking another source's id = %v; want a conflict on features[1].id", err)
	}
	if _, err := s.Source(ctx, "b"); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Errorf("the rejected import left source b: %v", err)
	}
}

func TestTourCannotMove(t *testing.T) {
	ctx := context.Background()
	s := postgistest.Open(t)
	for _, id := range []string{"t1", "t2"} {
		if _, err := s.ReplaceSource(ctx, storetest.Source(id, coopmap.KindTours), nil); err != nil {
			t.Fatal(err)
		}
	}
	tour, err := s.CreateTour(ctx, coopmap.Tour{ID: "ride", SourceID: "t1", Title: "Ride", Stops: []coopmap.Stop{{Name: "A", Location: orb.Point{0, 51}}}})
	if err != nil {
		t.Fatal(err)
	}
	tour.SourceID = "t2"
	if _, err := s.UpdateTour(ctx, tour); coopmap.ErrorCode(err) != coopmap.CodeInvalid || coopmap.ErrorField(err) != "source_id" {
		t.Fatalf("moving a tour = %v; want invalid source_id", err)
	}
	// A tours source keeps its tours and count across a metadata replace.
	src := storetest.Source("t1", coopmap.KindTours)
	src.Title = "Renamed"
	r, err := s.ReplaceSource(ctx, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Source.FeatureCount != 1 || r.Source.Title != "Renamed" {
		t.Errorf("tours source after replace = %+v; want count 1, renamed", r.Source)
	}
	if _, err := s.Tour(ctx, "ride"); err != nil {
		t.Errorf("tour lost by a replace of its source: %v", err)
	}
}

// TestReplaceMemoryFlat checks that ReplaceSource streams: the live heap
// while features are read does not grow with the number already read.
func TestReplaceMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 60,000 features")
	}
	ctx := context.Background()
	s := postgistest.Open(t)
	const n, every = 60_000, 10_000
	var first, peak uint64
	seq := func(yield func(coopmap.Feature, error) bool) {
		for i := range n {
			if i%every == every/2 {
				var m runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&m)
				if first == 0 {
					first = m.HeapAlloc
				}
				peak = max(peak, m.HeapAlloc)
			}
			f := storetest.Point("mem", fmt.Sprintf("%06d", i), -6+8*float64(i%997)/997, 50+8*float64(i%991)/991)
			f.Description = strings.Repeat("d", 200)
			if !yield(f, nil) {
				return
			}
		}
	}
	r, err := s.ReplaceSource(ctx, storetest.Source("mem", coopmap.KindCoops), seq)
	if err != nil {
		t.Fatal(err)
	}
	if r.Added != n {
		t.Fatalf("added %d; want %d", r.Added, n)
	}
	// Holding 50,000 of these features would take well over 20 MB.
	if grew := int64(peak) - int64(first); grew > 4<<20 {
		t.Errorf("live heap grew by %d KiB while streaming %d features; want it flat", grew>>10, n)
	}
	t.Logf("live heap %d KiB after %d features, peak %d KiB", first>>10, every/2, peak>>10)
}

// TestReplaceIteratorPanics checks that a panicking iterator panics in the
// caller's goroutine, where it can be recovered, and changes nothing.
func TestReplaceIteratorPanics(t *testing.T) {
	ctx := context.Background()
	s := postgistest.Open(t)
	var fs []coopmap.Feature
	for i := range 3000 {
		fs = append(fs, storetest.Point("p", fmt.Sprint(i), 0, 51))
	}
	got := func() (p any) {
		defer func() { p = recover() }()
		s.ReplaceSource(ctx, storetest.Source("p", coopmap.KindCoops), func(yield func(coopmap.Feature, error) bool) {
			for i, f := range fs {
				if i == 2500 {
					panic("importer bug")
				}
				if !yield(f, nil) {
					return
				}
			}
		})
		return nil
	}()
	if got != "importer bug" {
		t.Fatalf("recovered %v; want the iterator's panic", got)
	}
	if _, err := s.Source(ctx, "p"); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Errorf("source after a panicking import: %v; want not found", err)
	}
	if _, err := s.ReplaceSource(ctx, storetest.Source("p", coopmap.KindCoops), storetest.Seq(fs)); err != nil {
		t.Errorf("store unusable after a panicking import: %v", err)
	}
}
