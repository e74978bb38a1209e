package web

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
)

func benchFeatures(n int) []coopmap.Feature {
	fs := make([]coopmap.Feature, n)
	for i := range fs {
		fs[i] = coopmap.Feature{ID: fmt.Sprintf("coops.c%d", i), SourceID: "coops", Name: fmt.Sprintf("Co-operative %d", i),
			Sector: "food", OrgType: "worker", Postcode: "E1 2AB", Website: fmt.Sprintf("https://coop%d.coop", i), Founded: "1901",
			Geometry: orb.Point{-0.123456789 + float64(i)*1e-5, 51.5123456}, Precision: coopmap.PrecisionExact,
			UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), Version: 1}
	}
	return fs
}

// BenchmarkWriteFeatureCollection measures encoding a page of 1,000
// points, the benchmark's page (docs/PERFORMANCE.md).
func BenchmarkWriteFeatureCollection(b *testing.B) {
	fs := benchFeatures(1000)
	head := collectionHead{Type: "FeatureCollection", NumberMatched: 2000, NumberReturned: 1000}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		if err := writeFeatureCollection(w, head, fs); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWriteFeatureCollection checks that the streamed collection is valid
// GeoJSON with every feature and its properties.
func TestWriteFeatureCollection(t *testing.T) {
	fs := benchFeatures(3)
	fs[1].Properties = map[string]any{"name": "clash", "trees": 3.0, "note": "<b>\"quoted\"</b>\u2028"}
	fs[2].Geometry = nil
	fs[2].Name = "bad \xff utf-8"
	w := httptest.NewRecorder()
	if err := writeFeatureCollection(w, collectionHead{Type: "FeatureCollection", NumberReturned: 3}, fs); err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type     string
		Features []struct {
			ID       string
			Geometry *struct {
				Type        string
				Coordinates []float64
			}
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &fc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, w.Body.Bytes())
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) != 3 {
		t.Fatalf("%+v", fc)
	}
	f0 := fc.Features[0]
	if f0.ID != "coops.c0" || f0.Geometry.Type != "Point" || f0.Geometry.Coordinates[0] != -0.123456789 || f0.Properties["name"] != "Co-operative 0" ||
		f0.Properties["updated"] != "2026-01-02T03:04:05.006Z" || f0.Properties["version"] != 1.0 || f0.Properties["sector"] != "food" {
		t.Errorf("feature 0: %+v", f0)
	}
	if p := fc.Features[1].Properties; p["properties.name"] != "clash" || p["trees"] != 3.0 || p["note"] != "<b>\"quoted\"</b>\u2028" || p["name"] != "Co-operative 1" {
		t.Errorf("feature 1 properties: %v", p)
	}
	if f := fc.Features[2]; f.Geometry != nil || f.Properties["name"] != "bad \ufffd utf-8" {
		t.Errorf("feature 2: %+v", f)
	}
}
