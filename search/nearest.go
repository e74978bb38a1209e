package search

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// Limits of a nearest-neighbour query.
const (
	// DefaultNearest is the number of records when NearQuery.N is 0.
	DefaultNearest = 10
	// MaxNearest is the most records one nearest query returns.
	MaxNearest = 100
)

// NearQuery asks for the records nearest a point.
type NearQuery struct {
	// Point is the longitude and latitude (WGS84 degrees) to measure from.
	Point orb.Point
	// N is how many records to return: 0 means DefaultNearest; at most
	// MaxNearest.
	N int
	// Sources keeps records from these sources only; empty means every
	// indexed source.
	Sources []string
}

// Near is one record a nearest query found.
type Near struct {
	Record
	// Distance is the great-circle distance in metres from the query
	// point to Record.Point (geo.Distance).
	Distance float64
}

// NearResult is the answer to a nearest query: records nearest first, and
// their sources, by id, so their licences and attributions can go with
// them.
type NearResult struct {
	Near    []Near
	Sources []coopmap.Source
}

// Nearest returns the q.N records nearest q.Point, nearest first (ties by
// id), measured on the sphere, so answers are right across the
// antimeridian and near the poles. Invalid input is a coopmap.CodeInvalid
// error naming "lon", "lat", "n" or "source".
func (x *Index) Nearest(ctx context.Context, q NearQuery) (NearResult, error) {
	if err := geo.ValidatePoint(q.Point); err != nil {
		name := "lat"
		if strings.HasPrefix(err.Error(), "lon") {
			name = "lon"
		}
		return NearResult{}, coopmap.Invalidf(name, "%v", err)
	}
	switch {
	case q.N == 0:
		q.N = DefaultNearest
	case q.N < 0 || q.N > MaxNearest:
		return NearResult{}, coopmap.Invalidf("n", "must be between 1 and %d", MaxNearest)
	}
	s, err := x.current(ctx)
	if err != nil {
		return NearResult{}, err
	}
	shards, err := s.pick(q.Sources)
	if err != nil {
		return NearResult{}, err
	}
	var out []Near
	for _, sh := range shards {
		for _, doc := range sh.tree.nearest(q.Point, q.N) {
			r := sh.recs[doc].Record
			out = append(out, Near{Record: r, Distance: geo.Distance(q.Point, r.Point)})
		}
	}
	slices.SortFunc(out, func(a, b Near) int {
		if c := cmp.Compare(a.Distance, b.Distance); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(out) > q.N {
		out = out[:q.N]
	}
	return NearResult{Near: out, Sources: s.sourcesOf(len(out), func(i int) string { return out[i].SourceID })}, nil
}
