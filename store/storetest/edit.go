package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// editTests cover the optional Editor and Moderation capabilities; both
// stores must have them.
var editTests = []contractTest{
	{"EditLifecycle", testEditLifecycle},
	{"EditTombstonesHidden", testEditTombstonesHidden},
	{"EditAndImport", testEditAndImport},
	{"ImportAttributed", testImportAttributed},
	{"EditInvalid", testEditInvalid},
	{"EditSourceMeta", testEditSourceMeta},
	{"EditConcurrentSameVersion", testEditConcurrentSameVersion},
	{"EditConcurrentMixed", testEditConcurrentMixed},
	{"Suggestions", testSuggestions},
	{"SuggestionsInvalid", testSuggestionsInvalid},
}

// editor returns s as a coopmap.Editor, failing the test when it is not
// one.
func editor(t *testing.T, s coopmap.Store) coopmap.Editor {
	t.Helper()
	return capability[coopmap.Editor](t, s)
}

// capability returns s as the optional interface T, failing the test
// when s does not implement it: both stores must.
func capability[T any](t *testing.T, s coopmap.Store) T {
	t.Helper()
	c, ok := s.(T)
	if !ok {
		t.Fatalf("%T does not implement %v", s, reflect.TypeFor[T]())
	}
	return c
}

// wantVersionConflict checks that err is a *VersionConflict at current.
func wantVersionConflict(t *testing.T, err error, current int64, deleted bool) {
	t.Helper()
	var vc *coopmap.VersionConflict
	if !errors.As(err, &vc) {
		t.Fatalf("got %v; want a *coopmap.VersionConflict", err)
	}
	if vc.Current != current || vc.Deleted != deleted || coopmap.ErrorCode(err) != coopmap.CodeConflict || !errors.Is(err, coopmap.ErrConflict) {
		t.Fatalf("got %#v (code %q); want current version %d, deleted %v, CodeConflict", vc, coopmap.ErrorCode(err), current, deleted)
	}
}

// wantPlainConflict checks that err is CodeConflict but no version conflict.
func wantPlainConflict(t *testing.T, err error) {
	t.Helper()
	wantCode(t, err, coopmap.CodeConflict, "")
	var vc *coopmap.VersionConflict
	if errors.As(err, &vc) {
		t.Fatalf("got a version conflict %v; want a plain conflict", err)
	}
}

// history reads a record's history, failing the test on error.
func history(t *testing.T, e coopmap.Editor, id string) []coopmap.Revision {
	t.Helper()
	h, err := e.FeatureHistory(context.Background(), id)
	if err != nil {
		t.Fatalf("FeatureHistory(%s): %v", id, err)
	}
	return h
}

// ops summarises a history as "version:op" newest first, with "!" for a
// tombstone.
func ops(h []coopmap.Revision) string {
	var b []string
	for _, r := range h {
		s := fmt.Sprintf("%d:%s", r.Version, r.Op)
		if r.Deleted {
			s += "!"
		}
		b = append(b, s)
	}
	return strings.Join(b, " ")
}

func source(t *testing.T, s coopmap.Store, id string) coopmap.Source {
	t.Helper()
	src, err := s.Source(context.Background(), id)
	if err != nil {
		t.Fatalf("Source(%s): %v", id, err)
	}
	return src
}

