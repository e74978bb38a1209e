package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

// storedStop is a stop as kept in tours.stops. A stop that references a
// feature keeps only FeatureID and Note; Name and Location come from the
// feature on every read.
type storedStop struct {
	FeatureID string      `json:"feature_id,omitempty"`
	Name      string      `json:"name,omitempty"`
	Location  *[2]float64 `json:"location,omitempty"`
	Note      string      `json:"note,omitempty"`
}

// storedLeg is a leg as kept in tours.legs.
type storedLeg struct {
	Geometry  [][2]float64 `json:"geometry"`
	DistanceM float64      `json:"distance_m"`
	DurationS float64      `json:"duration_s"`
}

// encodeStops returns the JSON kept in tours.stops.
func encodeStops(stops []coopmap.Stop) ([]byte, error) {
	out := make([]storedStop, len(stops))
	for i, s := range stops {
		if s.FeatureID != "" {
			out[i] = storedStop{FeatureID: s.FeatureID, Note: s.Note}
			continue
		}
		loc := [2]float64(s.Location)
		out[i] = storedStop{Name: s.Name, Location: &loc, Note: s.Note}
	}
	return json.Marshal(out)
}

// decodeStops parses tours.stops; stops that reference features are left
// for resolveStops.
func decodeStops(b []byte) ([]coopmap.Stop, error) {
	var in []storedStop
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	out := make([]coopmap.Stop, len(in))
	for i, s := range in {
		out[i] = coopmap.Stop{FeatureID: s.FeatureID, Name: s.Name, Note: s.Note}
		if s.Location != nil {
			out[i].Location = orb.Point(*s.Location)
		}
	}
	return out, nil
}

// encodeLegs returns the JSON kept in tours.legs: NULL for no legs.
func encodeLegs(legs []coopmap.Leg) ([]byte, error) {
	if len(legs) == 0 {
		return nil, nil
	}
	out := make([]storedLeg, len(legs))
	for i, l := range legs {
		g := make([][2]float64, len(l.Geometry))
		for j, p := range l.Geometry {
			g[j] = p
		}
		out[i] = storedLeg{Geometry: g, DistanceM: l.DistanceM, DurationS: l.DurationS}
	}
	return json.Marshal(out)
}

// decodeLegs parses tours.legs.
func decodeLegs(b []byte) ([]coopmap.Leg, error) {
	if b == nil {
		return nil, nil
	}
	var in []storedLeg
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	out := make([]coopmap.Leg, len(in))
	for i, l := range in {
		g := make(orb.LineString, len(l.Geometry))
		for j, p := range l.Geometry {
			g[j] = p
		}
		out[i] = coopmap.Leg{Geometry: g, DistanceM: l.DistanceM, DurationS: l.DurationS}
	}
	return out, nil
}

// tourColumns are the columns scanTour reads, in its order.
const tourColumns = `id, source_id, title, region, description, stops, legs, ST_AsBinary(route),
	distance_m, updated_at, version`

// scanTour reads one row of tourColumns, with stops not yet resolved.
func scanTour(row pgx.Row) (coopmap.Tour, error) {
	var (
		t                  coopmap.Tour
		stops, legs, route []byte
	)
	err := row.Scan(&t.ID, &t.SourceID, &t.Title, &t.Region, &t.Description, &stops, &legs, &route,
		&t.DistanceM, &t.UpdatedAt, &t.Version)
	if err != nil {
		return coopmap.Tour{}, err
	}
	t.UpdatedAt = t.UpdatedAt.UTC()
	if t.Stops, err = decodeStops(stops); err != nil {
		return coopmap.Tour{}, fmt.Errorf("tour %q: stops: %w", t.ID, err)
	}
	if t.Legs, err = decodeLegs(legs); err != nil {
		return coopmap.Tour{}, fmt.Errorf("tour %q: legs: %w", t.ID, err)
	}
	if t.Route, err = decodeLine(route); err != nil {
		return coopmap.Tour{}, fmt.Errorf("tour %q: route: %w", t.ID, err)
	}
	return t, nil
}

// querier is what reads need from a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// stopFeaturesSQL reads what a referencing stop shows of its feature. The
// whole geometry comes back because coopmap.Anchor, not PostGIS, decides
// where a polygon's stop goes, exactly as the other store does.
const stopFeaturesSQL = `SELECT id, name, ST_AsBinary(geom) FROM features WHERE id = ANY($1)`

