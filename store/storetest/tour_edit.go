package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

// tourEditTests cover the optional TourEditor capability; both stores
// must have it.
var tourEditTests = []contractTest{
	{"TourEditLifecycle", testTourEditLifecycle},
	{"TourEditWriterHistory", testTourEditWriterHistory},
	{"TourEditInvalid", testTourEditInvalid},
	{"TourEditConcurrentSameVersion", testTourEditConcurrent},
}

// tourHistory reads a tour's history, failing the test on error.
func tourHistory(t *testing.T, e coopmap.TourEditor, id string) []coopmap.TourRevision {
	t.Helper()
	h, err := e.TourHistory(context.Background(), id)
	if err != nil {
		t.Fatalf("TourHistory(%s): %v", id, err)
	}
	return h
}

// tourOps summarises a tour history as "version:op:by" newest first, with
// "!" for a tombstone.
func tourOps(h []coopmap.TourRevision) string {
	var b []string
	for _, r := range h {
		s := fmt.Sprintf("%d:%s:%s", r.Version, r.Op, r.By)
		if r.Deleted {
			s += "!"
		}
		b = append(b, s)
	}
	return strings.Join(b, " ")
}

// tourEditFixture makes a tours source "te-tours", a coops source with
// record te-coops.a, and returns a tour with a stop on the record and a
// named stop.
func tourEditFixture(t *testing.T, s coopmap.Store, id string) coopmap.Tour {
	t.Helper()
	replace(t, s, Source("te-coops", coopmap.KindCoops), []coopmap.Feature{Point("te-coops", "a", -0.1, 51.5)})
	replace(t, s, Source("te-tours", coopmap.KindTours), nil)
	return coopmap.Tour{ID: id, SourceID: "te-tours", Title: "First title", Region: "London",
		Stops: []coopmap.Stop{{FeatureID: "te-coops.a", Note: "start"}, {Name: "Park", Location: orb.Point{-0.12, 51.51}}},
		Route: orb.LineString{{-0.1, 51.5}, {-0.12, 51.51}}, DistanceM: 1500}
}