func testEditLifecycle(t *testing.T, s coopmap.Store) {
	e := editor(t, s)
	ctx := context.Background()
	imported := Point("ed", "a", -1.5, 53.8)
	replace(t, s, Source("ed", coopmap.KindCoops), []coopmap.Feature{imported, Point("ed", "b", -1.6, 53.9)})
	v0 := source(t, s, "ed").Version
	alice := coopmap.Change{By: "alice", Note: "from the AGM minutes"}

	// Create, with and without an id.
	n := Point("ed", "new", -1.55, 53.85)
	got, err := e.CreateFeature(ctx, n, alice)
	if err != nil {
		t.Fatalf("CreateFeature: %v", err)
	}
	if got.Version != 1 || got.ID != n.ID || got.Name != n.Name || got.UpdatedAt.IsZero() || !near(got.Geometry, n.Geometry) {
		t.Fatalf("CreateFeature = %+v; want %s at version 1", got, n.ID)
	}
	anon := Point("ed", "x", 0, 51)
	anon.ID = ""
	got, err = e.CreateFeature(ctx, anon, alice)
	if err != nil || !strings.HasPrefix(got.ID, "ed.") || got.Version != 1 {
		t.Fatalf("CreateFeature(no id) = %q v%d, %v; want an id in source ed", got.ID, got.Version, err)
	}
	_, err = e.CreateFeature(ctx, n, alice)
	wantPlainConflict(t, err)
	if src := source(t, s, "ed"); src.FeatureCount != 4 || src.Version <= v0 {
		t.Fatalf("after creates: count %d version %d; want 4 and above %d", src.FeatureCount, src.Version, v0)
	}

	// Update an imported record.
	upd := imported
	upd.Name = "Renamed Co-op"
	upd.SourceID = "" // the record's own
	got, err = e.UpdateFeature(ctx, upd, 1, alice)
	if err != nil || got.Version != 2 || got.Name != "Renamed Co-op" || got.SourceID != "ed" {
		t.Fatalf("UpdateFeature = %+v, %v; want the new name at version 2", got, err)
	}
	if f, err := s.Feature(ctx, imported.ID); err != nil || f.Name != "Renamed Co-op" || f.Version != 2 {
		t.Fatalf("Feature after update = %+v, %v", f, err)
	}
	_, err = e.UpdateFeature(ctx, upd, 1, alice)
	wantVersionConflict(t, err, 2, false)
	h := history(t, e, imported.ID)
	if ops(h) != "2:update 1:import" || h[0].By != "alice" || h[0].Note != alice.Note || h[1].By != "" ||
		!slices.Equal(h[0].Fields, []string{"name"}) || h[0].Feature.Name != "Renamed Co-op" || h[1].Feature.Name != imported.Name ||
		h[0].At.IsZero() || h[0].Feature.Version != 2 {
		t.Fatalf("history after update = %s %+v", ops(h), h)
	}

	// Delete, then everything that needs a live record refuses.
	bob := coopmap.Change{By: "bob"}
	del, err := e.DeleteFeature(ctx, imported.ID, 2, bob)
	if err != nil || del.Version != 3 || del.Name != "Renamed Co-op" {
		t.Fatalf("DeleteFeature = %+v, %v; want the last content at version 3", del, err)
	}
	_, err = s.Feature(ctx, imported.ID)
	wantCode(t, err, coopmap.CodeNotFound, "")
	_, err = e.DeleteFeature(ctx, imported.ID, 2, bob)
	wantVersionConflict(t, err, 3, true)
	_, err = e.DeleteFeature(ctx, imported.ID, 3, bob)
	wantPlainConflict(t, err)
	_, err = e.UpdateFeature(ctx, upd, 3, bob)
	wantPlainConflict(t, err)
	_, err = e.RevertFeature(ctx, imported.ID, 1, 3, bob)
	wantPlainConflict(t, err)
	_, err = e.CreateFeature(ctx, imported, bob)
	wantPlainConflict(t, err)
	if src := source(t, s, "ed"); src.FeatureCount != 3 {
		t.Fatalf("count after delete = %d; want 3", src.FeatureCount)
	}
	dels, err := e.DeletedFeatures(ctx, "ed", 0)
	if err != nil || len(dels) != 1 || dels[0].FeatureID != imported.ID || dels[0].Version != 3 || !dels[0].Deleted || dels[0].By != "bob" {
		t.Fatalf("DeletedFeatures = %+v, %v", dels, err)
	}

	// Restore and revert.
	_, err = e.RestoreFeature(ctx, imported.ID, 2, bob)
	wantVersionConflict(t, err, 3, true)
	_, err = e.RestoreFeature(ctx, n.ID, 1, bob)
	wantPlainConflict(t, err)
	got, err = e.RestoreFeature(ctx, imported.ID, 3, bob)
	if err != nil || got.Version != 4 || got.Name != "Renamed Co-op" {
		t.Fatalf("RestoreFeature = %+v, %v; want version 4 with the deleted content", got, err)
	}
	if dels, _ := e.DeletedFeatures(ctx, "ed", 0); len(dels) != 0 {
		t.Fatalf("DeletedFeatures after restore = %+v; want none", dels)
	}
	_, err = e.RevertFeature(ctx, imported.ID, 99, 4, bob)
	wantCode(t, err, coopmap.CodeNotFound, "to_version")
	got, err = e.RevertFeature(ctx, imported.ID, 1, 4, bob)
	if err != nil || got.Version != 5 || got.Name != imported.Name {
		t.Fatalf("RevertFeature = %+v, %v; want version 5 named %q", got, err, imported.Name)
	}
	h = history(t, e, imported.ID)
	if ops(h) != "5:revert 4:restore 3:delete! 2:update 1:import" {
		t.Fatalf("history = %s", ops(h))
	}
	if !slices.Equal(h[0].Fields, []string{"name"}) || len(h[1].Fields) != 0 || len(h[2].Fields) != 0 || h[2].Feature.Name != "Renamed Co-op" {
		t.Fatalf("history fields = %v %v %v", h[0].Fields, h[1].Fields, h[2].Fields)
	}
	if h = history(t, e, n.ID); ops(h) != "1:create" || h[0].By != "alice" || !slices.Contains(h[0].Fields, "geometry") {
		t.Fatalf("history of a created record = %s %+v", ops(h), h)
	}

	// Missing records.
	_, err = e.FeatureHistory(ctx, "ed.nothing")
	wantCode(t, err, coopmap.CodeNotFound, "")
	missing := Point("ed", "nothing", 0, 51)
	_, err = e.UpdateFeature(ctx, missing, 1, bob)
	wantCode(t, err, coopmap.CodeNotFound, "")
	_, err = e.DeleteFeature(ctx, missing.ID, 1, bob)
	wantCode(t, err, coopmap.CodeNotFound, "")
	_, err = e.RestoreFeature(ctx, missing.ID, 1, bob)
	wantCode(t, err, coopmap.CodeNotFound, "")

	// Deleting the source takes the history with it and frees the ids.
	if err := s.DeleteSource(ctx, "ed"); err != nil {
		t.Fatal(err)
	}
	_, err = e.FeatureHistory(ctx, imported.ID)
	wantCode(t, err, coopmap.CodeNotFound, "")
	replace(t, s, Source("ed2", coopmap.KindCoops), nil)
	moved := imported
	moved.SourceID = "ed2"
	if got, err := e.CreateFeature(ctx, moved, bob); err != nil || got.Version != 1 {
		t.Fatalf("CreateFeature of a freed id = %+v, %v", got, err)
	}
}

