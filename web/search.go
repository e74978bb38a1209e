package web

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/geo"
	"github.com/coopmap/coopmap/postcodes"
	"github.com/coopmap/coopmap/search"
)

// searchParamNames and nearestParamNames are the query parameters of
// /search and /nearest; any other is a 400.
var (
	searchParamNames  = []string{"q", "limit", "source"}
	nearestParamNames = []string{"lon", "lat", "n", "source"}
)

// searchHandler answers /search?q=&limit=&source=: the records matching q,
// best first, as a GeoJSON FeatureCollection, and the place q names if it
// is a postcode, district or sector (docs/API.md).
func (s *Server) searchHandler(w http.ResponseWriter, r *http.Request) error {
	v, err := searchParams(r, searchParamNames)
	if err != nil {
		return err
	}
	text, err := queryText(v, search.MaxQuery)
	if err != nil {
		return err
	}
	q := search.Query{Text: text, Sources: sourceList(v)}
	if strings.TrimSpace(q.Text) == "" {
		return coopmap.Invalidf("q", "is required: give the words, name or postcode to search for")
	}
	if q.Limit, err = intParam(v, "limit", search.MaxLimit); err != nil {
		return err
	}
	res, err := s.cfg.Search.Search(r.Context(), q)
	if err != nil {
		return err
	}
	doc := hitCollection{Type: "FeatureCollection", Features: make([]hitFeature, len(res.Hits)), Places: make([]placeJSON, len(res.Places)),
		NumberReturned: len(res.Hits), Sources: provenance(res.Sources)}
	for i, h := range res.Hits {
		score := h.Score
		doc.Features[i] = newHitFeature(h.Record)
		doc.Features[i].Properties.Matched, doc.Features[i].Properties.Score = string(h.Matched), &score
	}
	for i, p := range res.Places {
		doc.Places[i] = placeJSON{Kind: string(p.Kind), Postcode: p.Postcode, Center: [2]float64{p.Point[0], p.Point[1]},
			Licence: postcodesLicence(), Attribution: postcodes.Attribution}
		if b := p.BBox; b != nil {
			doc.Places[i].BBox = &[4]float64{b.MinLon, b.MinLat, b.MaxLon, b.MaxLat}
		}
	}
	return writeSearchJSON(w, doc)
}

// nearestHandler answers /nearest?lon=&lat=&n=&source=: the n records
// nearest the point, nearest first, with their distance in metres, as a
// GeoJSON FeatureCollection.
func (s *Server) nearestHandler(w http.ResponseWriter, r *http.Request) error {
	v, err := searchParams(r, nearestParamNames)
	if err != nil {
		return err
	}
	var p orb.Point
	for i, name := range []string{"lon", "lat"} {
		if p[i], err = floatParam(v, name); err != nil {
			return err
		}
	}
	q := search.NearQuery{Point: p, Sources: sourceList(v)}
	if q.N, err = intParam(v, "n", search.MaxNearest); err != nil {
		return err
	}
	res, err := s.cfg.Search.Nearest(r.Context(), q)
	if err != nil {
		return err
	}
	doc := hitCollection{Type: "FeatureCollection", Features: make([]hitFeature, len(res.Near)),
		NumberReturned: len(res.Near), Sources: provenance(res.Sources)}
	for i, n := range res.Near {
		d := math.Round(n.Distance*10) / 10
		doc.Features[i] = newHitFeature(n.Record)
		doc.Features[i].Properties.Distance = &d
	}
	return writeSearchJSON(w, doc)
}

// searchParams checks the query string as params does, first naming q
// when it alone is over its limit (so a 10 KB q is reported as q, not as
// the query string).
func searchParams(r *http.Request, allowed []string) (url.Values, error) {
	if q := r.URL.Query()["q"]; len(q) == 1 && len(q[0]) > search.MaxQuery {
		return nil, coopmap.Invalidf("q", "is %d bytes long; the limit is %d", len(q[0]), search.MaxQuery)
	}
	return params(r.URL.RawQuery, allowed...)
}

