package search

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

func search(t *testing.T, x *Index, text string) []Hit {
	t.Helper()
	res, err := x.Search(context.Background(), Query{Text: text})
	if err != nil {
		t.Fatalf("Search(%q): %v", text, err)
	}
	return res.Hits
}

func ids(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func TestSearchFirstHit(t *testing.T) {
	m := newMemReader()
	m.put("coops", coopmap.KindCoops, fixture()...)
	x := newTestIndex(t, m)
	for _, c := range []struct {
		q, want string
		field   Field
	}{
		// Exact, any case, any punctuation.
		{"Suma Wholefoods", "c.R000001", FieldName},
		{"SUMA", "c.R000001", FieldName},
		{"unicorn grocery", "c.R002167", FieldName},
		// Unfinished last word.
		{"unicorn gro", "c.R002167", FieldName},
		{"kingsb", "c.R008425", FieldName},
		{"bristol b", "c.R006281", FieldName},
		{"bs5 0", "c.R006281", FieldPostcode},
		// Typos: substitution, deletion, insertion, swap, two in a long word.
		{"sumo wholefoods", "c.R000001", FieldName},
		{"bristl bike", "c.R006281", FieldName},
		{"unicorn grocerry", "c.R002167", FieldName},
		{"uniocrn grocery", "c.R002167", FieldName},
		{"kingbsury comunity", "c.R008425", FieldName},
		// A typo in a word still being typed.
		{"wholfoo", "c.R000001", FieldName},
		// Accents either way.
		{"cafe mono", "c.R004093", FieldName},
		{"CAFÉ MONÖ", "c.R004093", FieldName},
		// Co-op spelled solid, hyphenated or spaced.
		{"brixton cooperative", "c.R000002", FieldName},
		{"brixton co-operative", "c.R000002", FieldName},
		{"bristol energy coop", "c.R000003", FieldName},
		// Other fields.
		{"stokes croft", "c.R004093", FieldAddress},
		{"HX5 9DB", "c.R008425", FieldPostcode},
		{"hx59db", "c.R008425", FieldPostcode},
		{"cf34 9yy", "c.R006884", FieldPostcode},
		{"agriculture", "c.R000004", FieldSector},
		{"workers", "c.R000001", FieldOrgType},
		// Words from two fields.
		{"grocery manchester", "c.R002167", FieldName},
	} {
		hits := search(t, x, c.q)
		if len(hits) == 0 || hits[0].ID != c.want || hits[0].Matched != c.field {
			got := "nothing"
			if len(hits) > 0 {
				got = fmt.Sprintf("%s (%s, %v)", hits[0].ID, hits[0].Matched, hits[0].Score)
			}
			t.Errorf("%q: first hit %s; want %s (%s); all %v", c.q, got, c.want, c.field, ids(hits))
		}
	}
}

func TestSearchRanking(t *testing.T) {
	m := newMemReader()
	m.put("coops", coopmap.KindCoops, fixture()...)
	x := newTestIndex(t, m)

	// "bristol": names holding the word come before "Bristolian" (a
	// prefix), which comes before records only addressed in Bristol.
	hits := search(t, x, "bristol")
	got := ids(hits)
	pos := func(id string) int {
		for i, g := range got {
			if g == id {
				return i
			}
		}
		t.Fatalf("bristol: %s missing from %v", id, got)
		return -1
	}
	if !(pos("c.R000003") < pos("c.R000005") && pos("c.R006281") < pos("c.R000005") && pos("c.R000005") < pos("c.R004093")) {
		t.Errorf("bristol: order %v", got)
	}
	if h := hits[pos("c.R004093")]; h.Matched != FieldAddress {
		t.Errorf("Café Mono matched %s; want address", h.Matched)
	}
	// Scores never rise down the list.
	for i := 1; i < len(hits); i++ {
		if hits[i].Score > hits[i-1].Score {
			t.Errorf("score rises at %d: %v", i, hits)
		}
	}

	// An exact name beats a typo of it.
	m.put("coops", coopmap.KindCoops, append(fixture(), coop("R000006", "Suma Wholefood", "", "", "", "", 0, 0))...)
	hits = search(t, x, "suma wholefood")
	if got := ids(hits); len(got) < 2 || got[0] != "c.R000006" || got[1] != "c.R000001" {
		t.Errorf("suma wholefood: %v; want the exact name, then the one-letter-longer", got)
	}

	// Short words must not match by typo: "bard" is not "bike".
	if hits := search(t, x, "bikr"); len(hits) != 1 || hits[0].ID != "c.R006281" {
		t.Errorf("bikr: %v", ids(hits))
	}
	if hits := search(t, x, "bik"); len(hits) != 1 {
		t.Errorf("bik (a prefix): %v", ids(hits))
	}
	if hits := search(t, x, "bxe"); len(hits) != 0 {
		t.Errorf("bxe: %v; want nothing (no typos in three letters)", ids(hits))
	}
	// A typo in a word of four letters must be in the whole word, not
	// a prefix: "suma" is not "Sum…" or "Hum…".
	hits = search(t, x, "sumo")
	for _, h := range hits {
		if !strings.HasPrefix(h.Name, "Suma ") {
			t.Errorf("sumo found %q", h.Name)
		}
	}
	if len(hits) != 2 {
		t.Errorf("sumo: %v", ids(hits))
	}
	// Digits never match by typo: BS5 is not BS6.
	for _, h := range search(t, x, "bs7") {
		t.Errorf("bs7 matched %s (%s)", h.ID, h.Postcode)
	}
}

func TestSearchFallsBackToMostWords(t *testing.T) {
	m := newMemReader()
	m.put("coops", coopmap.KindCoops, fixture()...)
	x := newTestIndex(t, m)
	// No record has "zebra", but two of three words match Suma.
	hits := search(t, x, "suma wholefoods zebra")
	if len(hits) == 0 || hits[0].ID != "c.R000001" {
		t.Errorf("partial match: %v", ids(hits))
	}
	// One word of two is not enough.
	if hits := search(t, x, "zebra qqqqq"); len(hits) != 0 {
		t.Errorf("no match: %v", ids(hits))
	}
}

func TestSearchLimitAndSources(t *testing.T) {
	m := newMemReader()
	m.put("coops", coopmap.KindCoops, fixture()...)
	m.put("overlay", coopmap.KindFeatures, coop("x1", "Bristol Community Orchard", "", "", "", "", -2.6, 51.45))
	m.put("tours", coopmap.KindTours)
	x := newTestIndex(t, m)
	ctx := context.Background()
	res, err := x.Search(ctx, Query{Text: "bristol", Limit: 2})
	if err != nil || len(res.Hits) != 2 {
		t.Fatalf("limit 2: %v %v", ids(res.Hits), err)
	}
	res, _ = x.Search(ctx, Query{Text: "bristol"})
	if len(res.Hits) != 5 {
		t.Errorf("both sources: %v", ids(res.Hits))
	}
	res, err = x.Search(ctx, Query{Text: "bristol", Sources: []string{"overlay"}})
	if err != nil || len(res.Hits) != 1 || res.Hits[0].SourceID != "overlay" {
		t.Errorf("overlay only: %v %v", ids(res.Hits), err)
	}
	for _, src := range []string{"nope", "tours"} {
		_, err = x.Search(ctx, Query{Text: "bristol", Sources: []string{src}})
		if coopmap.ErrorCode(err) != coopmap.CodeInvalid || coopmap.ErrorField(err) != "source" {
			t.Errorf("source %s: %v; want invalid source", src, err)
		}
	}
	got := []string{}
	for _, s := range x.Sources() {
		got = append(got, s.ID)
	}
	if strings.Join(got, ",") != "coops,overlay" {
		t.Errorf("Sources = %v; tours are not indexed", got)
	}
}

func TestSearchBadInput(t *testing.T) {
	m := newMemReader()
	m.put("coops", coopmap.KindCoops, fixture()...)
	x := newTestIndex(t, m)
	for _, c := range []struct {
		q     Query
		field string
	}{
		{Query{Text: ""}, "q"},
		{Query{Text: "   "}, "q"},
		{Query{Text: "!!! ???"}, "q"},
		{Query{Text: strings.Repeat("a", 10<<10)}, "q"},
		{Query{Text: "a\xffb"}, "q"},
		{Query{Text: "a b c d e f g h i"}, "q"},
		{Query{Text: "suma", Limit: -1}, "limit"},
		{Query{Text: "suma", Limit: MaxLimit + 1}, "limit"},
		{Query{Text: "suma", Sources: []string{"x' OR 1=1"}}, "source"},
	} {
		_, err := x.Search(context.Background(), c.q)
		if coopmap.ErrorCode(err) != coopmap.CodeInvalid || coopmap.ErrorField(err) != c.field {
			t.Errorf("%.30q limit %d: %v; want invalid %s", c.q.Text, c.q.Limit, err, c.field)
		}
	}
	// Words repeat harmlessly; MaxWords counts distinct words.
	if _, err := x.Search(context.Background(), Query{Text: strings.Repeat("suma ", 40)}); err != nil {
		t.Errorf("repeated word: %v", err)
	}
}

func TestRefresh(t *testing.T) {
	m := newMemReader()
	m.put("coops", coopmap.KindCoops, fixture()...)
	m.put("other", coopmap.KindFeatures, coop("o1", "Orchard", "", "", "", "", 0, 0))
	x := newTestIndex(t, m)
	if hits := search(t, x, "zanzibar"); len(hits) != 0 {
		t.Fatal(ids(hits))
	}
	before := x.snap.Load().byID["other"]

	// A replace bumps the version: the next search sees it.
	m.put("coops", coopmap.KindCoops, coop("Z", "Zanzibar Traders", "", "", "", "", 0, 0))
	if hits := search(t, x, "zanzibar"); len(hits) != 1 {
		t.Errorf("after replace: %v", ids(hits))
	}
	if hits := search(t, x, "suma"); len(hits) != 0 {
		t.Errorf("replaced records still found: %v", ids(hits))
	}
	// The unchanged source was not re-read.
	if x.snap.Load().byID["other"] != before {
		t.Error("unchanged source was rebuilt")
	}
	reads := m.reads.Load()
	search(t, x, "zanzibar")
	if m.reads.Load() != reads {
		t.Error("an unchanged store was re-read")
	}

	// A deleted source disappears.
	m.remove("other")
	if hits := search(t, x, "orchard"); len(hits) != 0 {
		t.Errorf("deleted source still found: %v", ids(hits))
	}

	// A store that fails after a first snapshot: the snapshot answers.
	m.setFail(errDown)
	if hits := search(t, x, "zanzibar"); len(hits) != 1 {
		t.Errorf("store down: %v", ids(hits))
	}
	if err := x.Refresh(context.Background()); !errors.Is(err, errDown) {
		t.Errorf("Refresh with the store down: %v", err)
	}
	// ... but with no snapshot yet there is nothing to answer from.
	if _, err := newTestIndex(t, m).Search(context.Background(), Query{Text: "x"}); !errors.Is(err, errDown) {
		t.Errorf("first search with the store down: %v", err)
	}
}

func TestCheckEvery(t *testing.T) {
	m := newMemReader()
	m.put("coops", coopmap.KindCoops, fixture()...)
	x := New(m, nil, Options{CheckEvery: time.Hour})
	for range 5 {
		search(t, x, "suma")
	}
	if n := m.calls.Load(); n != 1 {
		t.Errorf("%d store checks; want 1 within CheckEvery", n)
	}
	// Refresh always checks.
	m.put("coops", coopmap.KindCoops, coop("Z", "Zanzibar", "", "", "", "", 0, 0))
	if err := x.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hits := search(t, x, "zanzibar"); len(hits) != 1 {
		t.Errorf("after Refresh: %v", ids(hits))
	}
}

func TestTooManyRecords(t *testing.T) {
	m := newMemReader()
	m.put("coops", coopmap.KindCoops, fixture()...)
	x := newTestIndex(t, m)
	sh, err := x.build(context.Background(), coopmap.Source{ID: "coops"}, 3, 3)
	if sh != nil || coopmap.ErrorCode(err) != coopmap.CodeTooLarge {
		t.Errorf("build past the limit: %v", err)
	}
}

// TestMaxRecords checks the index's bound with a small Options.MaxRecords
// (the real one would need 2,000,000 records): a store over it is refused
// from the sources' counts without reading a record, search and nearest
// say so, and an index built before the store grew past it keeps
// answering from what it has.
func TestMaxRecords(t *testing.T) {
	ctx := context.Background()
	m := newMemReader()
	m.put("coops", coopmap.KindCoops, fixture()...) // 10 records
	m.put("tours", coopmap.KindTours)               // not indexed
	x := New(m, nil, Options{MaxRecords: 9})
	err := x.Refresh(ctx)
	if coopmap.ErrorCode(err) != coopmap.CodeTooLarge || !strings.Contains(err.Error(), "at most 9 records") || !strings.Contains(err.Error(), "hold 10") {
		t.Fatalf("Refresh over the bound: %v", err)
	}
	if n := m.reads.Load(); n != 0 {
		t.Errorf("%d sources read; the counts alone should refuse", n)
	}
	if _, err := x.Search(ctx, Query{Text: "suma"}); coopmap.ErrorCode(err) != coopmap.CodeTooLarge {
		t.Errorf("Search over the bound: %v", err)
	}
	if _, err := x.Nearest(ctx, NearQuery{Point: orb.Point{-2.6, 51.5}}); coopmap.ErrorCode(err) != coopmap.CodeTooLarge {
		t.Errorf("Nearest over the bound: %v", err)
	}

	// A store whose counts understate is stopped one record past the bound.
	m.mu.Lock()
	src := m.sources["coops"]
	src.FeatureCount = 1
	m.sources["coops"] = src
	m.mu.Unlock()
	if err := x.Refresh(ctx); coopmap.ErrorCode(err) != coopmap.CodeTooLarge || !strings.Contains(err.Error(), "hold more") {
		t.Errorf("Refresh with understated counts: %v", err)
	}

	// Built at the bound, then grown past it: the old snapshot answers.
	x = New(m, nil, Options{MaxRecords: 10})
	m.put("coops", coopmap.KindCoops, fixture()...)
	if hits := search(t, x, "suma"); len(hits) != 1 {
		t.Fatalf("at the bound: %v", ids(hits))
	}
	m.put("orchards", coopmap.KindFeatures, coop("O1", "Zanzibar Orchard", "", "", "", "", 0, 51))
	if err := x.Refresh(ctx); coopmap.ErrorCode(err) != coopmap.CodeTooLarge {
		t.Errorf("Refresh past the bound: %v", err)
	}
	if hits := search(t, x, "suma"); len(hits) != 1 {
		t.Errorf("past the bound, the old snapshot: %v", ids(hits))
	}
	if hits := search(t, x, "zanzibar"); len(hits) != 0 {
		t.Errorf("past the bound, a record of the new source: %v", ids(hits))
	}
}

func TestCancelled(t *testing.T) {
	m := newMemReader()
	m.put("coops", coopmap.KindCoops, fixture()...)
	x := newTestIndex(t, m)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := x.Search(ctx, Query{Text: "suma"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestConcurrent runs searches, nearest queries and imports at once; run
// with -race.
func TestConcurrent(t *testing.T) {
	m := newMemReader()
	m.put("coops", coopmap.KindCoops, fixture()...)
	x := newTestIndex(t, m)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				if g == 0 && i%5 == 0 {
					m.put("coops", coopmap.KindCoops, fixture()...)
				}
				if _, err := x.Search(ctx, Query{Text: "bristol"}); err != nil {
					t.Error(err)
				}
				if _, err := x.Nearest(ctx, NearQuery{N: 3}); err != nil {
					t.Error(err)
				}
				x.Place("N22")
			}
		}()
	}
	wg.Wait()
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b         string
		full, prefix int
	}{
		{"bristol", "bristol", 0, 0},
		{"bristl", "bristol", 1, 1},
		{"brsitol", "bristol", 1, 1},
		{"bristool", "bristol", 1, 3}, // no prefix of bristol is as long
		{"bristo", "bristol", 1, 0},
		{"brist", "bristol", 2, 0},
		{"bristl", "bristolian", 3, 1},
		{"kitten", "sitting", 3, 2},
		{"café", "cafe", 1, 1},
		{"bike", "bik", 1, 3}, // prefixes shorter than the word do not count
	} {
		var rows []int
		full, prefix := editDistance([]rune(c.a), []rune(c.b), 2, &rows)
		wantFull, wantPrefix := min(c.full, 3), min(c.prefix, 3)
		if full != wantFull || prefix != wantPrefix {
			t.Errorf("editDistance(%q, %q) = %d, %d; want %d, %d", c.a, c.b, full, prefix, wantFull, wantPrefix)
		}
	}
}

func TestTokens(t *testing.T) {
	for _, c := range []struct {
		v    string
		f    field
		want string
	}{
		{"Brixton Energy Co-operative", fName, "brixton energy co cooperative operative"},
		{"The Co-op", fName, "the theco co coop op"},
		{"Café  Royal", fName, "cafe royal"},
		{"N22 6BH", fPostcode, "n22 6bh n226bh"},
		{"", fName, ""},
	} {
		if got := strings.Join(tokens(c.v, c.f), " "); got != c.want {
			t.Errorf("tokens(%q) = %q; want %q", c.v, got, c.want)
		}
	}
}
