package importers

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"

	"github.com/coopmap/coopmap"
)

// memStore is a coopmap.Store in memory, enough of one for the engine:
// sources, features and an atomic ReplaceSource that counts changes by
// content hash. Tours are not supported.
type memStore struct {
	mu       sync.Mutex
	sources  map[string]coopmap.Source
	features map[string]map[string]coopmap.Feature // source → id → feature
	replaces int
}

func newMemStore() *memStore {
	return &memStore{sources: map[string]coopmap.Source{}, features: map[string]map[string]coopmap.Feature{}}
}

var _ coopmap.Store = (*memStore)(nil)

func (m *memStore) Ping(context.Context) error { return nil }
func (m *memStore) Close() error               { return nil }

func (m *memStore) Sources(context.Context) ([]coopmap.Source, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []coopmap.Source
	for _, s := range m.sources {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b coopmap.Source) int { return cmpString(a.ID, b.ID) })
	return out, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (m *memStore) Source(_ context.Context, id string) (coopmap.Source, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sources[id]
	if !ok {
		return s, coopmap.NotFoundf("no source %q", id)
	}
	return s, nil
}

func (m *memStore) Features(context.Context, coopmap.Query) (coopmap.Page, error) {
	return coopmap.Page{}, errors.New("memStore: Features is not implemented")
}

func (m *memStore) Feature(_ context.Context, id string) (coopmap.Feature, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, fs := range m.features {
		if f, ok := fs[id]; ok {
			return f, nil
		}
	}
	return coopmap.Feature{}, coopmap.NotFoundf("no feature %q", id)
}

// all returns a source's features in id order.
func (m *memStore) all(source string) []coopmap.Feature {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []coopmap.Feature
	for _, f := range m.features[source] {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b coopmap.Feature) int { return cmpString(a.ID, b.ID) })
	return out
}

func (m *memStore) SourceFeatures(ctx context.Context, source string) iter.Seq2[coopmap.Feature, error] {
	return func(yield func(coopmap.Feature, error) bool) {
		if _, err := m.Source(ctx, source); err != nil {
			yield(coopmap.Feature{}, err)
			return
		}
		for _, f := range m.all(source) {
			if !yield(f, nil) {
				return
			}
		}
	}
}

func (m *memStore) ReplaceSource(ctx context.Context, src coopmap.Source, features iter.Seq2[coopmap.Feature, error]) (coopmap.ReplaceResult, error) {
	var res coopmap.ReplaceResult
	if err := src.Validate(); err != nil {
		return res, err
	}
	m.mu.Lock()
	old, exists := m.sources[src.ID]
	oldFeatures := m.features[src.ID]
	m.mu.Unlock()
	if exists && old.Kind != src.Kind {
		return res, coopmap.Errorf(coopmap.CodeConflict, "kind change")
	}
	next := map[string]coopmap.Feature{}
	i := 0
	for f, err := range features {
		if err != nil {
			return res, fmt.Errorf("memstore: reading features[%d]: %w", i, err)
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if err := f.Validate(); err != nil {
			return res, fmt.Errorf("features[%d]: %w", i, err)
		}
		if _, dup := next[f.ID]; dup {
			return res, coopmap.Invalidf(fmt.Sprintf("features[%d].id", i), "repeated")
		}
		switch o, ok := oldFeatures[f.ID]; {
		case !ok:
			res.Added++
			f.Version = 1
		case o.Hash() == f.Hash():
			res.Unchanged++
			f = o
		default:
			res.Updated++
			f.Version = o.Version + 1
		}
		next[f.ID] = f
		i++
	}
	for id := range oldFeatures {
		if _, ok := next[id]; !ok {
			res.Removed++
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.replaces++
	src.FeatureCount = len(next)
	src.Version = old.Version
	if !exists || res.Changed() || old.Title != src.Title || old.Licence != src.Licence || old.Attribution != src.Attribution {
		src.Version++
	}
	m.sources[src.ID] = src
	m.features[src.ID] = next
	res.Source = src
	return res, nil
}

func (m *memStore) DeleteSource(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sources, id)
	delete(m.features, id)
	return nil
}

func (m *memStore) Tours(context.Context, string) ([]coopmap.Tour, error) { return nil, nil }
func (m *memStore) Tour(context.Context, string) (coopmap.Tour, error) {
	return coopmap.Tour{}, coopmap.NotFoundf("no tours here")
}
func (m *memStore) CreateTour(context.Context, coopmap.Tour) (coopmap.Tour, error) {
	return coopmap.Tour{}, errors.New("not implemented")
}
func (m *memStore) UpdateTour(context.Context, coopmap.Tour) (coopmap.Tour, error) {
	return coopmap.Tour{}, errors.New("not implemented")
}
func (m *memStore) DeleteTour(context.Context, string) error { return errors.New("not implemented") }
