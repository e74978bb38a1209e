package web

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
)

// Limits on query parameters, checked before any parsing.
const (
	// maxParamBytes bounds one parameter value (bbox, cursors, filters).
	maxParamBytes = 1024
	// maxQueryBytes bounds a whole query string.
	maxQueryBytes = 8 << 10
	// crs84 is the only coordinate reference system served.
	crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
)

// itemsParams are the query parameters of /collections/{id}/items, besides
// the collection's queryables.
var itemsParams = []string{"f", "bbox", "bbox-crs", "crs", "limit", "datetime", "q", "sortby", "after", "before"}

// params checks a request's query string: at most maxQueryBytes, each
// parameter allowed, given once and at most maxParamBytes long. It
// returns the parsed values, or an invalid error naming the parameter.
func params(rawQuery string, allowed ...string) (url.Values, error) {
	v, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, coopmap.Invalidf("query", "the query string is not valid: %v", err)
	}
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	slices.Sort(names) // the first bad parameter in a stable order
	for _, k := range names {
		if !slices.Contains(allowed, k) {
			return nil, coopmap.Invalidf(cmp.Or(clipParam(k), "query"), "is not a parameter of this resource; the parameters are %s", strings.Join(allowed, ", ")) // "query" for ?=x
		}
		if n := len(v[k]); n > 1 {
			return nil, coopmap.Invalidf(k, "is given %d times; give it once", n)
		}
		if n := len(v.Get(k)); n > maxParamBytes {
			return nil, coopmap.Invalidf(k, "is %d bytes long; the limit is %d", n, maxParamBytes)
		}
	}
	// Checked last, so that one over-long parameter is named.
	if len(rawQuery) > maxQueryBytes {
		return nil, coopmap.Invalidf("query", "the query string is %d bytes long; the limit is %d", len(rawQuery), maxQueryBytes)
	}
	return v, nil
}

// itemsQuery turns the parameters of an items request into a store query.
// queryables are the properties the collection can be filtered on by
// equality. Errors are invalid and name the parameter.
func itemsQuery(v url.Values, queryables []string) (coopmap.Query, error) {
	var q coopmap.Query
	if s := v.Get("limit"); v.Has("limit") {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil && strings.TrimLeft(s, "0123456789") == "" && s != "":
			return q, coopmap.Invalidf("limit", "%s is over the maximum of %d", clipParam(s), coopmap.MaxLimit)
		case err != nil:
			return q, coopmap.Invalidf("limit", "%q is not a whole number; give 1 to %d", clipParam(s), coopmap.MaxLimit)
		case n < 1:
			return q, coopmap.Invalidf("limit", "%d is below the minimum of 1", n)
		case n > coopmap.MaxLimit:
			return q, coopmap.Invalidf("limit", "%d is over the maximum of %d", n, coopmap.MaxLimit)
		}
		q.Limit = n
	}
	if v.Has("bbox") {
		b, err := parseBBox(v.Get("bbox"))
		if err != nil {
			return q, err
		}
		q.BBox = &b
	}
	for _, name := range []string{"bbox-crs", "crs"} {
		if c := v.Get(name); v.Has(name) && c != crs84 && c != "["+crs84+"]" {
			return q, coopmap.Invalidf(name, "only %s is supported", crs84)
		}
	}
	if v.Has("datetime") {
		r, err := parseDatetime(v.Get("datetime"))
		if err != nil {
			return q, err
		}
		q.Updated = r
	}
	text, err := queryText(v, coopmap.MaxQueryText)
	if err != nil {
		return q, err
	}
	q.Text = text
	if v.Has("sortby") {
		s, err := parseSortBy(v.Get("sortby"))
		if err != nil {
			return q, err
		}
		q.Sort = s
	}
	q.After, q.Before = v.Get("after"), v.Get("before")
	for _, name := range queryables {
		if !v.Has(name) {
			continue
		}
		val := v.Get(name)
		if val == "" {
			return q, coopmap.Invalidf(name, "is empty; give a value to filter on")
		}
		switch name {
		case "sector":
			q.Sector = val
		case "org_type":
			q.OrgType = val
		case "status":
			q.Status = val
		}
	}
	return q, nil
}

