package export

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/coopmap/coopmap"
)

// geojsonHeader is the FeatureCollection's provenance, written as foreign
// members (RFC 7946 §6.1) before "features".
type geojsonHeader struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Title       string          `json:"title,omitempty"`
	Licence     coopmap.Licence `json:"licence"`
	Attribution string          `json:"attribution"`
	Owner       string          `json:"owner,omitempty"`
	Origin      string          `json:"origin,omitempty"`
	RetrievedAt string          `json:"retrieved_at,omitempty"`
	Notice      string          `json:"notice"`
	Links       []link          `json:"links,omitempty"`
}

// link is an OGC API / RFC 8288 style link.
type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Title string `json:"title,omitempty"`
}

// WriteGeoJSON writes an RFC 7946 FeatureCollection. Its foreign members
// carry the provenance: name (the source id, which GDAL takes as the
// layer name), title, licence {id, name, url}, attribution, owner,
// origin, retrieved_at (RFC 3339), notice (Notice's text) and links (a
// rel=license link to the licence). Each feature has the record's key as
// its id and its non-empty fields, then its properties in key order, as
// properties (see the package documentation for names). See WriteFunc
// for the error contract.
func WriteGeoJSON(ctx context.Context, w io.Writer, src coopmap.Source, features iter.Seq2[coopmap.Feature, error]) error {
	src.Licence = src.Licence.Complete()
	h := geojsonHeader{
		Type: "FeatureCollection", Name: src.ID, Title: src.Title, Licence: src.Licence,
		Attribution: src.Attribution, Owner: src.Owner, Origin: src.Origin, Notice: Notice(src),
	}
	if !src.RetrievedAt.IsZero() {
		h.RetrievedAt = src.RetrievedAt.UTC().Format(time.RFC3339)
	}
	if src.Licence.URL != "" {
		h.Links = []link{{Href: src.Licence.URL, Rel: "license", Title: src.Licence.Name}}
	}
	head, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("export: geojson: %w", err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head[:len(head)-1]) // leave the object open for "features"
	bw.WriteString(",\"features\":[\n")
	var buf []byte
	first := true
	err = each(ctx, features, func(f coopmap.Feature) error {
		buf = buf[:0]
		if !first {
			buf = append(buf, ",\n"...)
		}
		first = false
		var err error
		if buf, err = appendGeoJSONFeature(buf, f); err != nil {
			return err
		}
		_, err = bw.Write(buf)
		return err
	})
	if err != nil {
		return err
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

// appendGeoJSONFeature appends one Feature object.
func appendGeoJSONFeature(b []byte, f coopmap.Feature) ([]byte, error) {
	b = append(b, `{"type":"Feature","id":`...)
	b, err := appendJSON(b, key(f))
	if err != nil {
		return b, err
	}
	b = append(b, `,"geometry":`...)
	b = appendGeoJSONGeometry(b, f.Geometry)
	b = append(b, `,"properties":{`...)
	for i, a := range attrs(f) {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendJSON(b, a.key); err != nil {
			return b, err
		}
		b = append(b, ':')
		if b, err = appendJSON(b, a.value); err != nil {
			return b, fmt.Errorf("export: geojson: feature %q: property %q: %w", f.ID, a.key, err)
		}
	}
	return append(b, "}}"...), nil
}

// appendJSON appends v encoded as JSON.
func appendJSON(b []byte, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, j...), nil
}
