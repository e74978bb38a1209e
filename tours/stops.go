package tours

import (
	"context"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
	"github.com/coopmap/coopmap/route"
)

// MaxStops is the most stops a planned tour may have: every leg is
// routed, so it is route.MaxPoints.
const MaxStops = route.MaxPoints

// MaxSpecBytes bounds a stops string given to ParseStops: room for
// MaxStops stops with a long name and full-precision coordinates each.
const MaxSpecBytes = MaxStops * (coopmap.MaxShort + 64)

// ParseStops reads stops written as "ref@lon,lat;ref@lon,lat;…", the form
// the coopmap tour command takes. A ref that is the id of a record in r
// ("coops-uk.R035956") makes the stop a reference to that record; its
// "@lon,lat" may be left out, and if given is ignored, since the stop is
// shown and routed at the record's location, so corrections to the
// record flow through. Any other ref is the name of a named point, which
// needs its "@lon,lat". A ref cannot contain ";" and is split from the
// location at its last "@".
//
// The error names the stop ("stops[2]"): CodeInvalid for an empty stop, a
// malformed, NaN, infinite, hexadecimal ("0x1p3") or out-of-range
// location (geo.ParseDecimal), a named point without one, or a ref that
// looks like a record id of a source r holds ("coops-uk.R999") but names
// no record there; CodeTooLarge for more than MaxStops stops or a string
// longer than MaxSpecBytes; r's error when it fails.
func ParseStops(ctx context.Context, r coopmap.Reader, spec string) ([]coopmap.Stop, error) {
	if len(spec) > MaxSpecBytes {
		return nil, &coopmap.Error{Code: coopmap.CodeTooLarge, Field: "stops", Message: fmt.Sprintf("is %d bytes long; the limit is %d", len(spec), MaxSpecBytes)}
	}
	spec = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(spec), ";"))
	if spec == "" {
		return nil, coopmap.Invalidf("stops", `is empty: give "feature-id-or-name@lon,lat;…"`)
	}
	items := strings.Split(spec, ";")
	if len(items) > MaxStops {
		return nil, tooMany(len(items))
	}
	stops := make([]coopmap.Stop, len(items))
	for i, item := range items {
		field := fmt.Sprintf("stops[%d]", i)
		ref, loc, hasLoc := cutLast(strings.TrimSpace(item), "@")
		ref = strings.TrimSpace(ref)
		if ref == "" {
			return nil, coopmap.Invalidf(field, "%q has no feature id or name before the @", clip(item))
		}
		var p orb.Point
		if hasLoc {
			var err error
			if p, err = parseLonLat(loc); err != nil {
				return nil, coopmap.Invalidf(field, "%q: %v", clip(item), err)
			}
		}
		isRef, err := isRecord(ctx, r, ref)
		switch {
		case err != nil:
			return nil, prefix(field, err)
		case isRef:
			stops[i] = coopmap.Stop{FeatureID: ref}
		case !hasLoc:
			return nil, coopmap.Invalidf(field, "%q is not the id of a record, so it is a named point and needs a location: %s@lon,lat", clip(ref), clip(ref))
		default:
			stops[i] = coopmap.Stop{Name: ref, Location: p}
			if err := stops[i].Validate(); err != nil {
				return nil, prefix(field, err)
			}
		}
	}
	return stops, nil
}

// isRecord reports whether ref is the id of a record in r. A ref that
// has the form of a record id in a source r holds (the source's id, a
// dot, a key without spaces) but names no record is an error, so that a
// mistyped id is not taken for the name of a point.
func isRecord(ctx context.Context, r coopmap.Reader, ref string) (bool, error) {
	srcID, key, ok := strings.Cut(ref, ".")
	if !ok || key == "" || strings.ContainsAny(ref, " \t") || !coopmap.ValidSlug(srcID) {
		return false, nil
	}
	_, err := r.Feature(ctx, ref)
	switch {
	case err == nil:
		return true, nil
	case coopmap.ErrorCode(err) != coopmap.CodeNotFound:
		return false, err
	}
	src, err := r.Source(ctx, srcID)
	switch {
	case coopmap.ErrorCode(err) == coopmap.CodeNotFound:
		return false, nil
	case err != nil:
		return false, err
	}
	return false, coopmap.Invalidf("feature_id", "no record %q in source %q (%d records); check the id, or give a named point as name@lon,lat", clip(ref), src.ID, src.FeatureCount)
}

// parseLonLat reads "lon,lat" as finite numbers in range.
func parseLonLat(s string) (orb.Point, error) {
	lon, lat, ok := strings.Cut(s, ",")
	if !ok || strings.Contains(lat, ",") {
		return orb.Point{}, fmt.Errorf("the location %q is not lon,lat", clip(s))
	}
	var p orb.Point
	for j, v := range []string{lon, lat} {
		f, err := geo.ParseDecimal(strings.TrimSpace(v))
		if err != nil {
			return p, fmt.Errorf("%q is %v", clip(strings.TrimSpace(v)), err)
		}
		p[j] = f
	}
	if math.Abs(p[0]) > 180 || math.Abs(p[1]) > 90 {
		return p, fmt.Errorf("%s is out of range: longitude first (-180 to 180), then latitude (-90 to 90)", clip(s))
	}
	return p, nil
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

func tooMany(n int) error {
	return &coopmap.Error{Code: coopmap.CodeTooLarge, Field: "stops", Message: fmt.Sprintf("%d stops; a routed tour has at most %d", n, MaxStops)}
}

// prefix puts field in front of a coopmap error's own field
// ("stops[2]" and "feature_id" make "stops[2].feature_id").
func prefix(field string, err error) error {
	e, ok := err.(*coopmap.Error)
	if !ok {
		return err
	}
	f := field
	if e.Field != "" {
		f += "." + e.Field
	}
	return &coopmap.Error{Code: e.Code, Field: f, Message: e.Message}
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	n := 77
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
