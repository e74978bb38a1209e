package web

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
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

// pointSet is what /map/points serves for one version of a source, in
// its three forms, kept so that every visitor after the first is served
// from memory.
type pointSet struct {
	version int64
	full    encoded // the whole pointsDoc as JSON
	// positions and labels split the same records in two (pointParts),
	// so that the map can draw and filter before the strings arrive.
	positions, labels encoded
}

// encoded is a body and its gzipped form, made once, as most clients
// take it so.
type encoded struct {
	body, gz []byte
}

func encode(body []byte) encoded { return encoded{body: body, gz: gzipped(body)} }

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
	pointsMeta
	IDs       []string  `json:"ids"`
	Names     []string  `json:"names"`
	Postcodes []string  `json:"postcodes"`
	Coords    []float64 `json:"coords"`
	Sector    []int     `json:"sector"`
	OrgType   []int     `json:"orgType"`
}

// pointsMeta is what a point set says of its source, and the category
// lists its records index.
type pointsMeta struct {
	Collection  string          `json:"collection"`
	Title       string          `json:"title"`
	Licence     coopmap.Licence `json:"licence"`
	Attribution string          `json:"attribution"`
	Version     int64           `json:"version"`
	Count       int             `json:"count"`
	Sectors     []string        `json:"sectors"`
	OrgTypes    []string        `json:"orgTypes"`
}

// labelsDoc is the body of /map/points/{collection}/labels: the strings
// of the records of /map/points/{collection}/positions, in its order.
type labelsDoc struct {
	Collection string   `json:"collection"`
	Version    int64    `json:"version"`
	Count      int      `json:"count"`
	IDs        []string `json:"ids"`
	Names      []string `json:"names"`
	Postcodes  []string `json:"postcodes"`
}

// pointParts are the forms of a point set, by the last element of the
// path that asks for one.
const (
	partFull      = ""
	partPositions = "positions"
	partLabels    = "labels"
)

// positionsMagic starts every /map/points/{collection}/positions body;
// its last byte is the layout's version.
const positionsMagic = "CMP1"

// mapPoints serves /map/points/{collection} and its parts: every record
// of a co-op or overlay source as one point (a line or polygon by the
// centre of its extent), gzipped when the client takes it. part is
// partFull for the compact JSON of pointsDoc, partPositions for the
// binary positions and categories (positionsBody), partLabels for the
// records' strings (labelsDoc). Errors: not found for an unknown or tours
// source, too large above maxMapPoints records.
func (s *Server) mapPoints(part string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error { return s.servePoints(w, r, part) }
}

func (s *Server) servePoints(w http.ResponseWriter, r *http.Request, part string) error {
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
	if notModified(w, r, etag("map-points", src.ID, itoa(src.Version), part), src.UpdatedAt) {
		return nil
	}
	ps := s.pages.points
	ps.mu.Lock()
	set, ok := ps.sets[src.ID]
	ps.mu.Unlock()
	if !ok || set.version != src.Version {
		set, err = s.buildPoints(r, src)
		if err != nil {
			return err
		}
		ps.mu.Lock()
		if cur, ok := ps.sets[src.ID]; !ok || cur.version < set.version {
			ps.sets[src.ID] = set
		}
		ps.mu.Unlock()
	}
	h := w.Header()
	h.Add("Vary", "Accept-Encoding")
	e, media := set.full, mediaJSON
	switch part {
	case partPositions:
		e, media = set.positions, "application/octet-stream"
	case partLabels:
		e = set.labels
	}
	h.Set("Content-Type", media)
	body := e.body
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = e.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, err = w.Write(body)
	return err
}

// gzipped returns b compressed with gzip's default level.
func gzipped(b []byte) []byte { return gzipAt(b, gzip.DefaultCompression) }

// gzipAt returns b compressed with gzip at level, one of compress/gzip's.
func gzipAt(b []byte, level int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, level) // the callers pass valid levels
	zw.Write(b)                               // a bytes.Buffer does not fail
	zw.Close()
	return buf.Bytes()
}

// buildPoints reads every record of src into a point set.
func (s *Server) buildPoints(r *http.Request, src coopmap.Source) (pointSet, error) {
	doc := pointsDoc{pointsMeta: pointsMeta{Collection: src.ID, Title: src.Title, Licence: src.Licence.Complete(),
		Attribution: src.Attribution, Version: src.Version, Sectors: []string{}, OrgTypes: []string{}}}
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
			return pointSet{}, err
		}
		if f.Geometry == nil {
			continue
		}
		if doc.Count == maxMapPoints {
			return pointSet{}, coopmap.Errorf(coopmap.CodeTooLarge, "%s has more than %d records; the map's point sets hold at most that", src.ID, maxMapPoints)
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
	full, err := jsonBytes(doc)
	if err != nil {
		return pointSet{}, err
	}
	positions, err := positionsBody(doc)
	if err != nil {
		return pointSet{}, err
	}
	labels, err := jsonBytes(labelsDoc{Collection: doc.Collection, Version: doc.Version, Count: doc.Count,
		IDs: doc.IDs, Names: doc.Names, Postcodes: doc.Postcodes})
	if err != nil {
		return pointSet{}, err
	}
	return pointSet{version: src.Version, full: encode(full), positions: encode(positions), labels: encode(labels)}, nil
}

// positionsBody lays out the body of /map/points/{collection}/positions,
// all numbers little-endian:
//
//	"CMP1"                 4 bytes
//	count                  uint32: records
//	metaLength             uint32: bytes of the meta JSON, padding included
//	meta                   pointsMeta as UTF-8 JSON, padded with spaces to a multiple of 4 bytes
//	coords[2 × count]      int32: lon, lat of each record in 1e-5 degrees
//	sector[count]          int32: index into meta.sectors, -1 for none
//	orgType[count]         int32: index into meta.orgTypes, -1 for none
//
// Every array starts at a multiple of 4 bytes, so a client may view it
// as a typed array.
func positionsBody(doc pointsDoc) ([]byte, error) {
	meta, err := jsonBytes(doc.pointsMeta)
	if err != nil {
		return nil, err
	}
	for len(meta)%4 != 0 {
		meta = append(meta, ' ')
	}
	n := doc.Count
	b := make([]byte, 0, 12+len(meta)+16*n)
	b = append(b, positionsMagic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(meta)))
	b = append(b, meta...)
	for _, v := range doc.Coords {
		b = binary.LittleEndian.AppendUint32(b, uint32(int32(math.Round(v*1e5))))
	}
	for _, col := range [][]int{doc.Sector, doc.OrgType} {
		for _, v := range col {
			b = binary.LittleEndian.AppendUint32(b, uint32(int32(v)))
		}
	}
	return b, nil
}
