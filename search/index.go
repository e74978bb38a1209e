package search

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/postcodes"
)

// MaxRecords bounds the records one Index holds over all its sources
// (about 300 bytes each, so some 600 MB at the limit), unless
// Options.MaxRecords sets another bound. A store whose co-op and overlay
// sources hold more makes Refresh fail with coopmap.CodeTooLarge without
// reading any record; Search and Nearest then fail the same way, or, when
// an earlier refresh succeeded, answer from that snapshot, which lacks the
// records added since. The count is the sources' FeatureCount; should
// those understate, reading stops one record past the bound.
const MaxRecords = 2_000_000

// Reader is what an Index reads from a store; coopmap.Reader (either
// store) has it.
type Reader interface {
	// Sources returns every source with its Version.
	Sources(ctx context.Context) ([]coopmap.Source, error)
	// SourceFeatures streams a source's features.
	SourceFeatures(ctx context.Context, sourceID string) iter.Seq2[coopmap.Feature, error]
}

// Options configure an Index. The zero value is ready to use.
type Options struct {
	// CheckEvery is how long Search and Nearest trust the index before
	// asking the store again for its sources' versions. Zero checks on
	// every call (one small query), so an import shows up in the very
	// next search.
	CheckEvery time.Duration
	// MaxRecords bounds the records the index holds; zero is the
	// package's MaxRecords. Tests set a small one.
	MaxRecords int
}

// overLimit is the error of a refresh refused because the store's
// indexed sources hold more records than limit: records is the sum of
// their feature counts as the store reports them, or, when those
// understate it, how far the index got.
func overLimit(records string, limit int) error {
	return coopmap.Errorf(coopmap.CodeTooLarge, "the search index holds at most %d records and the store's co-op and overlay sources hold %s; search and nearest cannot answer until records are removed", limit, records)
}

// maxRecords is the bound of Options.MaxRecords, or MaxRecords.
func (x *Index) maxRecords() int {
	if x.opts.MaxRecords > 0 {
		return x.opts.MaxRecords
	}
	return MaxRecords
}

// Index is an in-memory search index over every co-op and overlay source
// of a store (tours are not indexed), with a text index and a spatial
// index per source, and the postcode table for place search. It is safe
// for concurrent use. Searches read an immutable snapshot; a refresh
// rebuilds only the sources whose Version changed and swaps the snapshot
// in, one refresh at a time.
type Index struct {
	r      Reader
	places *postcodes.Table
	opts   Options

	snap      atomic.Pointer[snapshot]
	lastCheck atomic.Int64 // unix nanoseconds of the last successful check
	rebuild   sync.Mutex   // one rebuild at a time

	areaMu sync.Mutex
	areas  map[string]area // see places.go; bounded by the table's districts and sectors
}

// New returns an index over r, with place search from places (nil turns
// place search off). Nothing is read until the first Refresh, Search or
// Nearest.
func New(r Reader, places *postcodes.Table, opts Options) *Index {
	return &Index{r: r, places: places, opts: opts, areas: map[string]area{}}
}

// snapshot is one consistent state of the index: a shard per indexed
// source, ordered by source id.
type snapshot struct {
	shards []*shard
	byID   map[string]*shard
}

// shard indexes one source at one version.
type shard struct {
	src  coopmap.Source
	recs []record
	text *textIndex
	tree kdtree
	pool sync.Pool // of *scratch, sized for recs
}

// Sources returns the indexed sources (co-op and overlay sources), as
// of the last refresh, ordered by id.
func (x *Index) Sources() []coopmap.Source {
	s := x.snap.Load()
	if s == nil {
		return nil
	}
	out := make([]coopmap.Source, len(s.shards))
	for i, sh := range s.shards {
		out[i] = sh.src
	}
	return out
}

// indexed reports whether sources of kind k are searched.
func indexed(k coopmap.Kind) bool { return k == coopmap.KindCoops || k == coopmap.KindFeatures }

// current returns the snapshot to answer from, refreshing it first unless
// it was checked within Options.CheckEvery. When the check fails but an
// earlier snapshot exists, that snapshot answers (a store that is briefly
// down does not stop search); the context's own errors always return.
func (x *Index) current(ctx context.Context) (*snapshot, error) {
	s := x.snap.Load()
	if s != nil && x.opts.CheckEvery > 0 && time.Since(time.Unix(0, x.lastCheck.Load())) < x.opts.CheckEvery {
		return s, nil
	}
	ns, err := x.refresh(ctx)
	if err != nil {
		if ctx.Err() != nil || s == nil {
			return nil, err
		}
		return s, nil
	}
	return ns, nil
}

