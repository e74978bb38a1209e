package search

import (
	"context"
	"errors"
	"iter"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/postcodes"
)

// memReader is a Reader over sources held in memory, which tests change
// between searches the way an import changes a store: a new Version per
// replace. Store-backed tests (both real stores, over HTTP) live in
// cmd/coopmap/search_test.go.
type memReader struct {
	mu       sync.Mutex
	sources  map[string]coopmap.Source
	features map[string][]coopmap.Feature
	version  int64
	fail     error
	calls    atomic.Int64 // Sources calls
	reads    atomic.Int64 // SourceFeatures calls
}

func newMemReader() *memReader {
	return &memReader{sources: map[string]coopmap.Source{}, features: map[string][]coopmap.Feature{}}
}

func (m *memReader) put(id string, kind coopmap.Kind, fs ...coopmap.Feature) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.version++
	m.sources[id] = coopmap.Source{ID: id, Kind: kind, Title: id, Licence: coopmap.Licence{ID: "CC0-1.0"}, Attribution: "test", Version: m.version, FeatureCount: len(fs)}
	for i := range fs {
		fs[i].SourceID = id
	}
	m.features[id] = fs
}

func (m *memReader) remove(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sources, id)
	delete(m.features, id)
}

func (m *memReader) setFail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = err
}

func (m *memReader) Sources(ctx context.Context) ([]coopmap.Source, error) {
	m.calls.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	var out []coopmap.Source
	for _, s := range m.sources {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b coopmap.Source) int { return strings.Compare(a.ID, b.ID) })
	return out, ctx.Err()
}

func (m *memReader) SourceFeatures(ctx context.Context, id string) iter.Seq2[coopmap.Feature, error] {
	m.reads.Add(1)
	m.mu.Lock()
	fs, ok := m.features[id]
	m.mu.Unlock()
	return func(yield func(coopmap.Feature, error) bool) {
		if !ok {
			yield(coopmap.Feature{}, coopmap.NotFoundf("no source %q", id))
			return
		}
		for _, f := range fs {
			if err := ctx.Err(); err != nil {
				yield(coopmap.Feature{}, err)
				return
			}
			if !yield(f, nil) {
				return
			}
		}
	}
}

var errDown = errors.New("store down")

// coop makes a co-op record at lon, lat.
func coop(key, name, address, postcode, sector, orgType string, lon, lat float64) coopmap.Feature {
	return coopmap.Feature{
		ID: "c." + key, Name: name, Address: address, Postcode: postcode, Sector: sector, OrgType: orgType,
		Geometry: orb.Point{lon, lat}, Precision: coopmap.PrecisionPostcode,
	}
}

// fixture is a handful of real co-ops from the Co-operatives UK open data
// (ODC-By 1.0; see demo/SOURCE.txt), some names given accents to test
// folding.
func fixture() []coopmap.Feature {
	return []coopmap.Feature{
		coop("R006281", "Bristol Bike Project CIC", "198-200 Stapleton Road, Bristol", "BS5 0NY", "Retail", "Company", -2.5617, 51.4644),
		coop("R002167", "Unicorn Grocery Limited", "89 Albany Road, Manchester", "M21 0BN", "Retail", "Society", -2.2784, 53.4424),
		coop("R004093", "Café Mono Ltd", "108 Stokes Croft, Bristol", "BS1 3RU", "Food and drink", "Company", -2.5898, 51.4625),
		coop("R008425", "The Kingsbury Community Enterprise Limited", "Lowfields Business Park, Elland, Calderdale", "HX5 9DB", "Retail", "Society", -1.8431, 53.6851),
		coop("R006884", "Maesteg Workmen's Club and Institute Limited", "11 Temple Street, Maesteg, Bridgend", "CF34 9YY", "Membership associations, social clubs and trade unions", "Society", -3.654703, 51.608344),
		coop("R000001", "Suma Wholefoods", "Lacy Way, Elland", "HX5 9AE", "Wholesale", "Workers co-operative", -1.8390, 53.6880),
		coop("R000002", "Brixton Energy Co-operative", "Brixton, London", "SW9 8EJ", "Energy", "Society", -0.1148, 51.4613),
		coop("R000003", "Bristol Energy Co-op", "Bristol", "BS2 0JA", "Energy", "Society", -2.5800, 51.4600),
		coop("R000004", "Mole Valley Farmers", "Exeter Road, South Molton", "EX36 3LH", "Agriculture", "Society", -3.8260, 51.0160),
		coop("R000005", "Bristolian Housing Co-op", "Montpelier, Bristol", "BS6 5EE", "Housing", "Society", -2.5880, 51.4680),
	}
}

func newTestIndex(t testing.TB, m *memReader) *Index {
	t.Helper()
	tab, err := postcodes.Load()
	if err != nil {
		t.Fatal(err)
	}
	return New(m, tab, Options{})
}
