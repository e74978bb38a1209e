package webtest_test

import (
	"fmt"
	"strings"
	"testing"
)

// revisions returns the revisions of a tour history document.
func revisions(t *testing.T, r response) []map[string]any {
	t.Helper()
	list, ok := r.json["revisions"].([]any)
	if !ok {
		t.Fatalf("history without revisions: %s", r.body)
	}
	out := make([]map[string]any, len(list))
	for i, v := range list {
		out[i] = v.(map[string]any)
	}
	return out
}

// summary is a history as "version:op:by" newest first, "!" marking a
// tombstone.
func historySummary(revs []map[string]any) string {
	var b []string
	for _, rv := range revs {
		s := fmt.Sprintf("%v:%v:%v", rv["version"], rv["op"], rv["by"])
		if rv["deleted"] == true {
			s += "!"
		}
		b = append(b, s)
	}
	return strings.Join(b, " ")
}

// TestTourHistory takes a tour through its life over HTTP on both stores:
// create and update with notes, the public history, delete, a stale and a
// missing If-Match on restore, restore, revert, and the errors of the new
// endpoints.
func TestTourHistory(t *testing.T) {
	eachWrite(t, nil, func(t *testing.T, e *writeEnv) {
		w := e.tok["tours"]
		e.must(t, req{method: "POST", path: "/tours", body: jsonBody(map[string]any{"id": "mill-loop", "source_id": "bike-tours", "title": "Mill loop",
			"note": "first ride", "stops": []map[string]any{{"feature_id": "coops.R0001", "note": "coffee"}, {"name": "Mill", "location": []float64{-0.12, 51.6}}}})}, w, 201)
		e.must(t, req{method: "PUT", path: "/tours/mill-loop", body: jsonBody(map[string]any{"title": "Mill loop, reversed", "note": "other way round",
			"stops": []map[string]any{{"name": "Mill", "location": []float64{-0.12, 51.6}}, {"feature_id": "coops.R0001", "note": "coffee"}}}), header: ifMatch(1)}, w, 200)

		h := getOK(t, e.srv.URL+"/tours/mill-loop/history") // public
		revs := revisions(t, h)
		if got, want := historySummary(revs), "2:update:tours token 1:create:tours token"; got != want {
			t.Fatalf("history = %s; want %s", got, want)
		}
		if revs[0]["note"] != "other way round" || revs[1]["note"] != "first ride" || revs[0]["at"] == "" {
			t.Errorf("notes and times: %s", h.body)
		}
		if f := revs[0]["fields"]; fmt.Sprint(f) != "[title stops]" {
			t.Errorf("fields of version 2 = %v; want [title stops]", f)
		}
		tour := revs[1]["tour"].(map[string]any)
		if tour["title"] != "Mill loop" || h.json["licence"] == nil || h.json["attribution"] == "" || tour["sources"] == nil {
			t.Errorf("version 1 content or licence: %s", h.body)
		}
		if g := get(t, e.srv.URL+"/tours/mill-loop/history", "If-None-Match", h.header.Get("ETag")); g.status != 304 {
			t.Errorf("history revalidation: status %d; want 304", g.status)
		}

		e.must(t, req{method: "DELETE", path: "/tours/mill-loop", body: []byte(`{"note":"closed for works"}`), header: ifMatch(2)}, w, 204)
		if get(t, e.srv.URL+"/tours/mill-loop").status != 404 {
			t.Fatal("a deleted tour is still served")
		}
		revs = revisions(t, getOK(t, e.srv.URL+"/tours/mill-loop/history"))
		if got, want := historySummary(revs), "3:delete:tours token! 2:update:tours token 1:create:tours token"; got != want || revs[0]["note"] != "closed for works" {
			t.Fatalf("history after delete = %s (%v); want %s", got, revs[0]["note"], want)
		}

		restore := req{method: "POST", path: "/tours/mill-loop/restore"}
		e.must(t, restore, w, 428)
		restore.header = ifMatch(2)
		r := e.must(t, restore, w, 412)
		if r.header.Get("ETag") != `W/"v3"` {
			t.Errorf("412 ETag %q; want the tombstone's W/\"v3\"", r.header.Get("ETag"))
		}
		e.must(t, req{method: "PUT", path: "/tours/mill-loop", body: jsonBody(map[string]any{"title": "x"}), header: ifMatch(3)}, w, 404)
		restore.header = ifMatch(3)
		r = e.must(t, restore, w, 200)
		tag := r.header.Get("ETag")
		if !strings.HasPrefix(tag, `W/"v4-`) || r.json["title"] != "Mill loop, reversed" {
			t.Fatalf("restore: %v %s", r.header, r.body)
		}
		if g := getOK(t, e.srv.URL+"/tours/mill-loop"); g.header.Get("ETag") != tag {
			t.Fatalf("GET ETag %q after restore; the restore said %q", g.header.Get("ETag"), tag)
		}
		e.must(t, restore, w, 412) // now live at version 4
		restore.header = ifMatch(4)
		e.must(t, restore, w, 409) // not deleted

		revert := func(q string, v int64) req {
			return req{method: "POST", path: "/tours/mill-loop/revert" + q, header: ifMatch(v), body: []byte(`{"note":"as it was"}`)}
		}
		r = e.must(t, revert("?version=1", 4), w, 200)
		if !strings.HasPrefix(r.header.Get("ETag"), `W/"v5-`) || r.json["title"] != "Mill loop" {
			t.Fatalf("revert: %v %s", r.header, r.body)
		}
		e.must(t, revert("?version=1", 4), w, 412)
		for _, q := range []string{"", "?version=x", "?version=0", "?version=1&extra=1"} {
			if r := e.must(t, revert(q, 5), w, 400); !strings.Contains(string(r.body), "version") && !strings.Contains(string(r.body), "extra") {
				t.Errorf("revert%s: problem names no parameter: %s", q, r.body)
			}
		}
		e.must(t, revert("?version=99", 5), w, 404)
		e.must(t, req{method: "POST", path: "/tours/mill-loop/frobnicate", header: ifMatch(5)}, w, 404)
		e.must(t, req{method: "POST", path: "/tours/nope/restore", header: ifMatch(1)}, w, 404)
		e.must(t, req{method: "POST", path: "/tours/Bad.Id/restore", header: ifMatch(1)}, w, 404)
		e.must(t, req{method: "POST", path: "/tours/mill-loop/restore", header: ifMatch(5), body: []byte(`{"nope":1}`)}, w, 400)
		if get(t, e.srv.URL+"/tours/nope/history").status != 404 {
			t.Error("history of no tour: want 404")
		}
		if get(t, e.srv.URL+"/tours/mill-loop/history?x=1").status != 400 {
			t.Error("history with an unknown parameter: want 400")
		}

		revs = revisions(t, getOK(t, e.srv.URL+"/tours/mill-loop/history"))
		if got, want := historySummary(revs), "5:revert:tours token 4:restore:tours token 3:delete:tours token! 2:update:tours token 1:create:tours token"; got != want {
			t.Fatalf("final history = %s; want %s", got, want)
		}
		if f := fmt.Sprint(revs[0]["fields"]); f != "[title stops]" || revs[0]["note"] != "as it was" {
			t.Errorf("revert: fields %s, note %v; want [title stops], as it was", f, revs[0]["note"])
		}
	})
}