// Refresh brings the index up to date with the store: sources whose
// Version changed are re-read and re-indexed, new ones added, deleted ones
// dropped. It returns the store's error, or CodeTooLarge past MaxRecords
// (or Options.MaxRecords); the previous snapshot then stays in use.
func (x *Index) Refresh(ctx context.Context) error {
	_, err := x.refresh(ctx)
	return err
}

func (x *Index) refresh(ctx context.Context) (*snapshot, error) {
	seen := x.snap.Load()
	srcs, err := x.r.Sources(ctx)
	if err != nil {
		return nil, fmt.Errorf("search: reading sources: %w", err)
	}
	if seen != nil && seen.upToDate(srcs) {
		x.lastCheck.Store(time.Now().UnixNano())
		return seen, nil
	}
	x.rebuild.Lock()
	defer x.rebuild.Unlock()
	old := x.snap.Load()
	if old != seen {
		// Another caller rebuilt while this one waited, perhaps from a
		// newer answer: ask again, so an older answer never replaces a
		// newer snapshot.
		if srcs, err = x.r.Sources(ctx); err != nil {
			return nil, fmt.Errorf("search: reading sources: %w", err)
		}
	}
	if old != nil && old.upToDate(srcs) {
		x.lastCheck.Store(time.Now().UnixNano())
		return old, nil
	}
	// Refuse at once, before reading any record, when the store's own
	// counts are over the bound: a refresh is attempted by every search
	// while the index is out of date, so a failing one must be cheap.
	limit, declared := x.maxRecords(), 0
	for _, src := range srcs {
		if indexed(src.Kind) {
			declared += src.FeatureCount
		}
	}
	if declared > limit {
		return nil, overLimit(strconv.Itoa(declared), limit)
	}
	ns := &snapshot{byID: map[string]*shard{}}
	total := 0
	for _, src := range srcs {
		if !indexed(src.Kind) {
			continue
		}
		var sh *shard
		if old != nil {
			if o := old.byID[src.ID]; o != nil && o.src.Version == src.Version {
				sh = o
			}
		}
		if sh == nil {
			if sh, err = x.build(ctx, src, limit-total, limit); err != nil {
				return nil, err
			}
		}
		total += len(sh.recs)
		ns.shards = append(ns.shards, sh)
		ns.byID[src.ID] = sh
	}
	x.snap.Store(ns)
	x.lastCheck.Store(time.Now().UnixNano())
	return ns, nil
}

// upToDate reports whether s indexes exactly the indexed sources in srcs
// at their versions.
func (s *snapshot) upToDate(srcs []coopmap.Source) bool {
	n := 0
	for _, src := range srcs {
		if !indexed(src.Kind) {
			continue
		}
		sh := s.byID[src.ID]
		if sh == nil || sh.src.Version != src.Version {
			return false
		}
		n++
	}
	return n == len(s.shards)
}

// build reads and indexes one source, refusing more than room records
// (limit is the index's bound, for the error).
func (x *Index) build(ctx context.Context, src coopmap.Source, room, limit int) (*shard, error) {
	sh := &shard{src: src, text: newTextIndex()}
	for f, err := range x.r.SourceFeatures(ctx, src.ID) {
		if err != nil {
			return nil, fmt.Errorf("search: reading source %s: %w", src.ID, err)
		}
		if len(sh.recs) >= room {
			return nil, overLimit("more", limit)
		}
		sh.recs = append(sh.recs, newRecord(f))
	}
	for i := range sh.recs {
		sh.text.add(int32(i), &sh.recs[i])
	}
	sh.text.finish()
	sh.tree = newKDTree(sh.recs)
	return sh, nil
}

// pick returns the shards to search: all, or those named, in the order of
// the snapshot. An unknown or unindexed source is an invalid "source".
func (s *snapshot) pick(sources []string) ([]*shard, error) {
	if len(sources) == 0 {
		return s.shards, nil
	}
	out := make([]*shard, 0, len(sources))
	for _, id := range sources {
		sh := s.byID[id]
		if sh == nil {
			return nil, coopmap.Invalidf("source", "no co-op or overlay source %q", clip(id))
		}
		if !containsShard(out, sh) {
			out = append(out, sh)
		}
	}
	return out, nil
}

// sourcesOf returns the sources of n records, whose source ids id gives,
// once each, by id.
func (s *snapshot) sourcesOf(n int, id func(int) string) []coopmap.Source {
	var out []coopmap.Source
	for _, sh := range s.shards {
		for i := 0; i < n; i++ {
			if id(i) == sh.src.ID {
				out = append(out, sh.src)
				break
			}
		}
	}
	return out
}

func containsShard(list []*shard, sh *shard) bool {
	for _, o := range list {
		if o == sh {
			return true
		}
	}
	return false
}

// clip shortens a value for quoting in an error message.
func clip(s string) string {
	r := []rune(s)
	if len(r) <= 40 {
		return s
	}
	return string(r[:40]) + "…"
}
