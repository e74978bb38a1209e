package webtest_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// sourceVersions returns the versions of a source history document.
func sourceVersions(t *testing.T, r response) []map[string]any {
	t.Helper()
	list, ok := r.json["versions"].([]any)
	if !ok {
		t.Fatalf("source history without versions: %s", r.body)
	}
	out := make([]map[string]any, len(list))
	for i, v := range list {
		out[i] = v.(map[string]any)
	}
	return out
}

// sourceSummary is a source history as "version:op:by fields" newest
// first.
func sourceSummary(vs []map[string]any) string {
	var b []string
	for _, v := range vs {
		b = append(b, fmt.Sprintf("%v:%v:%v%v", v["version"], v["op"], v["by"], v["fields"]))
	}
	return strings.Join(b, " ")
}

// tagVersion reads n from an ETag W/"v{n}".
func tagVersion(t *testing.T, tag string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(tag, `W/"v`), `"`), 10, 64)
	if err != nil {
		t.Fatalf("ETag %q is not W/\"v{n}\"", tag)
	}
	return v
}

// TestSourceHistory takes a source's metadata through two edits and a
// revert over HTTP on both stores: the public history with its fields,
// notes, licence and revalidation, and every error of the revert.
func TestSourceHistory(t *testing.T) {
	eachWrite(t, nil, func(t *testing.T, e *writeEnv) {
		w := e.tok["coops-write"]
		url := e.srv.URL + "/collections/coops/history"
		vs := sourceVersions(t, getOK(t, url))
		if got, want := sourceSummary(vs), "1:create:[title description licence attribution owner origin retrieved_at]"; got != want {
			t.Fatalf("history of the imported source = %s; want %s", got, want)
		}
		src, err := e.st.Source(context.Background(), "coops")
		if err != nil {
			t.Fatal(err)
		}
		r := e.must(t, req{method: "PATCH", path: "/collections/coops", body: jsonBody(map[string]any{"title": "Renamed register", "note": "a better name"}),
			header: ifMatch(src.Version)}, w, 200)
		r = e.must(t, req{method: "PATCH", path: "/collections/coops", body: jsonBody(map[string]any{"licence": map[string]any{"id": "CC-BY-4.0"},
			"attribution": "© Someone, CC BY 4.0"}), header: ifMatch(tagVersion(t, r.header.Get("ETag")))}, w, 200)
		cur := tagVersion(t, r.header.Get("ETag"))

		h := getOK(t, url) // public
		vs = sourceVersions(t, h)
		if got, want := sourceSummary(vs), "3:update:coops-write token[licence attribution] 2:update:coops-write token[title] "+
			"1:create:[title description licence attribution owner origin retrieved_at]"; got != want {
			t.Fatalf("history = %s; want %s", got, want)
		}
		if vs[1]["note"] != "a better name" || vs[0]["note"] != "" || vs[2]["by"] != "" || vs[0]["at"] == "" || h.json["source"] != "coops" {
			t.Errorf("notes, names and times: %s", h.body)
		}
		meta := vs[2]["meta"].(map[string]any)
		licence := meta["licence"].(map[string]any)
		if meta["title"] != "Test coops" || licence["id"] != "ODC-By-1.0" || licence["url"] == nil || meta["attribution"] != "Attribution for coops." {
			t.Errorf("version 1's metadata: %v", meta)
		}
		if l, _ := h.json["licence"].(map[string]any); l["id"] != "CC-BY-4.0" || h.json["attribution"] != "© Someone, CC BY 4.0" {
			t.Errorf("the history's own licence and attribution: %s", h.body)
		}
		if g := get(t, url, "If-None-Match", h.header.Get("ETag")); g.status != 304 {
			t.Errorf("history revalidation: status %d; want 304", g.status)
		}

		revert := func(q string, v int64) req {
			return req{method: "POST", path: "/collections/coops/revert" + q, header: ifMatch(v), body: []byte(`{"note":"as imported"}`)}
		}
		e.must(t, req{method: "POST", path: "/collections/coops/revert?version=1"}, w, 428)
		r = e.must(t, revert("?version=1", cur-1), w, 412)
		if r.header.Get("ETag") != fmt.Sprintf(`W/"v%d"`, cur) {
			t.Errorf("412 ETag %q; want the current W/\"v%d\"", r.header.Get("ETag"), cur)
		}
		for _, q := range []string{"", "?version=x", "?version=0", "?version=-1", "?version=1&extra=1"} {
			if r := e.must(t, revert(q, cur), w, 400); r.json["field"] != "version" && r.json["field"] != "extra" {
				t.Errorf("revert%s: problem names no parameter: %s", q, r.body)
			}
		}
		if r := e.must(t, revert("?version=99", cur), w, 404); r.json["field"] != "version" {
			t.Errorf("revert to a version never kept: %s", r.body)
		}
		e.must(t, req{method: "POST", path: "/collections/coops/revert?version=1", header: ifMatch(cur), body: []byte(`{"nope":1}`)}, w, 400)
		e.must(t, req{method: "POST", path: "/collections/nope/revert?version=1", header: ifMatch(1)}, e.tok["admin"], 404)
		e.must(t, req{method: "POST", path: "/collections/bike-tours/revert?version=1", header: ifMatch(1)}, e.tok["admin"], 404)

		r = e.must(t, revert("?version=1", cur), w, 200)
		if r.header.Get("ETag") != fmt.Sprintf(`W/"v%d"`, cur+1) || r.json["title"] != "Test coops" || r.json["attribution"] != "Attribution for coops." {
			t.Fatalf("revert: %v %s", r.header, r.body)
		}
		if l, _ := r.json["licence"].(map[string]any); l["id"] != "ODC-By-1.0" {
			t.Fatalf("revert left the licence at %v", r.json["licence"])
		}
		if c := getOK(t, e.srv.URL+"/collections/coops"); c.json["title"] != "Test coops" {
			t.Errorf("collection after the revert: %.300s", c.body)
		}
		e.must(t, revert("?version=1", cur), w, 412)

		vs = sourceVersions(t, getOK(t, url))
		if got, want := sourceSummary(vs[:1]), "4:revert:coops-write token[title licence attribution]"; got != want || vs[0]["note"] != "as imported" {
			t.Fatalf("history after the revert = %s (%v); want %s first", sourceSummary(vs), vs[0]["note"], want)
		}

		for path, want := range map[string]int{
			"/collections/nope/history":         404,
			"/collections/bike-tours/history":   404,
			"/collections/tours/history":        404,
			"/collections/coops/history?x=1":    400,
			"/collections/coops/history?f=json": 200,
		} {
			if got := get(t, e.srv.URL+path).status; got != want {
				t.Errorf("GET %s: status %d; want %d", path, got, want)
			}
		}
	})
}