// queryText reads the free-text parameter q of /collections/{id}/items,
// downloads and /search: at most max bytes of UTF-8 ("" when absent).
// Text that is not UTF-8 would fold to nothing and match nothing
// silently, so it is an invalid error naming q, as is one over max.
func queryText(v url.Values, max int) (string, error) {
	t := v.Get("q")
	switch {
	case len(t) > max:
		return "", coopmap.Invalidf("q", "is %d bytes long; the limit is %d", len(t), max)
	case !utf8.ValidString(t):
		return "", coopmap.Invalidf("q", "is not valid UTF-8")
	}
	return t, nil
}

// parseBBox reads a bbox parameter: four numbers (minLon,minLat,maxLon,
// maxLat) or six (with heights, which are ignored), in CRS84. minLon >
// maxLon crosses the antimeridian.
func parseBBox(s string) (geo.BBox, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return geo.BBox{}, coopmap.Invalidf("bbox", "has %d numbers; give 4 (minLon,minLat,maxLon,maxLat) or 6 (with heights)", len(parts))
	}
	nums := make([]float64, len(parts))
	for i, p := range parts {
		f, err := geo.ParseDecimal(strings.TrimSpace(p))
		if err != nil {
			return geo.BBox{}, coopmap.Invalidf("bbox", "number %d (%q) is not a finite decimal number", i+1, clipParam(p))
		}
		nums[i] = f
	}
	if len(nums) == 6 {
		nums = []float64{nums[0], nums[1], nums[3], nums[4]}
	}
	b, err := geo.NewBBox(nums[0], nums[1], nums[2], nums[3])
	if err != nil {
		return geo.BBox{}, coopmap.Invalidf("bbox", "%v", err)
	}
	return b, nil
}

// parseDatetime reads a datetime parameter on the update time: an instant
// (RFC 3339 date-time, or a date meaning that whole UTC day) or an
// interval start/end whose open ends are ".." or empty.
func parseDatetime(s string) (coopmap.TimeRange, error) {
	bad := func(format string, args ...any) error {
		return coopmap.Invalidf("datetime", format, args...)
	}
	start, end, interval := strings.Cut(s, "/")
	if !interval {
		from, to, err := parseInstant(s)
		if err != nil {
			return coopmap.TimeRange{}, bad("%v", err)
		}
		return coopmap.TimeRange{From: from, To: to}, nil
	}
	var r coopmap.TimeRange
	open := func(s string) bool { return s == "" || s == ".." }
	if open(start) && open(end) {
		return r, bad("an interval needs at least one end")
	}
	if !open(start) {
		from, _, err := parseInstant(start)
		if err != nil {
			return r, bad("start: %v", err)
		}
		r.From = from
	}
	if !open(end) {
		_, to, err := parseInstant(end)
		if err != nil {
			return r, bad("end: %v", err)
		}
		r.To = to
	}
	if !r.From.IsZero() && !r.To.IsZero() && r.From.After(r.To) {
		return r, bad("the interval starts after it ends")
	}
	return r, nil
}

// parseInstant reads an RFC 3339 date-time (the range is that instant) or
// a date (the range is that UTC day, to the millisecond the stores keep).
func parseInstant(s string) (from, to time.Time, err error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, t, nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d, d.Add(24*time.Hour - time.Millisecond), nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("%q is not an RFC 3339 date-time (2024-05-01T12:00:00Z) or date (2024-05-01)", clipParam(s))
}

// parseSortBy reads a sortby parameter: one of id, name, updated, with an
// optional + (ascending, the default) or - (descending) in front.
func parseSortBy(s string) (coopmap.Sort, error) {
	if strings.Contains(s, ",") {
		return coopmap.Sort{}, coopmap.Invalidf("sortby", "sorting by more than one property is not supported")
	}
	var sort coopmap.Sort
	switch {
	case strings.HasPrefix(s, "-"):
		sort.Desc, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasPrefix(s, " "): // a + that was not percent-encoded
		s = s[1:]
	}
	switch f := coopmap.SortField(s); f {
	case coopmap.SortID, coopmap.SortName, coopmap.SortUpdated:
		sort.Field = f
	default:
		return sort, coopmap.Invalidf("sortby", "%q is not a sortable property; use id, name or updated", clipParam(s))
	}
	return sort, nil
}
