package main

import (
	"bytes"
	"context"
	"iter"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/search"
)

// claimReader is a search.Reader with one co-op source claiming n
// records, whose features it never has to hold: the index refuses a
// store over its limit from the sources' counts alone.
type claimReader struct {
	n     int
	reads atomic.Int64
}

func (r *claimReader) Sources(ctx context.Context) ([]coopmap.Source, error) {
	return []coopmap.Source{{ID: "big", Kind: coopmap.KindCoops, Title: "big", Version: 1, FeatureCount: r.n}}, nil
}

func (r *claimReader) SourceFeatures(ctx context.Context, id string) iter.Seq2[coopmap.Feature, error] {
	r.reads.Add(1)
	return func(func(coopmap.Feature, error) bool) {}
}

// TestWarmSearchOverLimit checks what serve says at start about a store
// over the search index's limit (search.MaxRecords, without loading two
// million records): one error line naming the limit, the count and what
// it means, and no record read; a store within it logs nothing.
func TestWarmSearchOverLimit(t *testing.T) {
	var logs bytes.Buffer
	r := &claimReader{n: search.MaxRecords + 1}
	warmSearch(context.Background(), search.New(r, nil, search.Options{}), slog.New(slog.NewTextHandler(&logs, nil)))
	line := logs.String()
	for _, want := range []string{"level=ERROR", "search is off", "/search and /nearest answer 413", "at most 2000000 records", "hold 2000001"} {
		if !strings.Contains(line, want) {
			t.Errorf("the log does not say %q:\n%s", want, line)
		}
	}
	if n := r.reads.Load(); n != 0 {
		t.Errorf("%d sources read", n)
	}

	logs.Reset()
	warmSearch(context.Background(), search.New(&claimReader{n: search.MaxRecords}, nil, search.Options{}), slog.New(slog.NewTextHandler(&logs, nil)))
	if logs.Len() != 0 {
		t.Errorf("a store at the limit logged:\n%s", logs.String())
	}
}
