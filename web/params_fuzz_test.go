package web

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/route"
)

// checkInvalid fails t unless err is a coopmap error of one of the codes
// that name what is wrong.
func checkInvalid(t *testing.T, input string, err error, codes ...coopmap.Code) {
	t.Helper()
	if len(codes) == 0 {
		codes = []coopmap.Code{coopmap.CodeInvalid}
	}
	if c := coopmap.ErrorCode(err); !slices.Contains(codes, c) {
		t.Fatalf("%q: error %v has code %q; want one of %v", input, err, c, codes)
	}
	if coopmap.ErrorField(err) == "" {
		t.Fatalf("%q: error %v names no field", input, err)
	}
}

// finiteLonLat fails t unless p is a finite point in lon/lat range.
func finiteLonLat(t *testing.T, input string, lon, lat float64) {
	t.Helper()
	if math.IsNaN(lon) || math.IsNaN(lat) || math.Abs(lon) > 180 || math.Abs(lat) > 90 {
		t.Fatalf("%q: accepted %v,%v", input, lon, lat)
	}
}

// FuzzItemsQuery runs the query string of /collections/{id}/items
// through params and itemsQuery: no input panics, every refusal is an
// invalid error naming the parameter, and what is accepted is in range.
func FuzzItemsQuery(f *testing.F) {
	for _, s := range []string{"", "limit=10&bbox=-1,50,1,52", "bbox=0x1p3,50,9,51", "bbox=NaN,1,2,3", "bbox=170,-10,-170,10",
		"bbox=0,50,0,1,51,10", "datetime=2024-01-01/..", "datetime=../2024-05-01T12:00:00Z", "sortby=-name", "limit=99999999999999999999",
		"q=caf%C3%A9&sector=Food", "q=caf%C3", "f=json&after=abc", "crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FOGC%2F1.3%2FCRS84", "%zz", "a=1&a=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := params(raw, append(slices.Clone(itemsParams), sourceQueryables...)...)
		if err != nil {
			checkInvalid(t, raw, err)
			return
		}
		q, err := itemsQuery(v, sourceQueryables)
		if err != nil {
			checkInvalid(t, raw, err)
			return
		}
		if q.Limit < 0 || q.Limit > coopmap.MaxLimit {
			t.Fatalf("%q: limit %d", raw, q.Limit)
		}
		if b := q.BBox; b != nil {
			finiteLonLat(t, raw, b.MinLon, b.MinLat)
			finiteLonLat(t, raw, b.MaxLon, b.MaxLat)
			if b.MinLat > b.MaxLat {
				t.Fatalf("%q: accepted bbox %+v", raw, *b)
			}
		}
		if r := q.Updated; !r.From.IsZero() && !r.To.IsZero() && r.To.Before(r.From) {
			t.Fatalf("%q: accepted datetime %v", raw, r)
		}
		if !utf8.ValidString(q.Text) {
			t.Fatalf("%q: accepted q %q, which is not UTF-8", raw, q.Text)
		}
	})
}

// FuzzRouteParams runs the query string of /route through routeParams:
// no input panics, refusals name the parameter or the point
// ("points[2]"), and accepted points are finite, in range and at most
// route.MaxPoints.
func FuzzRouteParams(f *testing.F) {
	for _, s := range []string{"points=-0.1,51.5;-0.12,51.52", "points=0,51;0,52&order=optimize&roundtrip=true&end=free",
		"points=0x1p3,51;0,51", "points=NaN,1;2,3", "points=1e999,0;0,0", "points=0,51%zz", "points=;;;", "points=a&points=b", "order=keep"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		pts, _, err := routeParams(raw)
		if err != nil {
			checkInvalid(t, raw, err, coopmap.CodeInvalid, coopmap.CodeTooLarge)
			return
		}
		if len(pts) == 0 || len(pts) > route.MaxPoints {
			t.Fatalf("%q: %d points accepted", raw, len(pts))
		}
		for _, p := range pts {
			finiteLonLat(t, raw, p[0], p[1])
		}
	})
}

// FuzzSearchParams runs the query strings of /search and /nearest
// through their parsers: no input panics, refusals name the parameter,
// and accepted numbers are in range.
func FuzzSearchParams(f *testing.F) {
	for _, s := range []string{"q=co-op&limit=5", "q=N22%206UJ&source=coops,orchards", "lon=-0.1&lat=51.5&n=3", "lon=0x1p3&lat=1",
		"lon=NaN&lat=0", "n=99999999999999999999", "limit=-1", "q=%FF", "lat=1e999&lon=0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := &http.Request{URL: &url.URL{Path: "/search", RawQuery: raw}}
		if v, err := searchParams(r, searchParamNames); err != nil {
			checkInvalid(t, raw, err)
		} else if n, err := intParam(v, "limit", 100); err != nil {
			checkInvalid(t, raw, err)
		} else if n < 0 || n > 100 {
			t.Fatalf("%q: limit %d accepted", raw, n)
		}
		v, err := searchParams(r, nearestParamNames)
		if err != nil {
			checkInvalid(t, raw, err)
			return
		}
		lon, err1 := floatParam(v, "lon")
		lat, err2 := floatParam(v, "lat")
		switch {
		case err1 != nil:
			checkInvalid(t, raw, err1)
		case err2 != nil:
			checkInvalid(t, raw, err2)
		case math.IsNaN(lon) || math.IsInf(lon, 0) || math.IsNaN(lat) || math.IsInf(lat, 0):
			t.Fatalf("%q: accepted %v,%v", raw, lon, lat)
		}
	})
}

// FuzzParseDatetime checks parseDatetime: no panic, refusals name
// datetime, and an accepted interval does not end before it starts.
func FuzzParseDatetime(f *testing.F) {
	for _, s := range []string{"2024-05-01", "2024-05-01T12:30:00Z", "2024-05-01/..", "../2024-05-01", "/2024-05-01", "2025-01-01/2024-01-01",
		"../..", "2024-02-30", "yesterday", "2024-05-01T12:30:00+99:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseDatetime(s)
		if err != nil {
			checkInvalid(t, s, err)
			return
		}
		if !r.From.IsZero() && !r.To.IsZero() && r.To.Before(r.From) {
			t.Fatalf("%q: accepted %v", s, r)
		}
	})
}

// FuzzParseSortBy checks parseSortBy: no panic, and a refusal names
// sortby.
func FuzzParseSortBy(f *testing.F) {
	for _, s := range []string{"name", "-name", "+updated", "geom", "name,-id", "", "-", "%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := parseSortBy(s); err != nil {
			checkInvalid(t, s, err)
		}
	})
}
