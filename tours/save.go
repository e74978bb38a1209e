package tours

import (
	"context"
	"math"
	"strings"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/route"
)

// The provenance of a tours source EnsureSource creates: the routes are
// derived from OpenStreetMap, so the source is ODbL and credits it.
const (
	SourceTitle       = "Co-op bike tours"
	SourceDescription = "Bike tours that visit co-operatives, routed by coopmap on OpenStreetMap with a bike profile. Stops reference co-op records, each under its own source's licence."
	SourceAttribution = "Routes " + route.Attribution + ", licensed under the Open Database License (ODbL 1.0)."
)

// EnsureSource returns the tours source id, creating it when missing with
// the ODbL licence and SourceAttribution. An existing source must be a
// tours source licensed ODbL-1.0, because routed tours are derived from
// OpenStreetMap; when its attribution does not credit OpenStreetMap the
// credit is added to it.
//
// Errors: CodeInvalid (field "source") for an id that is not a slug, a
// source of another kind or under another licence; the store's error.
func EnsureSource(ctx context.Context, st coopmap.Store, id string) (coopmap.Source, error) {
	if !coopmap.ValidSlug(id) {
		return coopmap.Source{}, coopmap.Invalidf("source", "source id %q must be 1–64 lower-case letters, digits and inner hyphens", clip(id))
	}
	src, err := st.Source(ctx, id)
	switch {
	case coopmap.ErrorCode(err) == coopmap.CodeNotFound:
		l, _ := coopmap.LookupLicence(route.Licence)
		src = coopmap.Source{ID: id, Title: SourceTitle, Description: SourceDescription, Kind: coopmap.KindTours,
			Licence: l, Attribution: SourceAttribution}
	case err != nil:
		return src, err
	case src.Kind != coopmap.KindTours:
		return src, coopmap.Invalidf("source", "source %q holds %s, not tours; give a tours source (a new id creates one)", id, src.Kind)
	case src.Licence.ID != route.Licence:
		return src, coopmap.Invalidf("source", "source %q is licensed %s; tours routed on OpenStreetMap must go in a source licensed %s: give another source id (a new id creates one)", id, src.Licence.ID, route.Licence)
	case strings.Contains(src.Attribution, "OpenStreetMap"):
		return src, nil
	default:
		src.Attribution = strings.TrimSpace(src.Attribution + " " + SourceAttribution)
	}
	res, err := st.ReplaceSource(ctx, src, noFeatures)
	if err != nil {
		return src, err
	}
	return res.Source, nil
}

// noFeatures is the empty contents of a tours source, whose tours are
// written one by one.
func noFeatures(func(coopmap.Feature, error) bool) {}

// SaveMode says what Save does with a tour that exists, or does not.
type SaveMode int

// The save modes.
const (
	// SaveCreate creates the tour; one that exists is a conflict.
	SaveCreate SaveMode = iota
	// SaveUpdate replaces the tour; one that does not exist is not found.
	SaveUpdate
	// SaveReplace creates the tour or replaces it.
	SaveReplace
)

// Save stores t as mode says and returns it as stored, with what was
// done: "created", "updated", or "unchanged" when an existing tour equals
// t (Same), which writes nothing, so saving the same plan twice keeps the
// tour's version. Errors: CodeConflict for SaveCreate of a tour that
// exists; CodeNotFound for SaveUpdate of one that does not; CodeInvalid
// (field "source") for a tour that exists in another source; the store's
// errors.
func Save(ctx context.Context, st coopmap.Store, t coopmap.Tour, mode SaveMode) (coopmap.Tour, string, error) {
	old, err := st.Tour(ctx, t.ID)
	switch {
	case coopmap.ErrorCode(err) == coopmap.CodeNotFound:
		if mode == SaveUpdate {
			return t, "", coopmap.NotFoundf("no tour %q to update; create it with coopmap tour create", t.ID)
		}
		t.Version = 0
		saved, err := st.CreateTour(ctx, t)
		return saved, "created", err
	case err != nil:
		return t, "", err
	case mode == SaveCreate:
		return old, "", coopmap.Errorf(coopmap.CodeConflict, "tour %q exists (version %d); change it with coopmap tour update", t.ID, old.Version)
	case old.SourceID != t.SourceID:
		return old, "", coopmap.Invalidf("source", "tour %q belongs to source %q, not %q", t.ID, old.SourceID, t.SourceID)
	case Same(old, t):
		return old, "unchanged", nil
	}
	t.Version = old.Version
	saved, err := st.UpdateTour(ctx, t)
	return saved, "updated", err
}

// Same reports whether two tours hold the same data as a store keeps it:
// text, stops (for a reference only the record id and note), legs, route
// and distance, with coordinates and lengths equal to within 1e-9.
func Same(a, b coopmap.Tour) bool {
	if a.ID != b.ID || a.SourceID != b.SourceID || a.Title != b.Title || a.Region != b.Region || a.Description != b.Description ||
		len(a.Stops) != len(b.Stops) || len(a.Legs) != len(b.Legs) || !near(a.DistanceM, b.DistanceM) || !sameLine(a.Route, b.Route) {
		return false
	}
	for i, s := range a.Stops {
		o := b.Stops[i]
		if s.FeatureID != o.FeatureID || s.Note != o.Note || (s.FeatureID == "" && (s.Name != o.Name || !samePoint(s.Location, o.Location))) {
			return false
		}
	}
	for i, l := range a.Legs {
		o := b.Legs[i]
		if !near(l.DistanceM, o.DistanceM) || !near(l.DurationS, o.DurationS) || !sameLine(l.Geometry, o.Geometry) {
			return false
		}
	}
	return true
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(a)) }

func samePoint(a, b orb.Point) bool { return near(a[0], b[0]) && near(a[1], b[1]) }

func sameLine(a, b orb.LineString) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !samePoint(a[i], b[i]) {
			return false
		}
	}
	return true
}