func testEditTombstonesHidden(t *testing.T, s coopmap.Store) {
	e := editor(t, s)
	ctx := context.Background()
	var fs []coopmap.Feature
	for i := range 10 {
		f := Point("tomb", fmt.Sprintf("%02d", i), -2+float64(i)*0.01, 52)
		f.Status = "active"
		f.Name = fmt.Sprintf("Bakery %02d", i)
		fs = append(fs, f)
	}
	replace(t, s, Source("tomb", coopmap.KindCoops), fs)
	gone := fs[3]
	if _, err := e.DeleteFeature(ctx, gone.ID, 1, coopmap.Change{By: "t"}); err != nil {
		t.Fatal(err)
	}
	box := geo.BBox{MinLon: -3, MinLat: 51, MaxLon: 0, MaxLat: 53}
	for name, q := range map[string]coopmap.Query{
		"all":    {Limit: 100},
		"source": {Sources: []string{"tomb"}, Limit: 100},
		"bbox":   {BBox: &box, Limit: 100},
		"text":   {Text: "bakery 03", Limit: 100},
		"sector": {Sector: "Food", Status: "active", Limit: 100},
		"name":   {Sort: coopmap.Sort{Field: coopmap.SortName}, Limit: 100},
	} {
		p := query(t, s, q)
		if slices.Contains(ids(p.Features), gone.ID) {
			t.Errorf("%s: a deleted record is listed", name)
		}
		if name != "text" && p.Matched != 9 {
			t.Errorf("%s: matched %d; want 9", name, p.Matched)
		}
	}
	n := 0
	for f, err := range s.SourceFeatures(ctx, "tomb") {
		if err != nil {
			t.Fatal(err)
		}
		if f.ID == gone.ID {
			t.Error("SourceFeatures yields a deleted record")
		}
		n++
	}
	if n != 9 {
		t.Errorf("SourceFeatures yields %d; want 9", n)
	}
	if src := source(t, s, "tomb"); src.FeatureCount != 9 {
		t.Errorf("count = %d; want 9", src.FeatureCount)
	}
	if tr, ok := s.(coopmap.TileReader); ok {
		for f, err := range tr.TileFeatures(ctx, coopmap.TileQuery{SourceID: "tomb", BBox: box}) {
			if err != nil {
				t.Fatal(err)
			}
			if f.ID == gone.ID {
				t.Error("TileFeatures yields a deleted record")
			}
		}
	}
	// A tour stop on the deleted record is unresolved.
	replace(t, s, Source("tomb-tours", coopmap.KindTours), nil)
	tour, err := s.CreateTour(ctx, coopmap.Tour{ID: "tomb-tour", SourceID: "tomb-tours", Title: "T",
		Stops: []coopmap.Stop{{FeatureID: fs[0].ID}, {FeatureID: fs[1].ID}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.DeleteFeature(ctx, fs[1].ID, 1, coopmap.Change{By: "t"}); err != nil {
		t.Fatal(err)
	}
	if tour, err = s.Tour(ctx, tour.ID); err != nil || !tour.Stops[1].Unresolved || tour.Stops[0].Unresolved {
		t.Fatalf("tour after deleting its stop's record = %+v, %v", tour.Stops, err)
	}
}

func testEditAndImport(t *testing.T, s coopmap.Store) {
	e := editor(t, s)
	ctx := context.Background()
	src := Source("imp", coopmap.KindCoops)
	a, b, c := Point("imp", "a", 0, 51), Point("imp", "b", 0.1, 51), Point("imp", "c", 0.2, 51)
	replace(t, s, src, []coopmap.Feature{a, b, c})
	edited := a
	edited.Name = "Edited"
	if _, err := e.UpdateFeature(ctx, edited, 1, coopmap.Change{By: "owner"}); err != nil {
		t.Fatal(err)
	}
	// A re-import is the source's whole content: it overwrites the edit
	// and tombstones what it lacks.
	a2 := a
	a2.Name = "From the file"
	r := replace(t, s, src, []coopmap.Feature{a2, b})
	if r.Updated != 1 || r.Removed != 1 || r.Unchanged != 1 {
		t.Fatalf("re-import = %+v", r)
	}
	if h := history(t, e, a.ID); ops(h) != "3:import 2:update 1:import" || h[0].Feature.Name != "From the file" || h[1].Feature.Name != "Edited" {
		t.Fatalf("history of an edited, re-imported record = %s", ops(h))
	}
	if h := history(t, e, c.ID); ops(h) != "2:import! 1:import" || h[0].Feature.Name != c.Name {
		t.Fatalf("history of a record an import removed = %s", ops(h))
	}
	if dels, err := e.DeletedFeatures(ctx, "imp", 10); err != nil || len(dels) != 1 || dels[0].FeatureID != c.ID {
		t.Fatalf("DeletedFeatures = %+v, %v", dels, err)
	}
	// An identical re-import changes nothing, history included.
	if r := replace(t, s, src, []coopmap.Feature{a2, b}); r.Changed() {
		t.Fatalf("identical re-import changed %+v", r)
	}
	if h := history(t, e, a.ID); len(h) != 3 {
		t.Fatalf("identical re-import added history: %s", ops(h))
	}
	// An import that holds a deleted record again brings it back at the
	// version after its tombstone.
	if r := replace(t, s, src, []coopmap.Feature{a2, b, c}); r.Added != 1 {
		t.Fatalf("re-adding import = %+v", r)
	}
	if f, err := s.Feature(ctx, c.ID); err != nil || f.Version != 3 {
		t.Fatalf("re-added record = %+v, %v; want version 3", f, err)
	}
	if h := history(t, e, c.ID); ops(h) != "3:import 2:import! 1:import" {
		t.Fatalf("history of a re-added record = %s", ops(h))
	}
	if dels, _ := e.DeletedFeatures(ctx, "imp", 10); len(dels) != 0 {
		t.Fatalf("DeletedFeatures after re-adding = %+v", dels)
	}
	// Edits after an import revert to the imported content.
	if f, err := e.RevertFeature(ctx, a.ID, 2, 3, coopmap.Change{By: "owner"}); err != nil || f.Name != "Edited" || f.Version != 4 {
		t.Fatalf("RevertFeature to the edit = %+v, %v", f, err)
	}
	if h := history(t, e, a.ID); ops(h) != "4:revert 3:import 2:update 1:import" {
		t.Fatalf("history = %s", ops(h))
	}
	// Restoring a record deleted by an import.
	replace(t, s, src, []coopmap.Feature{a2})
	if f, err := e.RestoreFeature(ctx, b.ID, 2, coopmap.Change{By: "owner"}); err != nil || f.Version != 3 || f.Name != b.Name {
		t.Fatalf("RestoreFeature after an import removed it = %+v, %v", f, err)
	}
	if n := source(t, s, "imp").FeatureCount; n != 2 {
		t.Fatalf("count = %d; want 2", n)
	}
	// An empty import tombstones every record.
	if r := replace(t, s, src, nil); r.Removed != 2 {
		t.Fatalf("empty re-import = %+v", r)
	}
	if dels, err := e.DeletedFeatures(ctx, "imp", 10); err != nil || len(dels) != 3 {
		t.Fatalf("DeletedFeatures after an empty import = %d, %v; want 3", len(dels), err)
	}
	if h := history(t, e, a.ID); ops(h) != "6:import! 5:import 4:revert 3:import 2:update 1:import" || h[0].Feature.Name != "From the file" {
		t.Fatalf("history = %s", ops(h))
	}
}

// oneRecord stores the coops source id holding one point record, id.a
// at 0,51, and returns the record.
func oneRecord(t *testing.T, s coopmap.Store, id string) coopmap.Feature {
	t.Helper()
	f := Point(id, "a", 0, 51)
	replace(t, s, Source(id, coopmap.KindCoops), []coopmap.Feature{f})
	return f
}

func testEditInvalid(t *testing.T, s coopmap.Store) {
	e := editor(t, s)
	ctx := context.Background()
	f := oneRecord(t, s, "inv")
	replace(t, s, Source("inv-tours", coopmap.KindTours), nil)
	c := coopmap.Change{By: "t"}
	bad := func(mod func(*coopmap.Feature)) coopmap.Feature {
		g := f
		mod(&g)
		return g
	}
	cases := []struct {
		name  string
		f     coopmap.Feature
		field string
	}{
		{"longitude", bad(func(g *coopmap.Feature) { g.Geometry = orb.Point{200, 51} }), "geometry"},
		{"open ring", bad(func(g *coopmap.Feature) {
			g.Geometry = orb.Polygon{{{0, 0}, {1, 0}, {1, 1}}}
		}), "geometry"},
		{"name", bad(func(g *coopmap.Feature) { g.Name = strings.Repeat("x", coopmap.MaxShort+1) }), "name"},
		{"description", bad(func(g *coopmap.Feature) { g.Description = strings.Repeat("x", coopmap.MaxText+1) }), "description"},
		{"properties", bad(func(g *coopmap.Feature) {
			g.Properties = map[string]any{"big": strings.Repeat("x", coopmap.MaxProperties)}
		}), "properties"},
		{"website", bad(func(g *coopmap.Feature) { g.Website = "javascript:alert(1)" }), "website"},
		{"precision", bad(func(g *coopmap.Feature) { g.Precision = "roughly" }), "precision"},
		{"source kind", bad(func(g *coopmap.Feature) { g.SourceID = "inv-tours" }), "source_id"},
		{"moved", bad(func(g *coopmap.Feature) { g.SourceID = "inv-other" }), "source_id"},
	}
	for _, tc := range cases {
		_, err := e.UpdateFeature(ctx, tc.f, 1, c)
		wantCode(t, err, coopmap.CodeInvalid, tc.field)
		nf := tc.f
		nf.ID = coopmap.FeatureID(nf.SourceID, "new-"+strings.ReplaceAll(tc.name, " ", "-"))
		_, err = e.CreateFeature(ctx, nf, c)
		if tc.name == "moved" {
			wantCode(t, err, coopmap.CodeInvalid, "source_id") // no such source
			continue
		}
		wantCode(t, err, coopmap.CodeInvalid, tc.field)
	}
	for _, ch := range []struct {
		c     coopmap.Change
		field string
	}{
		{coopmap.Change{}, "by"},
		{coopmap.Change{By: strings.Repeat("x", coopmap.MaxChangeBy+1)}, "by"},
		{coopmap.Change{By: "t", Note: strings.Repeat("x", coopmap.MaxChangeNote+1)}, "note"},
		{coopmap.Change{By: "t\x00"}, "by"},
	} {
		_, err := e.UpdateFeature(ctx, f, 1, ch.c)
		wantCode(t, err, coopmap.CodeInvalid, ch.field)
		_, err = e.DeleteFeature(ctx, f.ID, 1, ch.c)
		wantCode(t, err, coopmap.CodeInvalid, ch.field)
	}
	_, err := e.DeletedFeatures(ctx, "inv", coopmap.MaxSuggestionsPage+1)
	wantCode(t, err, coopmap.CodeInvalid, "limit")
	_, err = e.DeletedFeatures(ctx, "nope", 0)
	wantCode(t, err, coopmap.CodeNotFound, "")
	// Nothing changed.
	if got, err := s.Feature(ctx, f.ID); err != nil || got.Version != 1 || got.Name != f.Name {
		t.Fatalf("record after refused edits = %+v, %v", got, err)
	}
	if h := history(t, e, f.ID); len(h) != 1 {
		t.Fatalf("refused edits left history: %s", ops(h))
	}
	if n := source(t, s, "inv").FeatureCount; n != 1 {
		t.Fatalf("count = %d", n)
	}
	// Script in a field is text, stored as sent.
	x := f
	x.Name = `<script>alert("x")</script>`
	if got, err := e.UpdateFeature(ctx, x, 1, c); err != nil || got.Name != x.Name {
		t.Fatalf("UpdateFeature with markup = %+v, %v", got, err)
	}
}

func testEditSourceMeta(t *testing.T, s coopmap.Store) {
	e := editor(t, s)
	ctx := context.Background()
	f := oneRecord(t, s, "meta")
	old := source(t, s, "meta")
	next := old
	next.Title = "Renamed register"
	next.Licence = coopmap.Licence{ID: "CC-BY-4.0"}.Complete()
	next.Attribution = "© Someone, CC BY 4.0"
	next.Owner = "Someone"
	next.Kind = ""
	got, err := e.UpdateSourceMeta(ctx, next, old.Version, coopmap.Change{By: "owner"})
	if err != nil || got.Version != old.Version+1 || got.Title != next.Title || got.Licence != next.Licence ||
		got.Attribution != next.Attribution || got.Owner != "Someone" || got.Kind != coopmap.KindCoops || got.FeatureCount != 1 {
		t.Fatalf("UpdateSourceMeta = %+v, %v", got, err)
	}
	if back := source(t, s, "meta"); back != got {
		t.Fatalf("Source = %+v; want %+v", back, got)
	}
	_, err = e.UpdateSourceMeta(ctx, next, old.Version, coopmap.Change{By: "owner"})
	wantVersionConflict(t, err, got.Version, false)
	bad := next
	bad.Kind = coopmap.KindFeatures
	_, err = e.UpdateSourceMeta(ctx, bad, got.Version, coopmap.Change{By: "owner"})
	wantCode(t, err, coopmap.CodeInvalid, "kind")
	bad = next
	bad.Attribution = ""
	_, err = e.UpdateSourceMeta(ctx, bad, got.Version, coopmap.Change{By: "owner"})
	wantCode(t, err, coopmap.CodeInvalid, "attribution")
	bad.ID = "nope"
	_, err = e.UpdateSourceMeta(ctx, bad, 1, coopmap.Change{By: "owner"})
	wantCode(t, err, coopmap.CodeNotFound, "")
	if g, err := s.Feature(ctx, f.ID); err != nil || g.Version != 1 {
		t.Fatalf("record after a metadata change = %+v, %v", g, err)
	}
}

func testEditConcurrentSameVersion(t *testing.T, s coopmap.Store) {
	e := editor(t, s)
	ctx := context.Background()
	f := oneRecord(t, s, "race")
	const writers = 100
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		won       []coopmap.Feature
		conflicts int
	)
	start := make(chan struct{})
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := f
			g.Name = fmt.Sprintf("Writer %d", i)
			<-start
			got, err := e.UpdateFeature(ctx, g, 1, coopmap.Change{By: fmt.Sprintf("w%d", i)})
			mu.Lock()
			defer mu.Unlock()
			var vc *coopmap.VersionConflict
			switch {
			case err == nil:
				won = append(won, got)
			case errors.As(err, &vc) && vc.Current == 2:
				conflicts++
			default:
				t.Errorf("writer %d: %v; want success or a conflict at version 2", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(won) != 1 || conflicts != writers-1 {
		t.Fatalf("%d successes and %d conflicts; want 1 and %d", len(won), conflicts, writers-1)
	}
	got, err := s.Feature(ctx, f.ID)
	if err != nil || got.Version != 2 || got.Name != won[0].Name {
		t.Fatalf("record = %+v, %v; want the winner %q at version 2", got, err, won[0].Name)
	}
	if h := history(t, e, f.ID); ops(h) != "2:update 1:import" || h[0].Feature.Name != won[0].Name {
		t.Fatalf("history = %s; want exactly one new version", ops(h))
	}
}

// accepted is one write the store accepted in the mixed test.
type accepted struct {
	version int64
	op      string
	name    string
}

func testEditConcurrentMixed(t *testing.T, s coopmap.Store) {
	e := editor(t, s)
	ctx := context.Background()
	const records, writers, writes = 20, 8, 1000
	var fs []coopmap.Feature
	for i := range records {
		fs = append(fs, Point("mixed", fmt.Sprintf("%02d", i), float64(i)*0.01, 51))
	}
	replace(t, s, Source("mixed", coopmap.KindCoops), fs)

	var (
		mu       sync.Mutex
		log      = make(map[string][]accepted)
		rejected int
		wg       sync.WaitGroup
	)
	per := writes / writers
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			c := coopmap.Change{By: fmt.Sprintf("writer-%d", w)}
			for i := range per {
				f := fs[rng.IntN(records)]
				h, err := e.FeatureHistory(ctx, f.ID)
				if err != nil {
					t.Errorf("FeatureHistory: %v", err)
					return
				}
				cur := h[0]
				name := fmt.Sprintf("w%d-%d", w, i)
				var got coopmap.Feature
				op := coopmap.OpUpdate
				switch r := rng.IntN(20); {
				case cur.Deleted:
					op = coopmap.OpRestore
					got, err = e.RestoreFeature(ctx, f.ID, cur.Version, c)
				case r == 0:
					op = coopmap.OpDelete
					got, err = e.DeleteFeature(ctx, f.ID, cur.Version, c)
				case r == 1:
					op = coopmap.OpRevert
					got, err = e.RevertFeature(ctx, f.ID, 1, cur.Version, c)
				default:
					g := f
					g.Name = name
					g.Geometry = orb.Point{rng.Float64(), 51 + rng.Float64()}
					got, err = e.UpdateFeature(ctx, g, cur.Version, c)
				}
				mu.Lock()
				switch {
				case err == nil:
					log[f.ID] = append(log[f.ID], accepted{got.Version, op, got.Name})
				case coopmap.ErrorCode(err) == coopmap.CodeConflict:
					rejected++
				default:
					t.Errorf("%s %s: %v", op, f.ID, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	total := 0
	for _, f := range fs {
		acc := log[f.ID]
		total += len(acc)
		slices.SortFunc(acc, func(a, b accepted) int { return int(a.version - b.version) })
		h := history(t, e, f.ID)
		// Versions 1…n with no gaps or repeats, one per accepted write
		// after the import.
		if len(h) != len(acc)+1 {
			t.Fatalf("%s: %d revisions for %d accepted writes: %s", f.ID, len(h), len(acc), ops(h))
		}
		for i, r := range h {
			if want := int64(len(h) - i); r.Version != want {
				t.Fatalf("%s: history versions %s; want %d…1", f.ID, ops(h), len(h))
			}
		}
		for _, a := range acc {
			r := h[int64(len(h))-a.version]
			if r.Op != a.op || r.Feature.Name != a.name || r.Deleted != (a.op == coopmap.OpDelete) {
				t.Fatalf("%s v%d: history %s %q; accepted %s %q", f.ID, a.version, r.Op, r.Feature.Name, a.op, a.name)
			}
		}
		got, err := s.Feature(ctx, f.ID)
		if len(acc) == 0 {
			if err != nil || got.Version != 1 {
				t.Fatalf("%s untouched = %+v, %v", f.ID, got, err)
			}
			continue
		}
		last := acc[len(acc)-1]
		if last.op == coopmap.OpDelete {
			wantCode(t, err, coopmap.CodeNotFound, "")
			continue
		}
		if err != nil || got.Version != last.version || got.Name != last.name {
			t.Fatalf("%s = v%d %q, %v; want the last accepted v%d %q", f.ID, got.Version, got.Name, err, last.version, last.name)
		}
	}
	if total+rejected != per*writers {
		t.Fatalf("%d accepted + %d rejected; want %d writes", total, rejected, per*writers)
	}
	live := 0
	for _, f := range fs {
		if _, err := s.Feature(ctx, f.ID); err == nil {
			live++
		}
	}
	if n := source(t, s, "mixed").FeatureCount; n != live {
		t.Fatalf("count = %d; want %d live records", n, live)
	}
	t.Logf("%d writes: %d accepted, %d conflicts", per*writers, total, rejected)
}

// moderation returns s as a coopmap.Moderation, failing the test when it
// is not one.
func moderation(t *testing.T, s coopmap.Store) coopmap.Moderation {
	t.Helper()
	return capability[coopmap.Moderation](t, s)
}

func testSuggestions(t *testing.T, s coopmap.Store) {
	e, m := editor(t, s), moderation(t, s)
	ctx := context.Background()
	a := oneRecord(t, s, "sg")

	fix := a
	fix.Name = "Corrected name"
	fix.Geometry = orb.Point{0.001, 51.001} // a moved marker
	corr, err := m.CreateSuggestion(ctx, coopmap.Suggestion{SourceID: "sg", FeatureID: a.ID, Proposed: fix,
		Name: "Pat", Contact: "pat@example.org", Note: "They moved", ClientKey: "k1", Status: "accepted"})
	if err != nil || corr.ID == 0 || corr.Status != coopmap.SuggestionPending || corr.BaseVersion != 1 || corr.CreatedAt.IsZero() ||
		corr.Proposed.Name != fix.Name || !near(corr.Proposed.Geometry, fix.Geometry) || corr.Contact != "pat@example.org" || corr.ClientKey != "k1" {
		t.Fatalf("CreateSuggestion(correction) = %+v, %v", corr, err)
	}
	nw := Point("sg", "ignored", 0.5, 51.5)
	nw.ID, nw.Name = "", "A new co-op"
	add, err := m.CreateSuggestion(ctx, coopmap.Suggestion{SourceID: "sg", Proposed: nw, ClientKey: "k2"})
	if err != nil || add.FeatureID != "" || add.BaseVersion != 0 {
		t.Fatalf("CreateSuggestion(new) = %+v, %v", add, err)
	}
	list, err := m.Suggestions(ctx, "sg", coopmap.SuggestionPending, 0)
	if err != nil || len(list) != 2 || list[0].ID != corr.ID || list[1].ID != add.ID {
		t.Fatalf("Suggestions = %+v, %v", list, err)
	}
	if one, err := m.Suggestion(ctx, corr.ID); err != nil || one.Note != "They moved" || one.Name != "Pat" {
		t.Fatalf("Suggestion = %+v, %v", one, err)
	}
	if n := source(t, s, "sg").FeatureCount; n != 1 {
		t.Fatalf("a suggestion changed the source: count %d", n)
	}

	// Accept the correction.
	mod := coopmap.Change{By: "moderator", Note: "checked"}
	_, _, err = m.AcceptSuggestion(ctx, corr.ID, nil, 7, mod)
	wantVersionConflict(t, err, 1, false)
	f, done, err := m.AcceptSuggestion(ctx, corr.ID, nil, 1, mod)
	if err != nil || f.Version != 2 || f.Name != fix.Name || !near(f.Geometry, fix.Geometry) ||
		done.Status != coopmap.SuggestionAccepted || done.DecidedBy != "moderator" || done.DecidedAt.IsZero() || done.FeatureVersion != 2 {
		t.Fatalf("AcceptSuggestion = %+v %+v, %v", f, done, err)
	}
	h := history(t, e, a.ID)
	if h[0].Op != coopmap.OpSuggestion || h[0].By != "moderator" || !strings.Contains(h[0].Note, "suggested by Pat") ||
		!strings.Contains(h[0].Note, "accepted by moderator") || strings.Contains(h[0].Note, "pat@example.org") ||
		!slices.Equal(h[0].Fields, []string{"name", "geometry"}) {
		t.Fatalf("history of an accepted suggestion = %+v", h[0])
	}
	_, _, err = m.AcceptSuggestion(ctx, corr.ID, nil, 2, mod)
	wantPlainConflict(t, err)
	_, err = m.RejectSuggestion(ctx, corr.ID, "no", mod)
	wantPlainConflict(t, err)

	// Accept a new record, edited by the moderator.
	edited := add.Proposed
	edited.Name = "A new co-op (checked)"
	f, done, err = m.AcceptSuggestion(ctx, add.ID, &edited, 0, mod)
	if err != nil || f.Version != 1 || f.Name != edited.Name || !strings.HasPrefix(f.ID, "sg.") || done.FeatureID != f.ID {
		t.Fatalf("AcceptSuggestion(new, edited) = %+v %+v, %v", f, done, err)
	}
	if h := history(t, e, f.ID); ops(h) != "1:suggestion" || !strings.Contains(h[0].Note, "suggested by anonymous") {
		t.Fatalf("history of an accepted new record = %s %+v", ops(h), h)
	}
	if n := source(t, s, "sg").FeatureCount; n != 2 {
		t.Fatalf("count = %d; want 2", n)
	}

	// A suggestion overtaken by an edit is refused until re-checked.
	late, err := m.CreateSuggestion(ctx, coopmap.Suggestion{SourceID: "sg", FeatureID: a.ID, Proposed: fix, ClientKey: "k1"})
	if err != nil || late.BaseVersion != 2 {
		t.Fatalf("CreateSuggestion = %+v, %v", late, err)
	}
	own := fix
	own.Name = "Owner's name"
	if _, err := e.UpdateFeature(ctx, own, 2, coopmap.Change{By: "owner"}); err != nil {
		t.Fatal(err)
	}
	_, _, err = m.AcceptSuggestion(ctx, late.ID, nil, 2, mod)
	wantVersionConflict(t, err, 3, false)
	bad := fix
	bad.ID = "sg.other"
	_, _, err = m.AcceptSuggestion(ctx, late.ID, &bad, 3, mod)
	wantCode(t, err, coopmap.CodeInvalid, "id")
	bad = fix
	bad.Geometry = orb.Point{0, 95}
	_, _, err = m.AcceptSuggestion(ctx, late.ID, &bad, 3, mod)
	wantCode(t, err, coopmap.CodeInvalid, "geometry")
	if sg, _ := m.Suggestion(ctx, late.ID); sg.Status != coopmap.SuggestionPending {
		t.Fatalf("refused acceptance changed the suggestion: %+v", sg)
	}
	rej, err := m.RejectSuggestion(ctx, late.ID, "the owner has corrected it", mod)
	if err != nil || rej.Status != coopmap.SuggestionRejected || rej.Reason != "the owner has corrected it" || rej.DecidedBy != "moderator" {
		t.Fatalf("RejectSuggestion = %+v, %v", rej, err)
	}
	if got, _ := s.Feature(ctx, a.ID); got.Name != "Owner's name" {
		t.Fatalf("a rejection changed the record: %+v", got)
	}
	for status, want := range map[string]int{"": 3, coopmap.SuggestionPending: 0, coopmap.SuggestionAccepted: 2, coopmap.SuggestionRejected: 1} {
		if list, err := m.Suggestions(ctx, "sg", status, 0); err != nil || len(list) != want {
			t.Errorf("Suggestions(%q) = %d, %v; want %d", status, len(list), err, want)
		}
	}
	if list, err := m.Suggestions(ctx, "sg", "", 1); err != nil || len(list) != 1 || list[0].ID != corr.ID {
		t.Errorf("Suggestions(limit 1) = %+v, %v", list, err)
	}

	// A correction to a deleted record cannot be accepted.
	again, err := m.CreateSuggestion(ctx, coopmap.Suggestion{SourceID: "sg", FeatureID: a.ID, Proposed: fix, ClientKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.DeleteFeature(ctx, a.ID, 3, coopmap.Change{By: "owner"}); err != nil {
		t.Fatal(err)
	}
	_, _, err = m.AcceptSuggestion(ctx, again.ID, nil, 4, mod)
	wantPlainConflict(t, err)

	// Deleting the source takes its suggestions.
	if err := s.DeleteSource(ctx, "sg"); err != nil {
		t.Fatal(err)
	}
	_, err = m.Suggestion(ctx, again.ID)
	wantCode(t, err, coopmap.CodeNotFound, "")
}

func testSuggestionsInvalid(t *testing.T, s coopmap.Store) {
	m := moderation(t, s)
	ctx := context.Background()
	a := oneRecord(t, s, "sgi")
	replace(t, s, Source("sgi-tours", coopmap.KindTours), nil)
	ok := coopmap.Suggestion{SourceID: "sgi", FeatureID: a.ID, Proposed: a, ClientKey: "k"}
	mod := func(f func(*coopmap.Suggestion)) coopmap.Suggestion {
		sg := ok
		f(&sg)
		return sg
	}
	for _, tc := range []struct {
		name  string
		sg    coopmap.Suggestion
		code  coopmap.Code
		field string
	}{
		{"no source", mod(func(sg *coopmap.Suggestion) { sg.SourceID = "nope"; sg.FeatureID = "" }), coopmap.CodeNotFound, ""},
		{"tours", mod(func(sg *coopmap.Suggestion) { sg.SourceID = "sgi-tours"; sg.FeatureID = "" }), coopmap.CodeInvalid, "source_id"},
		{"bad slug", mod(func(sg *coopmap.Suggestion) { sg.SourceID = "Bad Slug" }), coopmap.CodeInvalid, "source_id"},
		{"no record", mod(func(sg *coopmap.Suggestion) { sg.FeatureID = "sgi.nope" }), coopmap.CodeNotFound, "feature_id"},
		{"no client", mod(func(sg *coopmap.Suggestion) { sg.ClientKey = "" }), coopmap.CodeInvalid, "client_key"},
		{"note", mod(func(sg *coopmap.Suggestion) { sg.Note = strings.Repeat("x", coopmap.MaxSuggestionNote+1) }), coopmap.CodeInvalid, "note"},
		{"contact", mod(func(sg *coopmap.Suggestion) { sg.Contact = strings.Repeat("x", coopmap.MaxSuggestionContact+1) }), coopmap.CodeInvalid, "contact"},
		{"name", mod(func(sg *coopmap.Suggestion) { sg.Proposed.Name = strings.Repeat("x", coopmap.MaxShort+1) }), coopmap.CodeInvalid, "proposed.name"},
		{"geometry", mod(func(sg *coopmap.Suggestion) { sg.Proposed.Geometry = orb.Point{0, 91} }), coopmap.CodeInvalid, "proposed.geometry"},
		{"no geometry", mod(func(sg *coopmap.Suggestion) { sg.Proposed.Geometry = nil }), coopmap.CodeInvalid, "proposed.geometry"},
	} {
		_, err := m.CreateSuggestion(ctx, tc.sg)
		if err == nil {
			t.Fatalf("%s: no error", tc.name)
		}
		wantCode(t, err, tc.code, tc.field)
	}
	_, err := m.Suggestions(ctx, "sgi", "maybe", 0)
	wantCode(t, err, coopmap.CodeInvalid, "status")
	_, err = m.Suggestions(ctx, "sgi", "", coopmap.MaxSuggestionsPage+1)
	wantCode(t, err, coopmap.CodeInvalid, "limit")
	_, err = m.Suggestions(ctx, "nope", "", 0)
	wantCode(t, err, coopmap.CodeNotFound, "")
	_, err = m.Suggestion(ctx, 12345)
	wantCode(t, err, coopmap.CodeNotFound, "")
	_, _, err = m.AcceptSuggestion(ctx, 12345, nil, 1, coopmap.Change{By: "m"})
	wantCode(t, err, coopmap.CodeNotFound, "")
	_, err = m.RejectSuggestion(ctx, 12345, "", coopmap.Change{By: "m"})
	wantCode(t, err, coopmap.CodeNotFound, "")

	// Per-client limit, then the others still get through.
	for i := range coopmap.MaxPendingPerClient {
		if _, err := m.CreateSuggestion(ctx, mod(func(sg *coopmap.Suggestion) { sg.ClientKey = "busy" })); err != nil {
			t.Fatalf("suggestion %d: %v", i, err)
		}
	}
	_, err = m.CreateSuggestion(ctx, mod(func(sg *coopmap.Suggestion) { sg.ClientKey = "busy" }))
	wantCode(t, err, coopmap.CodeTooLarge, "")
	sg, err := m.CreateSuggestion(ctx, ok)
	if err != nil {
		t.Fatalf("another client: %v", err)
	}
	_, err = m.RejectSuggestion(ctx, sg.ID, strings.Repeat("x", coopmap.MaxSuggestionNote+1), coopmap.Change{By: "m"})
	wantCode(t, err, coopmap.CodeInvalid, "reason")
	_, err = m.RejectSuggestion(ctx, sg.ID, "", coopmap.Change{})
	wantCode(t, err, coopmap.CodeInvalid, "by")
}
