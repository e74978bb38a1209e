package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

const tourColumns = `id, source_id, title, region, description, stops, legs, distance_m,
	updated_at, version, route`

// storedStop is a stop as kept in tours.stops (JSON). A stop that
// references a feature keeps only the reference and its note: the name and
// location come from the feature on every read.
type storedStop struct {
	FeatureID string      `json:"feature_id,omitempty"`
	Name      string      `json:"name,omitempty"`
	Location  *[2]float64 `json:"location,omitempty"`
	Note      string      `json:"note,omitempty"`
}

func encodeStops(stops []coopmap.Stop) (string, error) {
	out := make([]storedStop, len(stops))
	for i, s := range stops {
		out[i] = storedStop{FeatureID: s.FeatureID, Note: s.Note}
		if s.FeatureID == "" {
			loc := [2]float64(s.Location)
			out[i].Name, out[i].Location = s.Name, &loc
		}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// tourValues returns the values of a tour's columns from title to route, in
// the order of the insert and update statements below.
func tourValues(t coopmap.Tour, stamp any) ([]any, error) {
	stops, err := encodeStops(t.Stops)
	if err != nil {
		return nil, fmt.Errorf("encoding stops: %w", err)
	}
	var legs any
	if t.Legs != nil {
		b, err := json.Marshal(t.Legs)
		if err != nil {
			return nil, fmt.Errorf("encoding legs: %w", err)
		}
		legs = string(b)
	}
	var route []byte
	if t.Route != nil { // a nil LineString must not become an empty geometry
		if route, err = encodeGeometry(t.Route); err != nil {
			return nil, fmt.Errorf("encoding route: %w", err)
		}
	}
	return []any{t.Title, textArg(t.Region), textArg(t.Description), stops, legs, t.DistanceM, stamp, route}, nil
}

func scanTour(sc scanner) (coopmap.Tour, error) {
	var (
		t           coopmap.Tour
		stops       string
		legs, route []byte
	)
	err := sc.Scan(&t.ID, &t.SourceID, &t.Title, textCol{&t.Region}, textCol{&t.Description},
		&stops, &legs, &t.DistanceM, timeCol{&t.UpdatedAt}, &t.Version, &route)
	if err != nil {
		return t, err
	}
	var ss []storedStop
	if err := json.Unmarshal([]byte(stops), &ss); err != nil {
		return t, fmt.Errorf("tour %q: stored stops: %w", t.ID, err)
	}
	if len(ss) > 0 {
		t.Stops = make([]coopmap.Stop, len(ss))
		for i, s := range ss {
			t.Stops[i] = coopmap.Stop{FeatureID: s.FeatureID, Name: s.Name, Note: s.Note}
			if s.Location != nil {
				t.Stops[i].Location = orb.Point(*s.Location)
			}
		}
	}
	if legs != nil {
		if err := json.Unmarshal(legs, &t.Legs); err != nil {
			return t, fmt.Errorf("tour %q: stored legs: %w", t.ID, err)
		}
	}
	g, err := decodeGeometry(route)
	if err != nil {
		return t, fmt.Errorf("tour %q: stored route: %w", t.ID, err)
	}
	if g != nil {
		ls, ok := g.(orb.LineString)
		if !ok {
			return t, fmt.Errorf("tour %q: stored route is a %s, not a LineString", t.ID, g.GeoJSONType())
		}
		t.Route = ls
	}
	return t, nil
}

// stopResolver fills referencing stops from their features.
type stopResolver struct{ st *sql.Stmt }

func newStopResolver(ctx context.Context, q querier) (*stopResolver, error) {
	const sel = `SELECT name, geom FROM features WHERE id = ?`
	st, err := q.PrepareContext(ctx, sel)
	if err != nil {
		return nil, err
	}
	return &stopResolver{st}, nil
}

func (r *stopResolver) Close() error { return r.st.Close() }

// resolve gives each stop that references a feature the feature's current
// name and anchor point, or marks it Unresolved when the feature is gone.
func (r *stopResolver) resolve(ctx context.Context, t *coopmap.Tour) error {
	for i := range t.Stops {
		s := &t.Stops[i]
		if s.FeatureID == "" {
			continue
		}
		var (
			name string
			geom []byte
		)
		err := r.st.QueryRowContext(ctx, s.FeatureID).Scan(textCol{&name}, &geom)
		if errors.Is(err, sql.ErrNoRows) {
			s.Name, s.Location, s.Unresolved = "", orb.Point{}, true
			continue
		}
		if err != nil {
			return fmt.Errorf("tour %q: resolving stops[%d]: %w", t.ID, i, err)
		}
		g, err := decodeGeometry(geom)
		if err != nil {
			return fmt.Errorf("tour %q: resolving stops[%d]: feature %q: %w", t.ID, i, s.FeatureID, err)
		}
		s.Name, s.Location, s.Unresolved = name, coopmap.Anchor(g), false
	}
	return nil
}

// loadTour reads one resolved tour; a missing one is a not-found error.
func loadTour(ctx context.Context, q querier, id string) (coopmap.Tour, error) {
	const sel = `SELECT ` + tourColumns + ` FROM tours WHERE id = ?`
	t, err := scanTour(q.QueryRowContext(ctx, sel, id))
	if errors.Is(err, sql.ErrNoRows) {
		return coopmap.Tour{}, coopmap.NotFoundf("no tour has id %q", id)
	}
	if err != nil {
		return coopmap.Tour{}, err
	}
	r, err := newStopResolver(ctx, q)
	if err != nil {
		return coopmap.Tour{}, err
	}
	defer r.Close()
	if err := r.resolve(ctx, &t); err != nil {
		return coopmap.Tour{}, err
	}
	return t, nil
}

// Tour returns one tour with its stops resolved: a stop that references a
// feature gets the feature's current name and location, or Unresolved when
// the feature no longer exists. The error has CodeNotFound when there is
// no such tour; otherwise it is the database's or ctx's.
func (s *Store) Tour(ctx context.Context, id string) (coopmap.Tour, error) {
	op := fmt.Sprintf("tour %q", id)
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	defer tx.Rollback()
	t, err := loadTour(ctx, tx, id)
	if err != nil {
		return coopmap.Tour{}, dbError(ctx, op, err)
	}
	return t, nil
}

// Tours returns the tours of a source, or of every source for "", ordered
// by id, with stops resolved as Tour does. The error has CodeNotFound when
// sourceID names no source; otherwise it is the database's or ctx's.
func (s *Store) Tours(ctx context.Context, sourceID string) ([]coopmap.Tour, error) {
	const (
		all      = `SELECT ` + tourColumns + ` FROM tours ORDER BY id`
		bySource = `SELECT ` + tourColumns + ` FROM tours WHERE source_id = ? ORDER BY id`
	)
	op := "list tours"
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, dbError(ctx, op, err)
	}
	defer tx.Rollback()
	var rows *sql.Rows
	if sourceID == "" {
		rows, err = tx.QueryContext(ctx, all)
	} else {
		op = fmt.Sprintf("list tours of source %q", sourceID)
		if _, err := loadSource(ctx, tx, sourceID); err != nil {
			return nil, dbError(ctx, op, err)
		}
		rows, err = tx.QueryContext(ctx, bySource, sourceID)
	}
	if err != nil {
		return nil, dbError(ctx, op, err)
	}
	out, err := collectRows(rows, scanTour)
	if err != nil {
		return nil, dbError(ctx, op, err)
	}
	r, err := newStopResolver(ctx, tx)
	if err != nil {
		return nil, dbError(ctx, op, err)
	}
	defer r.Close()
	for i := range out {
		if err := r.resolve(ctx, &out[i]); err != nil {
			return nil, dbError(ctx, op, err)
		}
	}
	return out, nil
}

// checkTourSource returns an invalid "source_id" error unless id names a
// tours source.
func checkTourSource(ctx context.Context, q querier, id string) error {
	src, err := loadSource(ctx, q, id)
	if coopmap.ErrorCode(err) == coopmap.CodeNotFound {
		return coopmap.Invalidf("source_id", "no source has id %q", id)
	}
	if err != nil {
		return err
	}
	if src.Kind != coopmap.KindTours {
		return coopmap.Invalidf("source_id", "source %q holds %s, not tours", id, src.Kind)
	}
	return nil
}

// checkStops returns an invalid "stops[i].feature_id" error for the first
// stop that references a feature that does not exist.
func checkStops(ctx context.Context, q querier, stops []coopmap.Stop) error {
	const exists = `SELECT count(*) FROM features WHERE id = ?`
	for i, s := range stops {
		if s.FeatureID == "" {
			continue
		}
		var n int
		if err := q.QueryRowContext(ctx, exists, s.FeatureID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return coopmap.Invalidf(fmt.Sprintf("stops[%d].feature_id", i), "no feature has id %q", s.FeatureID)
		}
	}
	return nil
}