func testTourEditLifecycle(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	e := capability[coopmap.TourEditor](t, s)
	tour := tourEditFixture(t, s, "life")
	alice := coopmap.Change{By: "alice", Note: "first draft"}
	bob := coopmap.Change{By: "bob"}

	v1, err := e.CreateTourAs(ctx, tour, alice)
	if err != nil || v1.Version != 1 {
		t.Fatalf("CreateTourAs = v%d, %v; want version 1", v1.Version, err)
	}
	_, err = e.CreateTourAs(ctx, tour, alice)
	wantPlainConflict(t, err)

	next := v1
	next.Title, next.Version = "Second title", 99 // Version is ignored: ifVersion counts
	v2, err := e.UpdateTourAs(ctx, next, 1, bob)
	if err != nil || v2.Version != 2 || v2.Title != "Second title" || v2.Stops[0].Name == "" {
		t.Fatalf("UpdateTourAs = %+v, %v; want version 2 with resolved stops", v2, err)
	}
	_, err = e.UpdateTourAs(ctx, next, 1, bob)
	wantVersionConflict(t, err, 2, false)

	count := source(t, s, "te-tours").FeatureCount
	gone, err := e.DeleteTourAs(ctx, "life", 2, bob)
	if err != nil || gone.Version != 3 || gone.Title != "Second title" {
		t.Fatalf("DeleteTourAs = %+v, %v; want the last content at version 3", gone, err)
	}
	if _, err := s.Tour(ctx, "life"); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Fatalf("Tour after delete: %v; want not found", err)
	}
	if got := source(t, s, "te-tours").FeatureCount; got != count-1 {
		t.Errorf("tour count after delete = %d; want %d", got, count-1)
	}
	if ts, err := s.Tours(ctx, "te-tours"); err != nil || len(ts) != 0 {
		t.Errorf("Tours after delete = %d, %v; want none", len(ts), err)
	}
	_, err = e.UpdateTourAs(ctx, next, 3, bob)
	wantPlainConflict(t, err)
	_, err = e.DeleteTourAs(ctx, "life", 3, bob)
	wantPlainConflict(t, err)
	_, err = e.RestoreTour(ctx, "life", 2, bob)
	wantVersionConflict(t, err, 3, true)

	if got, want := tourOps(tourHistory(t, e, "life")), "3:delete:bob! 2:update:bob 1:create:alice"; got != want {
		t.Fatalf("history = %s; want %s", got, want)
	}

	v4, err := e.RestoreTour(ctx, "life", 3, alice)
	if err != nil || v4.Version != 4 || v4.Title != "Second title" || len(v4.Stops) != 2 || v4.Stops[0].Name == "" {
		t.Fatalf("RestoreTour = %+v, %v; want version 4 with the deleted content", v4, err)
	}
	_, err = e.RestoreTour(ctx, "life", 4, alice)
	wantPlainConflict(t, err)
	if got := source(t, s, "te-tours").FeatureCount; got != count {
		t.Errorf("tour count after restore = %d; want %d", got, count)
	}

	v5, err := e.RevertTour(ctx, "life", 1, 4, coopmap.Change{By: "carol", Note: "back to the draft"})
	if err != nil || v5.Version != 5 || v5.Title != "First title" {
		t.Fatalf("RevertTour = %+v, %v; want version 5 titled as version 1", v5, err)
	}
	_, err = e.RevertTour(ctx, "life", 99, 5, bob)
	wantCode(t, err, coopmap.CodeNotFound, "version")
	_, err = e.RevertTour(ctx, "life", 1, 4, bob)
	wantVersionConflict(t, err, 5, false)

	h := tourHistory(t, e, "life")
	if got, want := tourOps(h), "5:revert:carol 4:restore:alice 3:delete:bob! 2:update:bob 1:create:alice"; got != want {
		t.Fatalf("history = %s; want %s", got, want)
	}
	if h[0].Note != "back to the draft" || h[4].Note != "first draft" || h[0].At.IsZero() {
		t.Errorf("notes and times = %q %q %v", h[0].Note, h[4].Note, h[0].At)
	}
	if !slices.Equal(h[0].Fields, []string{"title"}) || !slices.Equal(h[3].Fields, []string{"title"}) || len(h[1].Fields) != 0 {
		t.Errorf("fields = %v %v %v; want [title] [title] []", h[0].Fields, h[3].Fields, h[1].Fields)
	}
	if want := []string{"title", "region", "stops", "route", "distance_m"}; !slices.Equal(h[4].Fields, want) {
		t.Errorf("fields of version 1 = %v; want %v", h[4].Fields, want)
	}
	first := h[4].Tour
	if first.ID != "life" || first.SourceID != "te-tours" || first.Version != 1 || first.Stops[0].FeatureID != "te-coops.a" ||
		first.Stops[1].Name != "Park" || len(first.Route) != 2 || first.DistanceM != 1500 {
		t.Errorf("version 1 content = %+v", first)
	}

	// DeleteSource takes the history with it.
	if err := s.DeleteSource(ctx, "te-tours"); err != nil {
		t.Fatal(err)
	}
	_, err = e.TourHistory(ctx, "life")
	wantCode(t, err, coopmap.CodeNotFound, "")
}

// Writer's tour methods keep history too, anonymously, and a deleted
// tour's id can be created again, continuing its versions.
func testTourEditWriterHistory(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	e := capability[coopmap.TourEditor](t, s)
	tour := tourEditFixture(t, s, "plain")
	v1, err := s.CreateTour(ctx, tour)
	if err != nil || v1.Version != 1 {
		t.Fatalf("CreateTour = %+v, %v", v1, err)
	}
	v1.Title = "Changed"
	if _, err := s.UpdateTour(ctx, v1); err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateTour(ctx, v1)
	wantVersionConflict(t, err, 2, false)
	if err := s.DeleteTour(ctx, "plain"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteTour(ctx, "plain"), coopmap.CodeNotFound, "")
	again, err := s.CreateTour(ctx, tour)
	if err != nil || again.Version != 4 {
		t.Fatalf("CreateTour over a tombstone = v%d, %v; want version 4", again.Version, err)
	}
	if got, want := tourOps(tourHistory(t, e, "plain")), "4:create: 3:delete:! 2:update: 1:create:"; got != want {
		t.Fatalf("history = %s; want %s", got, want)
	}
}

