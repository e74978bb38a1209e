package web

import (
	"bytes"
	"compress/gzip"
	"math"
	"net/http"
	"strconv"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/coopmap/coopmap"
)

// maxMapPoints is the most records /map/points sends for one collection;
// a larger collection is a 413 problem, and the map draws it from vector
// tiles instead.
const maxMapPoints = 100_000

// pointSet is the body of /map/points/{collection} for one version of a
// source, kept so that every visitor after the first is served from
// memory.
type pointSet struct {
	version int64
	body    []byte
	// gz is body gzipped once, as most clients take it so.
	gz []byte
}

// pointSets holds the latest point set of each source.
type pointSets struct {
	mu   sync.Mutex
	sets map[string]pointSet // by source id
}

func newPointSets() *pointSets { return &pointSets{sets: map[string]pointSet{}} }

// pointsDoc is the compact, column-wise form of a source's records that
// the map clusters and filters in the browser: one entry per record in
// each array, categories as indexes into their lists, coordinates as
// lon, lat pairs rounded to about a metre. The record's other fields are
// fetched when it is opened.
type pointsDoc struct {
	Collection  string          `json:"collection"`
	Title       string          `json:"title"`
	Licence     coopmap.Licence `json:"licence"`
	Attribution string          `json:"attribution"`
	Version     int64           `json:"version"`
	Count       int             `json:"count"`
	Sectors     []string        `json:"sectors"`
	OrgTypes    []string        `json:"orgTypes"`
	IDs         []string        `json:"ids"`
	Names       []string        `json:"names"`
	Postcodes   []string        `json:"postcodes"`
	Coords      []float64       `json:"coords"`
	Sector      []int           `json:"sector"`
	OrgType     []int           `json:"orgType"`
}

// mapPoints serves /map/points/{collection}: every record of a co-op or
// overlay source as one point (a line or polygon by the centre of its
// extent) in the compact form of pointsDoc, gzipped when the client takes
// it. Errors: not found for an unknown or tours source, too large above
// maxMapPoints records.
func (s *Server) mapPoints(w http.ResponseWriter, r *http.Request) error {
	if _, err := params(r.URL.RawQuery); err != nil {
		return err
	}
	src, err := s.store.Source(r.Context(), chi.URLParam(r, "collection"))
	if err != nil {
		return err
	}
	if src.Kind == coopmap.KindTours {
		return coopmap.NotFoundf("%q is a tours source; its tours are at /collections/tours", clipParam(src.ID))
	}
	if src.FeatureCount > maxMapPoints {
		return coopmap.Errorf(coopmap.CodeTooLarge, "%s has %d records; the map's point sets hold at most %d (use /tiles/%s/{z}/{x}/{y}.mvt)", src.ID, src.FeatureCount, maxMapPoints, src.ID)
	}
	if notModified(w, r, etag("map-points", src.ID, itoa(src.Version)), src.UpdatedAt) {
		return nil
	}
	ps := s.pages.points
	ps.mu.Lock()
	set, ok := ps.sets[src.ID]
	ps.mu.Unlock()
	if !ok || set.version != src.Version {
		body, err := s.buildPoints(r, src)
		if err != nil {
			return err
		}
		set = pointSet{version: src.Version, body: body, gz: gzipped(body)}
		ps.mu.Lock()
		if cur, ok := ps.sets[src.ID]; !ok || cur.version < set.version {
			ps.sets[src.ID] = set
		}
		ps.mu.Unlock()
	}
	h := w.Header()
	h.Set("Content-Type", mediaJSON)
	h.Add("Vary", "Accept-Encoding")
	body := set.body
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = set.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, err = w.Write(body)
	return err
}

// gzipped returns b compressed with gzip's default level.
func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b) // a bytes.Buffer does not fail
	zw.Close()
	return buf.Bytes()
}

// buildPoints reads every record of src into a pointsDoc.
func (s *Server) buildPoints(r *http.Request, src coopmap.Source) ([]byte, error) {
	doc := pointsDoc{Collection: src.ID, Title: src.Title, Licence: src.Licence.Complete(), Attribution: src.Attribution,
		Version: src.Version, Sectors: []string{}, OrgTypes: []string{}}
	n := src.FeatureCount
	doc.IDs, doc.Names, doc.Postcodes = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	doc.Coords, doc.Sector, doc.OrgType = make([]float64, 0, 2*n), make([]int, 0, n), make([]int, 0, n)
	sectors, types := map[string]int{}, map[string]int{}
	index := func(v string, seen map[string]int, list *[]string) int {
		if v == "" {
			return -1
		}
		i, ok := seen[v]
		if !ok {
			i = len(*list)
			seen[v] = i
			*list = append(*list, v)
		}
		return i
	}
	round := func(v float64) float64 { return math.Round(v*1e5) / 1e5 }
	for f, err := range s.store.SourceFeatures(r.Context(), src.ID) {
		if err != nil {
			return nil, err
		}
		if f.Geometry == nil {
			continue
		}
		if doc.Count == maxMapPoints {
			return nil, coopmap.Errorf(coopmap.CodeTooLarge, "%s has more than %d records; the map's point sets hold at most that", src.ID, maxMapPoints)
		}
		c := f.Geometry.Bound().Center()
		doc.Count++
		doc.IDs = append(doc.IDs, f.ID)
		doc.Names = append(doc.Names, f.Name)
		doc.Postcodes = append(doc.Postcodes, f.Postcode)
		doc.Coords = append(doc.Coords, round(c[0]), round(c[1]))
		doc.Sector = append(doc.Sector, index(f.Sector, sectors, &doc.Sectors))
		doc.OrgType = append(doc.OrgType, index(f.OrgType, types, &doc.OrgTypes))
	}
	return jsonBytes(doc)
}
