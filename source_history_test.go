package coopmap_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
)

func TestChangedSourceFields(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	full := coopmap.SourceMeta{Title: "T", Description: "D", Licence: coopmap.Licence{ID: "CC0-1.0"}, Attribution: "A",
		Owner: "O", Origin: "https://example.org/", RetrievedAt: at}
	other := full
	other.Licence.URL = "https://example.org/licence"
	other.Owner = ""
	other.RetrievedAt = at.In(time.FixedZone("BST", 3600)) // the same instant
	for _, c := range []struct {
		prev *coopmap.SourceMeta
		next coopmap.SourceMeta
		want string
	}{
		{nil, full, "[title description licence attribution owner origin retrieved_at]"},
		{nil, coopmap.SourceMeta{Licence: coopmap.Licence{ID: "CC0-1.0"}, Attribution: "A"}, "[licence attribution]"},
		{&full, full, "[]"},
		{&full, other, "[licence owner]"},
		{&other, full, "[licence owner]"},
	} {
		if got := fmt.Sprint(coopmap.ChangedSourceFields(c.prev, c.next)); got != c.want {
			t.Errorf("ChangedSourceFields(%+v, %+v) = %s; want %s", c.prev, c.next, got, c.want)
		}
	}
	vs := []coopmap.SourceVersion{{Version: 3, Meta: full}, {Version: 2, Meta: other}, {Version: 1, Meta: other}}
	coopmap.FillSourceFields(vs)
	if got := fmt.Sprint(vs[0].Fields, vs[1].Fields, vs[2].Fields); got != "[licence owner] [] [title description licence attribution origin retrieved_at]" {
		t.Errorf("FillSourceFields: %s", got)
	}
}

func TestSourceMetaRoundTrip(t *testing.T) {
	src := coopmap.Source{ID: "s", Kind: coopmap.KindCoops, Title: "Old", Licence: coopmap.Licence{ID: "CC0-1.0"}, Attribution: "A",
		FeatureCount: 3, Version: 7}
	m := src.Meta()
	m.Title, m.Owner = "New", "Owner"
	got := src.WithMeta(m)
	if got.Title != "New" || got.Owner != "Owner" || got.ID != "s" || got.Kind != coopmap.KindCoops || got.FeatureCount != 3 || got.Version != 7 || got.Meta() != m {
		t.Fatalf("WithMeta = %+v", got)
	}
	kept := coopmap.SourceVersion{Version: 1, Meta: src.Meta()}
	if r, err := coopmap.RevertedMeta(got, kept, 7); err != nil || r.Title != "Old" || r.Owner != "" || r.Version != 7 {
		t.Fatalf("RevertedMeta = %+v, %v", r, err)
	}
	if _, err := coopmap.RevertedMeta(got, kept, 6); coopmap.ErrorCode(err) != coopmap.CodeConflict {
		t.Fatalf("RevertedMeta on a stale version: %v; want a conflict", err)
	}
	if err := coopmap.SourceVersionNotFound("s", 9); coopmap.ErrorCode(err) != coopmap.CodeNotFound || coopmap.ErrorField(err) != "version" {
		t.Fatalf("SourceVersionNotFound = %v", err)
	}
	for _, c := range []struct {
		created, changed bool
		want             string
	}{{true, true, coopmap.OpCreate}, {true, false, coopmap.OpCreate}, {false, true, coopmap.OpImport}, {false, false, ""}} {
		if got := coopmap.ImportMetaOp(c.created, c.changed); got != c.want {
			t.Errorf("ImportMetaOp(%v, %v) = %q; want %q", c.created, c.changed, got, c.want)
		}
	}
}
