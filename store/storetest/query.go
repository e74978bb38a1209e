package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// pages walks a query forwards with Next, then back from the last page with
// Prev, and returns the ids of both walks (the backward walk in page order).
func pages(t *testing.T, s coopmap.Store, q coopmap.Query) (forward, backward []string) {
	t.Helper()
	var last coopmap.Page
	for i := 0; ; i++ {
		p := query(t, s, q)
		forward = append(forward, ids(p.Features)...)
		if i == 0 && p.Prev != "" {
			t.Errorf("first page of %+v has a prev cursor", q)
		}
		last = p
		if p.Next == "" {
			break
		}
		if i > 1000 {
			t.Fatal("pagination does not end")
		}
		q.After = p.Next
	}
	backward = ids(last.Features)
	q.After = ""
	for i := 0; last.Prev != ""; i++ {
		q.Before = last.Prev
		last = query(t, s, q)
		if last.Next == "" {
			t.Fatalf("a page reached with prev has no next cursor")
		}
		backward = append(ids(last.Features), backward...)
		if i > 1000 {
			t.Fatal("backward pagination does not end")
		}
	}
	return forward, backward
}

func testSortAndPrev(t *testing.T, s coopmap.Store) {
	var fs []coopmap.Feature
	names := []string{"Zeta", "alpha", "Émile", "", "Beta", "beta", "Alpha", "Zeta", "ß"}
	for i := range 23 {
		f := Point("s", fmt.Sprintf("k%02d", (i*7)%23), 0, 51)
		f.Name = names[i%len(names)]
		fs = append(fs, f)
	}
	replace(t, s, Source("s", coopmap.KindCoops), fs)
	byName := func(desc bool) []string {
		sorted := slices.Clone(fs)
		slices.SortFunc(sorted, func(a, b coopmap.Feature) int {
			c := strings.Compare(a.Name, b.Name)
			if c == 0 {
				c = strings.Compare(a.ID, b.ID)
			}
			if desc {
				c = -c
			}
			return c
		})
		return ids(sorted)
	}
	idsDesc := ids(fs)
	slices.Sort(idsDesc)
	slices.Reverse(idsDesc)
	for _, tc := range []struct {
		sort coopmap.Sort
		want []string
	}{
		{coopmap.Sort{Field: coopmap.SortName}, byName(false)},
		{coopmap.Sort{Field: coopmap.SortName, Desc: true}, byName(true)},
		{coopmap.Sort{Field: coopmap.SortID, Desc: true}, idsDesc},
	} {
		for _, limit := range []int{1, 4, 23, 100} {
			fwd, back := pages(t, s, coopmap.Query{Sort: tc.sort, Limit: limit})
			if !slices.Equal(fwd, tc.want) {
				t.Errorf("sort %+v limit %d: forward %v; want %v", tc.sort, limit, fwd, tc.want)
			}
			if !slices.Equal(back, tc.want) {
				t.Errorf("sort %+v limit %d: backward %v; want %v", tc.sort, limit, back, tc.want)
			}
		}
	}
	// The default order pages backwards too, with a bbox (another plan).
	box := geo.BBox{MinLon: -1, MinLat: 50, MaxLon: 1, MaxLat: 52}
	fwd, back := pages(t, s, coopmap.Query{BBox: &box, Limit: 5})
	if want := slices.Sorted(slices.Values(ids(fs))); !slices.Equal(fwd, want) || !slices.Equal(back, want) {
		t.Errorf("bbox pages: forward %v, backward %v; want %v", fwd, back, want)
	}

	ctx := context.Background()
	p := query(t, s, coopmap.Query{Sort: coopmap.Sort{Field: coopmap.SortName}, Limit: 3})
	_, err := s.Features(ctx, coopmap.Query{After: p.Next})
	wantCode(t, err, coopmap.CodeInvalid, "after")
	_, err = s.Features(ctx, coopmap.Query{Sort: coopmap.Sort{Field: coopmap.SortName, Desc: true}, After: p.Next})
	wantCode(t, err, coopmap.CodeInvalid, "after")
	_, err = s.Features(ctx, coopmap.Query{Sort: coopmap.Sort{Field: "geom"}})
	wantCode(t, err, coopmap.CodeInvalid, "sort")
	_, err = s.Features(ctx, coopmap.Query{Sort: coopmap.Sort{Field: coopmap.SortName}, After: p.Next, Before: p.Next})
	wantCode(t, err, coopmap.CodeInvalid, "before")
}

func testCursorTampered(t *testing.T, s coopmap.Store) {
	var fs []coopmap.Feature
	for i := range 5 {
		fs = append(fs, Point("c", fmt.Sprintf("k%d", i), 0, 51))
	}
	replace(t, s, Source("c", coopmap.KindCoops), fs)
	p := query(t, s, coopmap.Query{Limit: 2})
	if p.Next == "" {
		t.Fatal("no next cursor")
	}
	ctx := context.Background()
	for i := range len(p.Next) {
		b := []byte(p.Next)
		b[i] ^= 1
		if _, err := s.Features(ctx, coopmap.Query{After: string(b)}); coopmap.ErrorField(err) != "after" {
			t.Fatalf("cursor with byte %d changed: %v; want invalid after", i, err)
		}
	}
	for _, c := range []string{p.Next[:len(p.Next)-1], p.Next + "A", "", "=", coopmap.Cursor("")} {
		if c == "" {
			continue
		}
		if _, err := s.Features(ctx, coopmap.Query{Before: c}); coopmap.ErrorField(err) != "before" {
			t.Errorf("cursor %q: %v; want invalid before", c, err)
		}
	}
}

