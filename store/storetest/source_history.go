package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/coopmap/coopmap"
)

// sourceHistoryTests cover the optional SourceHistory capability; both
// stores must have it.
var sourceHistoryTests = []contractTest{
	{"SourceHistoryLifecycle", testSourceHistoryLifecycle},
	{"SourceHistoryImport", testSourceHistoryImport},
	{"SourceHistoryConcurrent", testSourceHistoryConcurrent},
}

// sourceHistory reads a source's metadata history, failing the test on
// error.
func sourceHistory(t *testing.T, h coopmap.SourceHistory, id string) []coopmap.SourceVersion {
	t.Helper()
	vs, err := h.SourceMetaHistory(context.Background(), id)
	if err != nil {
		t.Fatalf("SourceMetaHistory(%s): %v", id, err)
	}
	return vs
}

// sourceOps summarises a metadata history as "version:op:by[fields]"
// newest first.
func sourceOps(vs []coopmap.SourceVersion) string {
	var b []string
	for _, v := range vs {
		b = append(b, fmt.Sprintf("%d:%s:%s%v", v.Version, v.Op, v.By, v.Fields))
	}
	return strings.Join(b, " ")
}

// sameMeta compares metadata, the retrieval times as instants.
func sameMeta(a, b coopmap.SourceMeta) bool {
	same := a.RetrievedAt.Equal(b.RetrievedAt)
	a.RetrievedAt = b.RetrievedAt
	return same && a == b
}

