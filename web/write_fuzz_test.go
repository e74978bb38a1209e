package web

import (
	"testing"

	"github.com/coopmap/coopmap"
)

// FuzzFeatureBody runs a write API body through the decoding of
// POST/PUT/PATCH /collections/{id}/items: unmarshalBody into
// featureBody, then apply, whole and as a merge patch. No body panics;
// every refusal is an invalid error naming the field; an accepted record
// has a geometry.
func FuzzFeatureBody(f *testing.F) {
	for _, s := range []string{
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[-0.1,51.5]},"properties":{"name":"Co-op","sector":"Food"}}`,
		`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,51],[1,51],[1,52],[0,51]]]},"properties":{"precision":"exact"}}`,
		`{"properties":{"name":null,"extra":[1,{"a":2}]}}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[200,51]}}`,
		`{"type":"Feature","colour":"red"}`, `{"id":7}`, `[[[[[[[[]]]]]]]]`, `{} {}`, "{\"properties\":{\"name\":\"\xff\"}}", `null`,
		`{"type":"Feature","type":"Feature"}`, `{"properties":{"a":1,"\u0061":2}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var body featureBody
		if err := unmarshalBody(b, &body); err != nil {
			checkInvalid(t, string(b), err)
			return
		}
		for _, merge := range []bool{false, true} {
			f := coopmap.Feature{ID: "coops.x", SourceID: "coops"}
			if err := body.apply(&f, "coops", merge); err != nil {
				checkInvalid(t, string(b), err)
				continue
			}
			if !merge && f.Geometry == nil {
				t.Fatalf("%q: a record without a geometry was accepted", b)
			}
		}
	})
}

// FuzzTourBody runs a body of POST/PUT /tours through unmarshalBody
// into tourBody: no panic, and refusals name the field.
func FuzzTourBody(f *testing.F) {
	for _, s := range []string{
		`{"id":"north-london","source_id":"bike-tours","title":"A ride","stops":[{"feature_id":"coops.R0001"},{"name":"Park","location":[-0.13,51.59]}]}`,
		`{"title":"x","stops":[{"location":[NaN,1]}]}`, `{"stops":{}}`, `{"route":true,"optimize":true}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var body tourBody
		if err := unmarshalBody(b, &body); err != nil {
			checkInvalid(t, string(b), err)
		}
	})
}
