package coopmap_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

func editFeature() coopmap.Feature {
	return coopmap.Feature{ID: "src.a", SourceID: "src", Name: "A", Sector: "Food",
		Geometry: orb.Point{-1.5, 53.8}, Precision: coopmap.PrecisionExact,
		Properties: map[string]any{"n": 1.0}}
}

func TestVersionConflict(t *testing.T) {
	var err error = &coopmap.VersionConflict{ID: "src.a", Current: 3, Given: 2, Deleted: true}
	wrapped := errors.Join(errors.New("context"), err)
	if coopmap.ErrorCode(wrapped) != coopmap.CodeConflict || !errors.Is(wrapped, coopmap.ErrConflict) || coopmap.ErrorField(wrapped) != "version" {
		t.Fatalf("code %q field %q; want conflict on version", coopmap.ErrorCode(wrapped), coopmap.ErrorField(wrapped))
	}
	var vc *coopmap.VersionConflict
	if !errors.As(wrapped, &vc) || vc.Current != 3 {
		t.Fatalf("errors.As = %v", vc)
	}
	if msg := err.Error(); !strings.Contains(msg, "version 3 (deleted)") || !strings.Contains(msg, "version 2") {
		t.Fatalf("message %q", msg)
	}
}

func TestRecordStateCheck(t *testing.T) {
	live := coopmap.RecordState{Live: true, Exists: true, SourceID: "src", Version: 4}
	dead := coopmap.RecordState{Exists: true, SourceID: "src", Version: 5}
	for _, tc := range []struct {
		name     string
		st       coopmap.RecordState
		v        int64
		wantLive bool
		code     coopmap.Code
		conflict bool // a *VersionConflict
	}{
		{"missing", coopmap.RecordState{}, 1, true, coopmap.CodeNotFound, false},
		{"live ok", live, 4, true, "", false},
		{"live stale", live, 3, true, coopmap.CodeConflict, true},
		{"live restore", live, 4, false, coopmap.CodeConflict, false},
		{"dead update", dead, 5, true, coopmap.CodeConflict, false},
		{"dead stale", dead, 4, true, coopmap.CodeConflict, true},
		{"dead restore", dead, 5, false, "", false},
	} {
		err := tc.st.Check("src.a", tc.v, tc.wantLive)
		var vc *coopmap.VersionConflict
		if coopmap.ErrorCode(err) != tc.code || errors.As(err, &vc) != tc.conflict || (err == nil) != (tc.code == "") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestRecordStateWrites covers the checks both stores' writes share:
// CheckNew, SameSource, RevertTo and UpdatedMeta.
func TestRecordStateWrites(t *testing.T) {
	live := coopmap.RecordState{Live: true, Exists: true, SourceID: "src", Version: 4}
	if err := live.CheckNew("src.a"); coopmap.ErrorCode(err) != coopmap.CodeConflict {
		t.Errorf("CheckNew of an existing id = %v", err)
	}
	if err := (coopmap.RecordState{}).CheckNew("src.a"); err != nil {
		t.Errorf("CheckNew of a new id = %v", err)
	}

	f := editFeature()
	f.SourceID = ""
	if got, err := live.SameSource(f); err != nil || got.SourceID != "src" {
		t.Errorf("SameSource without a source = %+v, %v", got, err)
	}
	f.SourceID = "other"
	if _, err := live.SameSource(f); coopmap.ErrorField(err) != "source_id" {
		t.Errorf("SameSource moving the record = %v", err)
	}

	cur, old := editFeature(), editFeature()
	old.Name = "Old"
	var read []string
	liveFn := func() (coopmap.Feature, error) { read = append(read, "live"); return cur, nil }
	keptFn := func(v int64) (coopmap.Revision, error) {
		read = append(read, "kept")
		if v != 2 {
			return coopmap.Revision{}, coopmap.NotFoundf("no version %d", v)
		}
		return coopmap.Revision{Version: 2, Feature: old}, nil
	}
	if got, err := live.RevertTo(4, liveFn, keptFn); err != nil || got.Name != "A" {
		t.Errorf("RevertTo the current version = %+v, %v", got, err)
	}
	if got, err := live.RevertTo(2, liveFn, keptFn); err != nil || got.Name != "Old" {
		t.Errorf("RevertTo a kept version = %+v, %v", got, err)
	}
	if _, err := live.RevertTo(3, liveFn, keptFn); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Errorf("RevertTo a missing version = %v", err)
	}
	if strings.Join(read, " ") != "live kept kept" {
		t.Errorf("reads %v; want the live record only for the current version", read)
	}

	src := coopmap.Source{ID: "src", Title: "Src", Kind: coopmap.KindCoops, Licence: coopmap.Licence{ID: "ODbL-1.0"}.Complete(),
		Attribution: "© someone", Version: 3}
	next := src
	next.Kind, next.Title = "", "Renamed"
	if got, err := coopmap.UpdatedMeta(src, next, 3); err != nil || got.Kind != coopmap.KindCoops || got.Title != "Renamed" {
		t.Errorf("UpdatedMeta = %+v, %v", got, err)
	}
	var vc *coopmap.VersionConflict
	if _, err := coopmap.UpdatedMeta(src, next, 2); !errors.As(err, &vc) || vc.Current != 3 {
		t.Errorf("UpdatedMeta on a stale version = %v", err)
	}
	next.Kind = coopmap.KindTours
	if _, err := coopmap.UpdatedMeta(src, next, 3); coopmap.ErrorField(err) != "kind" {
		t.Errorf("UpdatedMeta changing the kind = %v", err)
	}
	if _, err := coopmap.SuggestionsLimit("maybe", 0); coopmap.ErrorField(err) != "status" {
		t.Errorf("SuggestionsLimit with a bad status = %v", err)
	}
	if n, err := coopmap.SuggestionsLimit("", 0); err != nil || n != coopmap.MaxSuggestionsPage {
		t.Errorf("SuggestionsLimit default = %d, %v", n, err)
	}
}

func TestChangedFields(t *testing.T) {
	a := editFeature()
	b := a
	b.Name, b.Geometry = "B", orb.Point{-1.5, 53.81}
	b.Properties = map[string]any{"n": 2.0}
	b.Version, b.UpdatedAt = 9, time.Now() // not compared
	if got := coopmap.ChangedFields(&a, b); !slices.Equal(got, []string{"name", "properties", "geometry"}) {
		t.Fatalf("ChangedFields = %v", got)
	}
	c := a
	c.Geometry = orb.Point{-1.5 + 1e-12, 53.8} // below the stored precision
	c.Properties = map[string]any{"n": 1.0}
	if got := coopmap.ChangedFields(&a, c); len(got) != 0 {
		t.Fatalf("ChangedFields(same) = %v", got)
	}
	if got := coopmap.ChangedFields(nil, a); !slices.Equal(got, []string{"source_id", "name", "sector", "precision", "properties", "geometry"}) {
		t.Fatalf("ChangedFields(nil) = %v", got)
	}
}

func TestAssembleHistory(t *testing.T) {
	v1 := editFeature()
	v1.Version = 1
	v2 := v1
	v2.Name, v2.Version = "Edited", 2
	v3 := v2
	v3.Name, v3.Version = "Imported", 3
	kept := []coopmap.Revision{
		{FeatureID: "src.a", Version: 1, Op: coopmap.OpImport, Feature: v1},
		{FeatureID: "src.a", Version: 2, Op: coopmap.OpUpdate, By: "x", Feature: v2},
	}
	h := coopmap.AssembleHistory(&v3, kept)
	if len(h) != 3 || h[0].Version != 3 || h[0].Op != coopmap.OpImport || h[1].Version != 2 || h[2].Version != 1 {
		t.Fatalf("AssembleHistory = %+v", h)
	}
	if !slices.Equal(h[0].Fields, []string{"name"}) || !slices.Equal(h[1].Fields, []string{"name"}) || !slices.Contains(h[2].Fields, "geometry") {
		t.Fatalf("fields = %v %v %v", h[0].Fields, h[1].Fields, h[2].Fields)
	}
	// The live row is the newest kept version: not added twice.
	if h := coopmap.AssembleHistory(&v2, kept); len(h) != 2 || h[0].By != "x" {
		t.Fatalf("AssembleHistory(edited) = %+v", h)
	}
	if h := coopmap.AssembleHistory(nil, nil); h != nil {
		t.Fatalf("AssembleHistory(nothing) = %+v", h)
	}
}

func TestChangeValidate(t *testing.T) {
	if err := (coopmap.Change{By: "alice", Note: "ok"}).Validate(); err != nil {
		t.Fatal(err)
	}
	for field, c := range map[string]coopmap.Change{
		"by":   {Note: "x"},
		"note": {By: "a", Note: strings.Repeat("x", coopmap.MaxChangeNote+1)},
	} {
		if err := c.Validate(); coopmap.ErrorField(err) != field {
			t.Errorf("%+v: %v; want field %s", c, err, field)
		}
	}
}

func TestSuggestionValidateAndApplied(t *testing.T) {
	p := editFeature()
	p.ID, p.SourceID = "", ""
	s := coopmap.Suggestion{SourceID: "src", Proposed: p, ClientKey: "k"}
	if err := s.Validate(); err != nil {
		t.Fatalf("new-record suggestion: %v", err)
	}
	f, err := s.Applied(nil)
	if err != nil || !strings.HasPrefix(f.ID, "src.") || f.SourceID != "src" {
		t.Fatalf("Applied(new) = %+v, %v", f, err)
	}
	s.FeatureID = "src.a"
	if f, err := s.Applied(nil); err != nil || f.ID != "src.a" {
		t.Fatalf("Applied(correction) = %+v, %v", f, err)
	}
	other := p
	other.ID = "src.b"
	if _, err := s.Applied(&other); coopmap.ErrorField(err) != "id" {
		t.Fatalf("Applied(other record) = %v", err)
	}
	other = p
	other.SourceID = "elsewhere"
	if _, err := s.Applied(&other); coopmap.ErrorField(err) != "source_id" {
		t.Fatalf("Applied(other source) = %v", err)
	}
	bad := s
	bad.Proposed.Geometry = orb.Point{181, 0}
	if err := bad.Validate(); coopmap.ErrorField(err) != "proposed.geometry" {
		t.Fatalf("Validate(bad geometry) = %v", err)
	}
	bad = s
	bad.ClientKey = ""
	if err := bad.Validate(); coopmap.ErrorField(err) != "client_key" {
		t.Fatalf("Validate(no client) = %v", err)
	}
	if n := s.AcceptNote(coopmap.Change{By: "mod", Note: "ok"}); n != "suggested by anonymous (suggestion 0), accepted by mod: ok" {
		t.Fatalf("AcceptNote = %q", n)
	}
}

func TestEncodeProposed(t *testing.T) {
	s := coopmap.Suggestion{SourceID: "src", FeatureID: "src.a", Proposed: editFeature()}
	s.Proposed.Version = 7
	b, err := coopmap.EncodeProposed(s)
	if err != nil {
		t.Fatal(err)
	}
	f, err := coopmap.DecodeProposed(b)
	if err != nil || f.ID != "src.a" || f.Name != "A" || f.Version != 0 || f.Properties["n"] != 1.0 || f.Geometry != nil {
		t.Fatalf("round trip = %+v, %v", f, err)
	}
}