func testSourceHistoryLifecycle(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	e := editor(t, s)
	h := capability[coopmap.SourceHistory](t, s)
	first := Source("sh", coopmap.KindCoops)
	replace(t, s, first, []coopmap.Feature{Point("sh", "a", -0.1, 51.5)})

	v1 := sourceHistory(t, h, "sh")
	if got, want := sourceOps(v1), "1:create:[title description licence attribution owner origin retrieved_at]"; got != want {
		t.Fatalf("history after the first import = %s; want %s", got, want)
	}
	if !sameMeta(v1[0].Meta, first.Meta()) || v1[0].SourceID != "sh" || v1[0].At.IsZero() {
		t.Fatalf("version 1 = %+v; want the imported metadata %+v", v1[0], first.Meta())
	}

	cur := source(t, s, "sh")
	next := cur
	next.Title = "Renamed register"
	cur, err := e.UpdateSourceMeta(ctx, next, cur.Version, coopmap.Change{By: "alice", Note: "a better name"})
	if err != nil {
		t.Fatal(err)
	}
	next = cur
	next.Licence = coopmap.Licence{ID: "CC-BY-4.0"}.Complete()
	next.Attribution = "© Someone, CC BY 4.0"
	cur, err = e.UpdateSourceMeta(ctx, next, cur.Version, coopmap.Change{By: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	// A record edit moves the source's version but not its metadata.
	if _, err := e.CreateFeature(ctx, Point("sh", "b", -0.2, 51.6), coopmap.Change{By: "carol"}); err != nil {
		t.Fatal(err)
	}
	cur = source(t, s, "sh")

	// Failed reverts change nothing.
	_, err = h.RevertSourceMeta(ctx, "sh", 1, cur.Version-1, coopmap.Change{By: "dave"})
	wantVersionConflict(t, err, cur.Version, false)
	for _, v := range []int64{0, 4, 99} {
		_, err = h.RevertSourceMeta(ctx, "sh", v, cur.Version, coopmap.Change{By: "dave"})
		wantCode(t, err, coopmap.CodeNotFound, "version")
	}
	_, err = h.RevertSourceMeta(ctx, "sh", 1, cur.Version, coopmap.Change{})
	wantCode(t, err, coopmap.CodeInvalid, "by")
	_, err = h.RevertSourceMeta(ctx, "nope", 1, 1, coopmap.Change{By: "dave"})
	wantCode(t, err, coopmap.CodeNotFound, "")
	_, err = h.SourceMetaHistory(ctx, "nope")
	wantCode(t, err, coopmap.CodeNotFound, "")
	_, err = e.UpdateSourceMeta(ctx, next, cur.Version-1, coopmap.Change{By: "dave"})
	wantVersionConflict(t, err, cur.Version, false)

	got, err := h.RevertSourceMeta(ctx, "sh", 1, cur.Version, coopmap.Change{By: "dave", Note: "as imported"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != cur.Version+1 || !sameMeta(got.Meta(), first.Meta()) || got.Kind != coopmap.KindCoops || got.FeatureCount != 2 {
		t.Fatalf("RevertSourceMeta = %+v; want version %d with the metadata of version 1", got, cur.Version+1)
	}
	if back := source(t, s, "sh"); back != got {
		t.Fatalf("Source = %+v; want %+v", back, got)
	}

	vs := sourceHistory(t, h, "sh")
	want := "4:revert:dave[title licence attribution] 3:update:bob[licence attribution] 2:update:alice[title] " +
		"1:create:[title description licence attribution owner origin retrieved_at]"
	if got := sourceOps(vs); got != want {
		t.Fatalf("history = %s; want %s", got, want)
	}
	if !sameMeta(vs[0].Meta, vs[3].Meta) || vs[0].Note != "as imported" || vs[2].Note != "a better name" || vs[2].Meta.Title != "Renamed register" {
		t.Fatalf("history contents: %+v", vs)
	}
	for i := 1; i < len(vs); i++ {
		if vs[i].At.After(vs[i-1].At) {
			t.Fatalf("version %d is later than version %d", vs[i].Version, vs[i-1].Version)
		}
	}

	// A revert to the newest version is allowed and changes no field.
	got, err = h.RevertSourceMeta(ctx, "sh", 4, got.Version, coopmap.Change{By: "dave"})
	if err != nil {
		t.Fatal(err)
	}
	if vs := sourceHistory(t, h, "sh"); sourceOps(vs[:1]) != "5:revert:dave[]" {
		t.Fatalf("revert to the current version: %s", sourceOps(vs))
	}

	// The history goes with the source, and a new source starts anew.
	if err := s.DeleteSource(ctx, "sh"); err != nil {
		t.Fatal(err)
	}
	_, err = h.SourceMetaHistory(ctx, "sh")
	wantCode(t, err, coopmap.CodeNotFound, "")
	replace(t, s, first, nil)
	if vs := sourceHistory(t, h, "sh"); len(vs) != 1 || vs[0].Version != 1 || vs[0].Op != coopmap.OpCreate {
		t.Fatalf("history of a source made again = %s; want only 1:create", sourceOps(vs))
	}
}

// A re-import that changes the metadata is a version with Op import; one
// that changes only records, or nothing, makes none.
func testSourceHistoryImport(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	h := capability[coopmap.SourceHistory](t, s)
	src := Source("shi", coopmap.KindFeatures)
	fs := []coopmap.Feature{Point("shi", "a", 1, 2)}
	replace(t, s, src, fs)
	replace(t, s, src, fs)
	replace(t, s, src, append(fs, Point("shi", "b", 3, 4)))
	next := src
	next.Title = "Re-imported register"
	next.Owner = ""
	r := replace(t, s, next, fs)
	vs := sourceHistory(t, h, "shi")
	if got, want := sourceOps(vs), "2:import:[title owner] 1:create:[title description licence attribution owner origin retrieved_at]"; got != want {
		t.Fatalf("history = %s; want %s", got, want)
	}
	if !sameMeta(vs[0].Meta, r.Source.Meta()) || vs[0].By != "" {
		t.Fatalf("import version = %+v; want the source's metadata %+v", vs[0], r.Source.Meta())
	}
	// An import after an edit is a version too, and revert undoes it.
	e := editor(t, s)
	cur, err := e.UpdateSourceMeta(ctx, next.WithMeta(src.Meta()), r.Source.Version, coopmap.Change{By: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	r = replace(t, s, next, fs)
	if r.Source.Version != cur.Version+1 {
		t.Fatalf("re-import: source version %d; want %d", r.Source.Version, cur.Version+1)
	}
	if _, err := h.RevertSourceMeta(ctx, "shi", 3, r.Source.Version, coopmap.Change{By: "owner"}); err != nil {
		t.Fatal(err)
	}
	if got := sourceOps(sourceHistory(t, h, "shi")[:3]); got != "5:revert:owner[title owner] 4:import:[title owner] 3:update:owner[title owner]" {
		t.Fatalf("history = %s", got)
	}
	if got := source(t, s, "shi"); !sameMeta(got.Meta(), src.Meta()) {
		t.Fatalf("after the revert: %+v; want the first metadata", got)
	}

	// A tours source has a history too.
	replace(t, s, Source("shi-tours", coopmap.KindTours), nil)
	if got := sourceOps(sourceHistory(t, h, "shi-tours")); !strings.HasPrefix(got, "1:create:") {
		t.Fatalf("tours source history = %s", got)
	}
}

// Of N concurrent reverts and updates based on the same source version
// exactly one succeeds and the history gains exactly one version.
func testSourceHistoryConcurrent(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	e := editor(t, s)
	h := capability[coopmap.SourceHistory](t, s)
	replace(t, s, Source("shc", coopmap.KindCoops), nil)
	base := source(t, s, "shc")
	base.Title = "Second title"
	base, err := e.UpdateSourceMeta(ctx, base, base.Version, coopmap.Change{By: "setup"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		won       []coopmap.Source
		conflicts int
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			c := coopmap.Change{By: fmt.Sprintf("w%d", i)}
			<-start
			var (
				got coopmap.Source
				err error
			)
			if i%2 == 0 {
				got, err = h.RevertSourceMeta(ctx, "shc", 1, base.Version, c)
			} else {
				next := base
				next.Title = fmt.Sprintf("Writer %d", i)
				got, err = e.UpdateSourceMeta(ctx, next, base.Version, c)
			}
			mu.Lock()
			defer mu.Unlock()
			var vc *coopmap.VersionConflict
			switch {
			case err == nil:
				won = append(won, got)
			case errors.As(err, &vc) && vc.Current == base.Version+1:
				conflicts++
			default:
				t.Errorf("writer %d: %v; want success or a conflict at version %d", i, err, base.Version+1)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(won) != 1 || conflicts != n-1 {
		t.Fatalf("%d successes and %d conflicts; want 1 and %d", len(won), conflicts, n-1)
	}
	cur := source(t, s, "shc")
	vs := sourceHistory(t, h, "shc")
	if cur != won[0] || len(vs) != 3 || !sameMeta(vs[0].Meta, cur.Meta()) || vs[0].Version != 3 {
		t.Fatalf("after the race: source %+v (winner %+v), history %s", cur, won[0], sourceOps(vs))
	}
}

// SourceBeforeHistory makes source id in s, a coops source whose metadata
// has been edited once, for a store test that then removes the metadata
// history and its migration to check that the migration starts the
// history of existing sources (CheckSourceBaseline). It returns the source.
func SourceBeforeHistory(t *testing.T, s coopmap.Store, id string) coopmap.Source {
	t.Helper()
	replace(t, s, Source(id, coopmap.KindCoops), []coopmap.Feature{Point(id, "a", -0.1, 51.5)})
	src := source(t, s, id)
	src.Title = "Edited before history was kept"
	src, err := editor(t, s).UpdateSourceMeta(context.Background(), src, src.Version, coopmap.Change{By: "early"})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// CheckSourceBaseline checks the metadata history of src after the
// migration that adds it: one version, 1 with OpCreate, holding src's
// metadata as it was then; the next edit is version 2.
func CheckSourceBaseline(t *testing.T, s coopmap.Store, src coopmap.Source) {
	t.Helper()
	h := capability[coopmap.SourceHistory](t, s)
	vs := sourceHistory(t, h, src.ID)
	if len(vs) != 1 || vs[0].Version != 1 || vs[0].Op != coopmap.OpCreate || vs[0].By != "" || !sameMeta(vs[0].Meta, src.Meta()) {
		t.Fatalf("history after the migration = %s (%+v); want 1:create with the metadata %+v", sourceOps(vs), vs, src.Meta())
	}
	next := src
	next.Owner = "After the upgrade"
	if _, err := editor(t, s).UpdateSourceMeta(context.Background(), next, src.Version, coopmap.Change{By: "late"}); err != nil {
		t.Fatal(err)
	}
	if got := sourceOps(sourceHistory(t, h, src.ID)); !strings.HasPrefix(got, "2:update:late[owner] 1:create:") {
		t.Fatalf("history after an edit = %s; want 2:update:late[owner] first", got)
	}
}