// intParam reads a whole-number parameter from 1 to max; absent gives 0
// (the default). Errors are invalid and name the parameter.
func intParam(v url.Values, name string, max int) (int, error) {
	if !v.Has(name) {
		return 0, nil
	}
	s := v.Get(name)
	n, err := strconv.Atoi(s)
	switch {
	case err != nil && s != "" && strings.Trim(s, "0123456789") == "":
		return 0, coopmap.Invalidf(name, "%s is over the maximum of %d", clipParam(s), max)
	case err != nil:
		return 0, coopmap.Invalidf(name, "%q is not a whole number; give 1 to %d", clipParam(s), max)
	case n < 1:
		return 0, coopmap.Invalidf(name, "%d is below the minimum of 1", n)
	case n > max:
		return 0, coopmap.Invalidf(name, "%d is over the maximum of %d", n, max)
	}
	return n, nil
}

// floatParam reads a required decimal number. NaN, infinities, numbers
// too large for a float64 and hexadecimal are refused, naming the
// parameter; the range is checked by the caller.
func floatParam(v url.Values, name string) (float64, error) {
	if !v.Has(name) {
		return 0, coopmap.Invalidf(name, "is required")
	}
	s := v.Get(name)
	f, err := geo.ParseDecimal(s)
	if err != nil {
		return 0, coopmap.Invalidf(name, "%q is not a finite decimal number", clipParam(s))
	}
	return f, nil
}

// sourceList reads source=a,b (or none).
func sourceList(v url.Values) []string {
	if !v.Has("source") {
		return nil
	}
	return strings.Split(v.Get("source"), ",")
}

// postcodesLicence is the licence of the postcode table places come from.
func postcodesLicence() coopmap.Licence {
	return coopmap.Licence{ID: postcodes.LicenceID}.Complete()
}

// hitCollection is the GeoJSON FeatureCollection /search and /nearest
// send, with the provenance of every source it draws on as foreign
// members.
type hitCollection struct {
	Type           string       `json:"type"`
	Features       []hitFeature `json:"features"`
	Places         []placeJSON  `json:"places,omitempty"`
	NumberReturned int          `json:"numberReturned"`
	Sources        []sourceInfo `json:"sources"`
}

type hitFeature struct {
	Type       string    `json:"type"`
	ID         string    `json:"id"`
	Geometry   pointJSON `json:"geometry"`
	Properties hitProps  `json:"properties"`
}

type pointJSON struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

type hitProps struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Source   string   `json:"source"`
	Matched  string   `json:"matched,omitempty"`
	Score    *float64 `json:"score,omitempty"`
	Distance *float64 `json:"distance_m,omitempty"`
	Address  string   `json:"address,omitempty"`
	Postcode string   `json:"postcode,omitempty"`
	Sector   string   `json:"sector,omitempty"`
	OrgType  string   `json:"org_type,omitempty"`
}

// placeJSON is a place to fly to, with the licence and attribution of the
// postcode table it comes from.
type placeJSON struct {
	Kind        string          `json:"kind"`
	Postcode    string          `json:"postcode"`
	Center      [2]float64      `json:"center"`
	BBox        *[4]float64     `json:"bbox,omitempty"`
	Licence     coopmap.Licence `json:"licence"`
	Attribution string          `json:"attribution"`
}

func newHitFeature(r search.Record) hitFeature {
	return hitFeature{
		Type: "Feature", ID: r.ID,
		Geometry: pointJSON{Type: "Point", Coordinates: [2]float64{r.Point[0], r.Point[1]}},
		Properties: hitProps{ID: r.ID, Name: r.Name, Source: r.SourceID, Address: r.Address, Postcode: r.Postcode,
			Sector: r.Sector, OrgType: r.OrgType},
	}
}

// provenance describes sources as the collections documents do.
func provenance(srcs []coopmap.Source) []sourceInfo {
	out := make([]sourceInfo, len(srcs))
	for i, src := range srcs {
		out[i] = sourceInfo{ID: src.ID, Title: src.Title, Licence: src.Licence.Complete(), Attribution: src.Attribution,
			Owner: src.Owner, Origin: src.Origin, Features: src.FeatureCount}
		if !src.RetrievedAt.IsZero() {
			out[i].RetrievedAt = src.RetrievedAt.UTC().Format(time.RFC3339)
		}
	}
	return out
}

// writeSearchJSON sends a search answer as GeoJSON. Answers change with
// every import, so they are not cached.
func writeSearchJSON(w http.ResponseWriter, doc hitCollection) error {
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	return json.NewEncoder(w).Encode(doc)
}