// resolveStops fills the name and location of every stop that references
// a feature from the feature as it is now, and marks stops whose feature
// is gone as unresolved.
func resolveStops(ctx context.Context, q querier, tours []coopmap.Tour) error {
	var ids []string
	for _, t := range tours {
		for _, s := range t.Stops {
			if s.FeatureID != "" {
				ids = append(ids, s.FeatureID)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	type anchor struct {
		name string
		at   orb.Point
	}
	found := make(map[string]anchor)
	rows, err := q.Query(ctx, stopFeaturesSQL, ids)
	if err != nil {
		return err
	}
	var (
		id, name string
		geom     []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &name, &geom}, func() error {
		g, err := decodeGeom(geom)
		if err != nil {
			return fmt.Errorf("feature %q: geometry: %w", id, err)
		}
		found[id] = anchor{name, coopmap.Anchor(g)}
		return nil
	})
	if err != nil {
		return err
	}
	for _, t := range tours {
		for i, s := range t.Stops {
			if s.FeatureID == "" {
				continue
			}
			a, ok := found[s.FeatureID]
			t.Stops[i].Name, t.Stops[i].Location, t.Stops[i].Unresolved = a.name, a.at, !ok
		}
	}
	return nil
}

const (
	tourSQL          = `SELECT ` + tourColumns + ` FROM tours WHERE id = $1`
	toursSQL         = `SELECT ` + tourColumns + ` FROM tours ORDER BY id`
	toursOfSourceSQL = `SELECT ` + tourColumns + ` FROM tours WHERE source_id = $1 ORDER BY id`
)

// readTour returns one tour with its stops resolved, or pgx.ErrNoRows.
func readTour(ctx context.Context, q querier, id string) (coopmap.Tour, error) {
	t, err := scanTour(q.QueryRow(ctx, tourSQL, id))
	if err != nil {
		return coopmap.Tour{}, err
	}
	ts := []coopmap.Tour{t}
	if err := resolveStops(ctx, q, ts); err != nil {
		return coopmap.Tour{}, err
	}
	return ts[0], nil
}

// Tour returns one tour. Stops that reference a feature carry its current
// name and location (coopmap.Anchor of its geometry); a stop whose feature
// no longer exists keeps its FeatureID and is marked Unresolved. The error
// is CodeNotFound when there is no such tour, the context's error when ctx
// ends first, or a database error.
func (s *Store) Tour(ctx context.Context, id string) (coopmap.Tour, error) {
	t, err := readTour(ctx, s.pool, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return coopmap.Tour{}, fmt.Errorf("postgis: %w", coopmap.NotFoundf("there is no tour %q", id))
	}
	if err != nil {
		return coopmap.Tour{}, fmt.Errorf("postgis: tour %q: %w", id, ctxErr(ctx, err))
	}
	return t, nil
}

// Tours returns the tours of a source, or of every source when sourceID is
// "", ordered by id, with stops resolved as Tour does. The error is
// CodeNotFound when the source does not exist, the context's error when
// ctx ends first, or a database error.
func (s *Store) Tours(ctx context.Context, sourceID string) ([]coopmap.Tour, error) {
	ts, err := s.tours(ctx, sourceID)
	if err != nil {
		return nil, fmt.Errorf("postgis: tours of source %q: %w", sourceID, ctxErr(ctx, err))
	}
	return ts, nil
}

func (s *Store) tours(ctx context.Context, sourceID string) ([]coopmap.Tour, error) {
	var (
		rows pgx.Rows
		err  error
	)
	if sourceID == "" {
		rows, err = s.pool.Query(ctx, toursSQL)
	} else {
		var exists bool
		if err := s.pool.QueryRow(ctx, sourceExistsSQL, sourceID).Scan(&exists); err != nil {
			return nil, err
		}
		if !exists {
			return nil, coopmap.NotFoundf("there is no source %q", sourceID)
		}
		rows, err = s.pool.Query(ctx, toursOfSourceSQL, sourceID)
	}
	if err != nil {
		return nil, err
	}
	ts, err := pgx.CollectRows(rows, rowTo(scanTour))
	if err != nil {
		return nil, err
	}
	if err := resolveStops(ctx, s.pool, ts); err != nil {
		return nil, err
	}
	return ts, nil
}

const (
	// lockToursSourceSQL takes the source's row lock (as ReplaceSource
	// does) before any tour row, so tour writes and source writes always
	// lock in the same order.
	lockToursSourceSQL = `SELECT kind FROM sources WHERE id = $1 FOR UPDATE`

	stopFeaturesExistSQL = `SELECT id FROM features WHERE id = ANY($1)`
)

// lockToursSource locks the source a tour is written to and checks that it
// is a tours source. The error is CodeInvalid naming "source_id".
func lockToursSource(ctx context.Context, tx pgx.Tx, sourceID string) error {
	var kind string
	err := tx.QueryRow(ctx, lockToursSourceSQL, sourceID).Scan(&kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return coopmap.Invalidf("source_id", "there is no source %q", sourceID)
	}
	if err != nil {
		return err
	}
	if coopmap.Kind(kind) != coopmap.KindTours {
		return coopmap.Invalidf("source_id", "source %q holds %s, not tours", sourceID, kind)
	}
	return nil
}

// checkStopFeatures returns a CodeInvalid error naming the first stop whose
// feature does not exist.
func checkStopFeatures(ctx context.Context, tx pgx.Tx, stops []coopmap.Stop) error {
	var ids []string
	for _, s := range stops {
		if s.FeatureID != "" {
			ids = append(ids, s.FeatureID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, stopFeaturesExistSQL, ids)
	if err != nil {
		return err
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	exists := make(map[string]bool, len(found))
	for _, id := range found {
		exists[id] = true
	}
	for i, s := range stops {
		if s.FeatureID != "" && !exists[s.FeatureID] {
			return coopmap.Invalidf(fmt.Sprintf("stops[%d].feature_id", i), "there is no feature %q", s.FeatureID)
		}
	}
	return nil
}

// tourValues are a tour's encoded stops, legs and route.
type tourValues struct {
	stops, legs, route []byte
}

func encodeTour(t coopmap.Tour) (tourValues, error) {
	var (
		v   tourValues
		err error
	)
	if v.stops, err = encodeStops(t.Stops); err != nil {
		return v, coopmap.Invalidf("stops", "cannot be encoded: %v", err)
	}
	if v.legs, err = encodeLegs(t.Legs); err != nil {
		return v, coopmap.Invalidf("legs", "cannot be encoded: %v", err)
	}
	if t.Route != nil {
		if v.route, err = encodeGeom(t.Route); err != nil {
			return v, coopmap.Invalidf("route", "%v", err)
		}
	}
	return v, nil
}