func testUpdatedAndStatus(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	a1, a2 := Point("a", "1", 0, 51), Point("a", "2", 0, 51)
	a2.Status = "Dissolved"
	replace(t, s, Source("a", coopmap.KindCoops), []coopmap.Feature{a1, a2})
	fa, err := s.Feature(ctx, a1.ID)
	if err != nil {
		t.Fatal(err)
	}
	// b must be stored in a later millisecond than a; wait for the clock,
	// not for a fixed time.
	for time.Since(fa.UpdatedAt) < 5*time.Millisecond {
		time.Sleep(time.Millisecond)
	}
	b1 := Point("b", "1", 0, 51)
	b1.Status = "Dissolved"
	replace(t, s, Source("b", coopmap.KindCoops), []coopmap.Feature{b1})
	fb, err := s.Feature(ctx, b1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !fb.UpdatedAt.After(fa.UpdatedAt) {
		t.Fatalf("b updated at %v, not after a at %v", fb.UpdatedAt, fa.UpdatedAt)
	}
	mid := fa.UpdatedAt.Add(time.Millisecond)
	for _, tc := range []struct {
		name string
		q    coopmap.Query
		want string
	}{
		{"instant a", coopmap.Query{Updated: coopmap.TimeRange{From: fa.UpdatedAt, To: fa.UpdatedAt}}, "a.1,a.2"},
		{"instant b", coopmap.Query{Updated: coopmap.TimeRange{From: fb.UpdatedAt, To: fb.UpdatedAt}}, "b.1"},
		{"from b", coopmap.Query{Updated: coopmap.TimeRange{From: fb.UpdatedAt}}, "b.1"},
		{"to a", coopmap.Query{Updated: coopmap.TimeRange{To: fa.UpdatedAt}}, "a.1,a.2"},
		{"to mid", coopmap.Query{Updated: coopmap.TimeRange{To: mid}}, "a.1,a.2"},
		{"a to b", coopmap.Query{Updated: coopmap.TimeRange{From: fa.UpdatedAt, To: fb.UpdatedAt}}, "a.1,a.2,b.1"},
		{"future", coopmap.Query{Updated: coopmap.TimeRange{From: fb.UpdatedAt.Add(time.Hour)}}, ""},
		{"status", coopmap.Query{Status: "Dissolved"}, "a.2,b.1"},
		{"status in a", coopmap.Query{Status: "Dissolved", Sources: []string{"a"}}, "a.2"},
		{"status no match", coopmap.Query{Status: "' OR 1=1 --"}, ""},
		{"sort updated desc", coopmap.Query{Sort: coopmap.Sort{Field: coopmap.SortUpdated, Desc: true}}, "b.1,a.2,a.1"},
		{"sort updated", coopmap.Query{Sort: coopmap.Sort{Field: coopmap.SortUpdated}}, "a.1,a.2,b.1"},
	} {
		p := query(t, s, tc.q)
		if got := strings.Join(ids(p.Features), ","); got != tc.want || p.Matched != len(p.Features) {
			t.Errorf("%s: got %q (matched %d); want %q", tc.name, got, p.Matched, tc.want)
		}
	}
	fwd, back := pages(t, s, coopmap.Query{Sort: coopmap.Sort{Field: coopmap.SortUpdated, Desc: true}, Limit: 1})
	if got := strings.Join(fwd, ","); got != "b.1,a.2,a.1" || !slices.Equal(fwd, back) {
		t.Errorf("updated desc pages: forward %v, backward %v", fwd, back)
	}
	_, err = s.Features(ctx, coopmap.Query{Updated: coopmap.TimeRange{From: fb.UpdatedAt, To: fa.UpdatedAt}})
	wantCode(t, err, coopmap.CodeInvalid, "updated")
}

func testSourceExtent(t *testing.T, s coopmap.Store) {
	ctx := context.Background()
	er, ok := s.(coopmap.ExtentReader)
	if !ok {
		t.Fatalf("%T does not implement coopmap.ExtentReader", s)
	}
	replace(t, s, Source("x", coopmap.KindCoops), []coopmap.Feature{
		Point("x", "1", -3.25, 51.5), Point("x", "2", 1.75, 55.125), Point("x", "3", -0.5, 50.25),
	})
	replace(t, s, Source("y", coopmap.KindCoops), []coopmap.Feature{Point("y", "1", 170, -40)})
	replace(t, s, Source("empty", coopmap.KindFeatures), nil)
	e, err := er.SourceExtent(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-4 // the GeoPackage store reads its R*Tree's float32 boxes
	want := geo.BBox{MinLon: -3.25, MinLat: 50.25, MaxLon: 1.75, MaxLat: 55.125}
	if b := e.BBox; b == nil || b.MinLon > want.MinLon || b.MinLon < want.MinLon-tol || b.MinLat > want.MinLat || b.MinLat < want.MinLat-tol ||
		b.MaxLon < want.MaxLon || b.MaxLon > want.MaxLon+tol || b.MaxLat < want.MaxLat || b.MaxLat > want.MaxLat+tol {
		t.Errorf("extent of x = %+v; want about %+v, never smaller", e.BBox, want)
	}
	f, err := s.Feature(ctx, "x.1")
	if err != nil {
		t.Fatal(err)
	}
	if !e.Updated.From.Equal(f.UpdatedAt) || !e.Updated.To.Equal(f.UpdatedAt) {
		t.Errorf("updated range %v; want %v both ends", e.Updated, f.UpdatedAt)
	}
	e, err = er.SourceExtent(ctx, "empty")
	if err != nil || e.BBox != nil || !e.Updated.IsZero() {
		t.Errorf("empty source: %+v, %v; want no bbox, no times", e, err)
	}
	_, err = er.SourceExtent(ctx, "missing")
	wantCode(t, err, coopmap.CodeNotFound, "")
}
