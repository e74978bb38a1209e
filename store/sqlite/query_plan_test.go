package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
	"github.com/coopmap/coopmap/store/storetest"
)

// explain returns the detail lines of SQLite's plan for stmt.
func explain(t *testing.T, s *Store, stmt string, args []any) string {
	t.Helper()
	rows, err := s.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+stmt, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN %s: %v", stmt, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var (
			id, parent, unused int
			detail             string
		)
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// TestSortPlans checks that a page of one source in name or update order,
// with or without a cursor and with a box when walked, reads the sort
// index of migration 0007 from the cursor on, without sorting. Plans are
// deterministic: no ANALYZE statistics are kept.
func TestSortPlans(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "plans.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var fs []coopmap.Feature
	for i := range 20 {
		fs = append(fs, storetest.Point("s", fmt.Sprint(i), float64(i%5), 50+float64(i/5)))
	}
	if _, err := s.ReplaceSource(ctx, storetest.Source("s", coopmap.KindCoops), storetest.Seq(fs)); err != nil {
		t.Fatal(err)
	}
	box := geo.BBox{MinLon: -1, MinLat: 49, MaxLon: 3, MaxLat: 52}
	across := geo.BBox{MinLon: 170, MinLat: 49, MaxLon: -170, MaxLat: 52}
	at := coopmap.Position{ID: "s.7", Name: "Co-op 7", Updated: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	back := at
	back.Before = true
	for _, field := range []coopmap.SortField{coopmap.SortName, coopmap.SortUpdated} {
		index := map[coopmap.SortField]string{coopmap.SortName: "features_source_name", coopmap.SortUpdated: "features_source_updated"}[field]
		for _, desc := range []bool{false, true} {
			for _, pos := range []coopmap.Position{{}, at, back} {
				for _, tc := range []struct {
					name string
					q    coopmap.Query
					p    plan
				}{
					{"no bbox", coopmap.Query{Sources: []string{"s"}}, planIndex},
					{"no bbox, filtered", coopmap.Query{Sources: []string{"s"}, Sector: "Food", Status: "Active"}, planIndex},
					{"walk", coopmap.Query{Sources: []string{"s"}, BBox: &box}, planWalk},
					{"walk across the antimeridian", coopmap.Query{Sources: []string{"s"}, BBox: &across}, planWalk},
					{"walk, filtered", coopmap.Query{Sources: []string{"s"}, BBox: &box, Sector: "Food", OrgType: "Worker co-operative",
						Updated: coopmap.TimeRange{From: at.Updated}, Text: "co op"}, planWalk},
				} {
					q := tc.q
					q.Sort, q.Limit = coopmap.Sort{Field: field, Desc: desc}, 50
					stmt, args := pageQuery(q, pos, tc.p)
					got := explain(t, s, stmt, args)
					where := fmt.Sprintf("%s %s desc=%v pos=%+v", tc.name, field, desc, pos)
					if !strings.Contains(got, "USING INDEX "+index+" (source_id=?") || strings.Contains(got, "TEMP B-TREE") {
						t.Errorf("%s: plan\n%s\nwant a search of %s and no sort", where, got, index)
					}
					if !pos.IsZero() && !strings.Contains(got, "USING INDEX "+index+" (source_id=? AND ") {
						t.Errorf("%s: plan\n%s\nwant a seek to the cursor", where, got)
					}
					if tc.p == planWalk && !strings.Contains(got, "VIRTUAL TABLE INDEX 1") {
						t.Errorf("%s: plan\n%s\nwant each row's R*Tree entry looked up by id", where, got)
					}
				}
			}
		}
	}
	// A box alone, or over several sources, keeps to the R*Tree.
	q := coopmap.Query{Sources: []string{"s", "t"}, BBox: &box, Sort: coopmap.Sort{Field: coopmap.SortName}, Limit: 50}
	stmt, args := pageQuery(q, coopmap.Position{}, planRTree)
	if got := explain(t, s, stmt, args); !strings.Contains(got, "SCAN r VIRTUAL TABLE INDEX 2") || strings.Contains(got, "features_source_name") {
		t.Errorf("bbox over two sources: plan\n%s\nwant the R*Tree's candidates sorted", got)
	}
}

func TestChoosePlan(t *testing.T) {
	box := &geo.BBox{MinLon: -1, MinLat: 49, MaxLon: 3, MaxLat: 52}
	byName := coopmap.Sort{Field: coopmap.SortName}
	for _, tc := range []struct {
		name          string
		q             coopmap.Query
		matched, size int
		want          plan
	}{
		{"no bbox", coopmap.Query{Sources: []string{"s"}, Sort: byName, Limit: 50}, 200_000, 200_000, planIndex},
		{"wide box", coopmap.Query{BBox: box, Sources: []string{"s"}, Sort: byName, Limit: 50}, 150_000, 200_000, planWalk},
		{"at the threshold", coopmap.Query{BBox: box, Sources: []string{"s"}, Sort: byName, Limit: 50}, 3194, 200_000, planWalk},
		{"below it", coopmap.Query{BBox: box, Sources: []string{"s"}, Sort: byName, Limit: 50}, 3193, 200_000, planRTree},
		{"large pages", coopmap.Query{BBox: box, Sources: []string{"s"}, Sort: byName, Limit: 10_000}, 26_000, 200_000, planRTree},
		{"by update", coopmap.Query{BBox: box, Sources: []string{"s"}, Sort: coopmap.Sort{Field: coopmap.SortUpdated, Desc: true}, Limit: 50}, 150_000, 200_000, planWalk},
		{"by id", coopmap.Query{BBox: box, Sources: []string{"s"}, Limit: 50}, 150_000, 200_000, planRTree},
		{"two sources", coopmap.Query{BBox: box, Sources: []string{"s", "t"}, Sort: byName, Limit: 50}, 150_000, 200_000, planRTree},
		{"every source", coopmap.Query{BBox: box, Sort: byName, Limit: 50}, 150_000, 200_000, planRTree},
		{"one page", coopmap.Query{BBox: box, Sources: []string{"s"}, Sort: byName, Limit: 50}, 50, 60, planRTree},
		{"unknown size", coopmap.Query{BBox: box, Sources: []string{"s"}, Sort: byName, Limit: 50}, 150_000, 0, planRTree},
	} {
		if got := choosePlan(tc.q, tc.matched, tc.size); got != tc.want {
			t.Errorf("%s: plan %d; want %d", tc.name, got, tc.want)
		}
	}
}