// TestSourceHistoryPublic checks that the history is a public read: any
// credential, or a bad one, gets it, as with no credential at all.
func TestSourceHistoryPublic(t *testing.T) {
	eachWrite(t, nil, func(t *testing.T, e *writeEnv) {
		for _, cred := range []string{"", "Bearer not-a-token", e.tok["expired"], e.tok["revoked"], e.tok["wrong"], e.tok["coops-write"]} {
			e.must(t, req{method: "GET", path: "/collections/coops/history"}, cred, 200)
		}
	})
}

// TestSourceRevertConcurrent sends concurrent reverts and edits based on
// one version: exactly one succeeds, the rest get 412, and the history
// gains one version.
func TestSourceRevertConcurrent(t *testing.T) {
	eachWrite(t, nil, func(t *testing.T, e *writeEnv) {
		w := e.tok["coops-write"]
		src, err := e.st.Source(context.Background(), "coops")
		if err != nil {
			t.Fatal(err)
		}
		r := e.must(t, req{method: "PATCH", path: "/collections/coops", body: jsonBody(map[string]any{"owner": "Someone else"}), header: ifMatch(src.Version)}, w, 200)
		v := tagVersion(t, r.header.Get("ETag"))
		const n = 20
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			statuses = map[int]int{}
		)
		for i := range n {
			wg.Go(func() {
				q := req{method: "POST", path: "/collections/coops/revert?version=1", header: ifMatch(v)}
				if i%2 == 1 {
					q = req{method: "PATCH", path: "/collections/coops", body: jsonBody(map[string]any{"owner": fmt.Sprintf("Writer %d", i)}), header: ifMatch(v)}
				}
				got := e.do(t, q, w)
				mu.Lock()
				statuses[got.status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if statuses[200] != 1 || statuses[412] != n-1 {
			t.Fatalf("statuses %v; want one 200 and %d × 412", statuses, n-1)
		}
		if vs := sourceVersions(t, getOK(t, e.srv.URL+"/collections/coops/history")); len(vs) != 3 {
			t.Fatalf("history = %s; want exactly one new version", sourceSummary(vs))
		}
	})
}
