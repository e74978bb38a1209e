package webtest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/storetest"
)

// revisionSummary is a record history document as "version:op:by(note)"
// newest first, with "!" after the op of a tombstone.
func revisionSummary(t *testing.T, r response) string {
	t.Helper()
	revs, ok := r.json["revisions"].([]any)
	if !ok {
		t.Fatalf("record history without revisions: %s", r.body)
	}
	var b []string
	for _, rv := range revs {
		m := rv.(map[string]any)
		op := fmt.Sprint(m["op"])
		if m["deleted"] == true {
			op += "!"
		}
		s := fmt.Sprintf("%v:%s:%v", m["version"], op, m["by"])
		if n, _ := m["note"].(string); n != "" {
			s += "(" + n + ")"
		}
		b = append(b, s)
	}
	return strings.Join(b, " ")
}

// TestImportUploadAttributed re-imports a source by upload with a token
// named "owner-x" on both stores: every version the import writes (a
// record changed, one added, one tombstoned, and the source's metadata
// version) names owner-x with the ?note= in the public histories, while
// a CLI-style import (no token) leaves by empty. A bad note is a 400
// naming "note" that writes nothing.
func TestImportUploadAttributed(t *testing.T) {
	eachWrite(t, nil, func(t *testing.T, e *writeEnv) {
		ctx := context.Background()
		// A source whose stored licence lacks its name and URL: an
		// upload keeps the stored metadata but completes the licence, so
		// this one also writes a metadata version.
		src := storetest.Source("owned", coopmap.KindFeatures)
		src.Licence = coopmap.Licence{ID: src.Licence.ID}
		a, b := storetest.Point("owned", "a", -1, 52), storetest.Point("owned", "b", -1.1, 52)
		if _, err := e.st.ReplaceSource(ctx, src, storetest.Seq([]coopmap.Feature{a, b})); err != nil {
			t.Fatal(err)
		}
		tok, secret := storetest.NewTestToken(t, "owner-x", time.Now().UTC(), coopmap.SourceWriteScope("owned"))
		if _, err := e.st.(coopmap.TokenStore).CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		upload := jsonBody(map[string]any{"type": "FeatureCollection", "features": []any{
			map[string]any{"type": "Feature", "id": "a", "geometry": map[string]any{"type": "Point", "coordinates": []float64{-1, 52}},
				"properties": map[string]any{"name": "Co-op a, uploaded"}},
			map[string]any{"type": "Feature", "id": "c", "geometry": map[string]any{"type": "Point", "coordinates": []float64{-1.2, 52}},
				"properties": map[string]any{"name": "Co-op c"}},
		}})
		path := "/collections/owned/import?name=owned.geojson&note=" + "spring%20update"

		// Refused before anything is written.
		long := strings.Repeat("n", coopmap.MaxChangeNote+1)
		if r := e.must(t, req{method: "POST", path: "/collections/owned/import?note=" + long, body: upload}, secret, 400); r.json["field"] != "note" {
			t.Fatalf("a too long note: %s", r.body)
		}
		if r := e.must(t, req{method: "POST", path: "/collections/owned/import?note=%00", body: upload}, secret, 400); r.json["field"] != "note" {
			t.Fatalf("a note with NUL: %s", r.body)
		}
		if got := revisionSummary(t, getOK(t, e.srv.URL+"/collections/owned/items/owned.a/history")); got != "1:import:<nil>" {
			t.Fatalf("a refused upload wrote: %s", got)
		}

		r := e.must(t, req{method: "POST", path: path, body: upload}, secret, 200)
		if num(r.json["added"]) != 1 || num(r.json["updated"]) != 1 || num(r.json["removed"]) != 1 || r.json["written"] != true {
			t.Fatalf("import report: %s", r.body)
		}
		for id, want := range map[string]string{
			"owned.a": "2:import:owner-x(spring update) 1:import:<nil>",
			"owned.b": "2:import!:owner-x(spring update) 1:import:<nil>",
			"owned.c": "1:import:owner-x(spring update)",
		} {
			if got := revisionSummary(t, getOK(t, e.srv.URL+"/collections/owned/items/"+id+"/history")); got != want {
				t.Errorf("history of %s = %s; want %s", id, got, want)
			}
		}
		vs := sourceVersions(t, getOK(t, e.srv.URL+"/collections/owned/history"))
		if got, want := sourceSummary(vs), "2:import:owner-x[licence] 1:create:[title description licence attribution owner origin retrieved_at]"; got != want || vs[0]["note"] != "spring update" {
			t.Fatalf("source history = %s; want %s", got, want)
		}

		// An import without a token, as coopmap import runs it, names
		// nobody; the upload's versions keep their names.
		c2 := storetest.Point("owned", "c", -1.2, 52)
		if _, err := e.st.ReplaceSource(ctx, src, storetest.Seq([]coopmap.Feature{c2})); err != nil {
			t.Fatal(err)
		}
		if got, want := revisionSummary(t, getOK(t, e.srv.URL+"/collections/owned/items/owned.c/history")), "2:import:<nil> 1:import:owner-x(spring update)"; got != want {
			t.Errorf("history of owned.c after an import without a token = %s; want %s", got, want)
		}
		if got, want := revisionSummary(t, getOK(t, e.srv.URL+"/collections/owned/items/owned.a/history")), "3:import!:<nil> 2:import:owner-x(spring update) 1:import:<nil>"; got != want {
			t.Errorf("history of owned.a after an import without a token = %s; want %s", got, want)
		}
		vs = sourceVersions(t, getOK(t, e.srv.URL+"/collections/owned/history"))
		if got, want := sourceSummary(vs), "3:import:[licence] 2:import:owner-x[licence] 1:create:[title description licence attribution owner origin retrieved_at]"; got != want {
			t.Errorf("source history after an import without a token = %s; want %s", got, want)
		}
	})
}
