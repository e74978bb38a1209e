package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/coopmap/coopmap"
)

// byOps summarises a history as "version:op:by" newest first, with "!"
// after the op of a tombstone and "(note)" after a note.
func byOps(h []coopmap.Revision) string {
	var b []string
	for _, r := range h {
		s := r.Op
		if r.Deleted {
			s += "!"
		}
		s = fmt.Sprintf("%d:%s:%s", r.Version, s, r.By)
		if r.Note != "" {
			s += "(" + r.Note + ")"
		}
		b = append(b, s)
	}
	return strings.Join(b, " ")
}

// replaceAs is replace with the Change c in the context.
func replaceAs(t *testing.T, s coopmap.Store, c coopmap.Change, src coopmap.Source, fs []coopmap.Feature) coopmap.ReplaceResult {
	t.Helper()
	r, err := s.ReplaceSource(coopmap.WithChange(context.Background(), c), src, Seq(fs))
	if err != nil {
		t.Fatalf("ReplaceSource(%s, %d features) by %q: %v", src.ID, len(fs), c.By, err)
	}
	return r
}

// testImportAttributed: a ReplaceSource whose context carries a Change
// (coopmap.WithChange, as an upload through the write API) writes its By
// and Note on every version it makes: records added, changed, re-added
// and tombstoned, and the source's metadata version. Those versions stay
// attributed when later imports and edits supersede them; an import
// without a Change leaves By empty; an invalid Change changes nothing.
func testImportAttributed(t *testing.T, s coopmap.Store) {
	e := editor(t, s)
	h := capability[coopmap.SourceHistory](t, s)
	ctx := context.Background()
	src := Source("att", coopmap.KindCoops)
	a, b, c := Point("att", "a", 0, 51), Point("att", "b", 0.1, 51), Point("att", "c", 0.2, 51)
	x := coopmap.Change{By: "owner-x", Note: "first upload"}

	// The import that creates the source.
	replaceAs(t, s, x, src, []coopmap.Feature{a, b, c})
	for _, id := range []string{a.ID, b.ID, c.ID} {
		if got := byOps(history(t, e, id)); got != "1:import:owner-x(first upload)" {
			t.Fatalf("history of %s after an attributed first import = %s", id, got)
		}
	}
	if got, want := sourceOps(sourceHistory(t, h, "att")), "1:create:owner-x[title description licence attribution owner origin retrieved_at]"; got != want {
		t.Fatalf("metadata history after an attributed first import = %s; want %s", got, want)
	}

	// An anonymous import (coopmap import) changes a: its new version has
	// no By, the attributed one before it keeps its own.
	a2 := a
	a2.Name = "From the CLI"
	if r := replace(t, s, src, []coopmap.Feature{a2, b, c}); r.Updated != 1 || r.Unchanged != 2 {
		t.Fatalf("anonymous re-import = %+v", r)
	}
	if got, want := byOps(history(t, e, a.ID)), "2:import: 1:import:owner-x(first upload)"; got != want {
		t.Fatalf("history of a after an anonymous re-import = %s; want %s", got, want)
	}

	// An attributed re-import that changes a and the metadata, keeps b
	// and drops c.
	y := coopmap.Change{By: "owner-y"}
	a3, renamed := a, src
	a3.Name = "From the upload"
	renamed.Title = "Renamed by the upload"
	if r := replaceAs(t, s, y, renamed, []coopmap.Feature{a3, b}); r.Updated != 1 || r.Unchanged != 1 || r.Removed != 1 {
		t.Fatalf("attributed re-import = %+v", r)
	}
	ha := history(t, e, a.ID)
	if got, want := byOps(ha), "3:import:owner-y 2:import: 1:import:owner-x(first upload)"; got != want || ha[0].Feature.Name != a3.Name || ha[1].Feature.Name != a2.Name {
		t.Fatalf("history of a after an attributed re-import = %s; want %s", got, want)
	}
	if got, want := byOps(history(t, e, b.ID)), "1:import:owner-x(first upload)"; got != want {
		t.Fatalf("history of the unchanged b = %s; want %s", got, want)
	}
	if got, want := byOps(history(t, e, c.ID)), "2:import!:owner-y 1:import:owner-x(first upload)"; got != want {
		t.Fatalf("history of c, removed by an attributed import = %s; want %s", got, want)
	}
	if dels, err := e.DeletedFeatures(ctx, "att", 10); err != nil || len(dels) != 1 || dels[0].By != "owner-y" {
		t.Fatalf("DeletedFeatures = %+v, %v; want c's tombstone by owner-y", dels, err)
	}
	if got, want := sourceOps(sourceHistory(t, h, "att")), "2:import:owner-y[title] 1:create:owner-x[title description licence attribution owner origin retrieved_at]"; got != want {
		t.Fatalf("metadata history after an attributed re-import = %s; want %s", got, want)
	}
	// The same import again changes nothing, history included.
	if r := replaceAs(t, s, y, renamed, []coopmap.Feature{a3, b}); r.Changed() {
		t.Fatalf("identical attributed re-import = %+v", r)
	}
	if got := byOps(history(t, e, a.ID)); got != "3:import:owner-y 2:import: 1:import:owner-x(first upload)" {
		t.Fatalf("identical attributed re-import added history: %s", got)
	}

	// Re-adding c, then an edit of it: the re-added version keeps its By.
	z := coopmap.Change{By: "owner-z", Note: "c is back"}
	if r := replaceAs(t, s, z, renamed, []coopmap.Feature{a3, b, c}); r.Added != 1 {
		t.Fatalf("attributed re-adding import = %+v", r)
	}
	edited := c
	edited.Name = "Edited"
	if _, err := e.UpdateFeature(ctx, edited, 3, coopmap.Change{By: "editor"}); err != nil {
		t.Fatal(err)
	}
	if got, want := byOps(history(t, e, c.ID)), "4:update:editor 3:import:owner-z(c is back) 2:import!:owner-y 1:import:owner-x(first upload)"; got != want {
		t.Fatalf("history of c re-added, then edited = %s; want %s", got, want)
	}

	// An anonymous empty import tombstones everything without a By; the
	// attributed versions before the tombstones stay.
	if r := replace(t, s, renamed, nil); r.Removed != 3 {
		t.Fatalf("anonymous empty import = %+v", r)
	}
	if got, want := byOps(history(t, e, b.ID)), "2:import!: 1:import:owner-x(first upload)"; got != want {
		t.Fatalf("history of b after an anonymous empty import = %s; want %s", got, want)
	}
	// An attributed empty import: nothing to tombstone, but the metadata
	// change is attributed.
	back := renamed
	back.Title = src.Title
	replaceAs(t, s, coopmap.Change{By: "owner-x"}, back, nil)
	if vs := sourceHistory(t, h, "att"); len(vs) != 3 || vs[0].By != "owner-x" || vs[0].Op != coopmap.OpImport {
		t.Fatalf("metadata history after an attributed empty import = %s", sourceOps(vs))
	}

	// An invalid Change is refused before anything changes.
	before := source(t, s, "att")
	for _, tc := range []struct {
		c     coopmap.Change
		field string
	}{
		{coopmap.Change{}, "by"},
		{coopmap.Change{Note: "nobody"}, "by"},
		{coopmap.Change{By: strings.Repeat("x", coopmap.MaxChangeBy+1)}, "by"},
		{coopmap.Change{By: "owner-x", Note: strings.Repeat("n", coopmap.MaxChangeNote+1)}, "note"},
		{coopmap.Change{By: "bad\x00name"}, "by"},
	} {
		_, err := s.ReplaceSource(coopmap.WithChange(ctx, tc.c), src, Seq([]coopmap.Feature{a}))
		wantCode(t, err, coopmap.CodeInvalid, tc.field)
	}
	if after := source(t, s, "att"); after.Version != before.Version || after.FeatureCount != 0 {
		t.Fatalf("an import with an invalid Change wrote: %+v", after)
	}
}