func testTourEditInvalid(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	e := capability[coopmap.TourEditor](t, s)
	tour := tourEditFixture(t, s, "bad")
	_, err := e.CreateTourAs(ctx, tour, coopmap.Change{Note: "nobody"})
	wantCode(t, err, coopmap.CodeInvalid, "by")
	_, err = e.CreateTourAs(ctx, tour, coopmap.Change{By: "x", Note: strings.Repeat("n", coopmap.MaxChangeNote+1)})
	wantCode(t, err, coopmap.CodeInvalid, "note")
	if _, err := e.TourHistory(ctx, "bad"); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Fatalf("a failed create left history: %v", err)
	}
	c := coopmap.Change{By: "x"}
	_, err = e.TourHistory(ctx, "nope")
	wantCode(t, err, coopmap.CodeNotFound, "")
	_, err = e.RestoreTour(ctx, "nope", 1, c)
	wantCode(t, err, coopmap.CodeNotFound, "")
	_, err = e.RevertTour(ctx, "nope", 1, 1, c)
	wantCode(t, err, coopmap.CodeNotFound, "")
	_, err = e.DeleteTourAs(ctx, "nope", 1, c)
	wantCode(t, err, coopmap.CodeNotFound, "")
	_, err = e.UpdateTourAs(ctx, tour, 1, c)
	wantCode(t, err, coopmap.CodeNotFound, "")

	if _, err := e.CreateTourAs(ctx, tour, c); err != nil {
		t.Fatal(err)
	}
	moved := tour
	moved.SourceID = "te-coops"
	_, err = e.UpdateTourAs(ctx, moved, 1, c)
	wantCode(t, err, coopmap.CodeInvalid, "source_id")
	empty := tour
	empty.Title = ""
	_, err = e.UpdateTourAs(ctx, empty, 1, c)
	wantCode(t, err, coopmap.CodeInvalid, "title")
	_, err = e.DeleteTourAs(ctx, "bad", 1, coopmap.Change{})
	if err != nil { // the empty Change is Writer's: allowed
		t.Fatalf("DeleteTourAs with the empty change: %v", err)
	}
	if got, want := tourOps(tourHistory(t, e, "bad")), "2:delete:! 1:create:x"; got != want {
		t.Fatalf("history = %s; want %s", got, want)
	}
}

// Of N concurrent updates based on the same version exactly one succeeds
// and the history gains exactly one version.
func testTourEditConcurrent(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	e := capability[coopmap.TourEditor](t, s)
	tour := tourEditFixture(t, s, "race")
	if _, err := e.CreateTourAs(ctx, tour, coopmap.Change{By: "setup"}); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		ok, stale int
	)
	for i := range n {
		wg.Go(func() {
			next := tour
			next.Title = fmt.Sprintf("Writer %d", i)
			_, err := e.UpdateTourAs(ctx, next, 1, coopmap.Change{By: fmt.Sprintf("w%d", i)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case coopmap.ErrorCode(err) == coopmap.CodeConflict:
				stale++
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if ok != 1 || stale != n-1 {
		t.Fatalf("%d succeeded and %d conflicted; want 1 and %d", ok, stale, n-1)
	}
	h := tourHistory(t, e, "race")
	cur, err := s.Tour(ctx, "race")
	if err != nil || len(h) != 2 || cur.Version != 2 || h[0].Tour.Title != cur.Title || h[0].By != "w"+strings.TrimPrefix(cur.Title, "Writer ") {
		t.Fatalf("after the race: tour %q v%d (%v), history %s", cur.Title, cur.Version, err, tourOps(h))
	}
}
