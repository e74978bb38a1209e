package webtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/importers"
	"github.com/coopmap/coopmap/importers/geojson"
	"github.com/coopmap/coopmap/store/storetest"
	"github.com/coopmap/coopmap/web"
	"github.com/coopmap/coopmap/web/webtest"
)

// writeEnv is a server over a store with the fixture and one token of
// each kind the authorisation table needs.
type writeEnv struct {
	srv *httptest.Server
	st  coopmap.Store
	// secrets by role: admin, coops-write, coops-moderate,
	// orchards-write, tours, wrong, expired, revoked, unknown.
	tok  map[string]string
	logs *syncBuffer
	n    atomic.Int64
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer = webtest.SyncBuffer

// eachWrite runs fn once per store with a fresh writeEnv; cfg may change
// the server's settings.
func eachWrite(t *testing.T, cfg func(*web.Config), fn func(t *testing.T, e *writeEnv)) {
	for _, s := range webtest.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			st := s.Open(t)
			fixture(t, st)
			c := web.Config{ImportFormats: importers.Formats{importers.FormatGeoJSON: geojson.Parse}}
			if cfg != nil {
				cfg(&c)
			}
			logs := &syncBuffer{}
			log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			srv := httptest.NewServer(web.New(st, log, c).Handler())
			t.Cleanup(srv.Close)
			fn(t, &writeEnv{srv: srv, st: st, tok: makeTokens(t, st), logs: logs})
		})
	}
}

// makeTokens stores the tokens of the authorisation table and returns
// their secrets by role.
func makeTokens(t *testing.T, st coopmap.Store) map[string]string {
	t.Helper()
	ts := st.(coopmap.TokenStore)
	ctx := context.Background()
	now := time.Now().UTC()
	out := map[string]string{}
	for role, scope := range map[string]string{
		"admin": coopmap.ScopeAdmin, "coops-write": coopmap.SourceWriteScope("coops"), "coops-moderate": coopmap.SourceModerateScope("coops"),
		"orchards-write": coopmap.SourceWriteScope("orchards"), "tours": coopmap.ScopeToursWrite,
		"wrong": coopmap.SourceWriteScope("elsewhere"), "revoked": coopmap.ScopeAdmin,
	} {
		tok, secret := storetest.NewTestToken(t, role+" token", now, scope)
		if _, err := ts.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		out[role] = secret
	}
	exp, secret := storetest.NewTestToken(t, "expired token", now.Add(-2*time.Hour), coopmap.ScopeAdmin)
	exp.ExpiresAt = now.Add(-time.Hour)
	if _, err := ts.CreateToken(ctx, exp); err != nil {
		t.Fatal(err)
	}
	out["expired"] = secret
	if _, err := ts.RevokeToken(ctx, "revoked token", now); err != nil {
		t.Fatal(err)
	}
	_, out["unknown"] = storetest.NewTestToken(t, "never stored", now, coopmap.ScopeAdmin)
	return out
}

// req is one HTTP request of a test.
type req struct {
	method, path string
	body         []byte
	header       map[string]string
}

// do sends q to the server with the token (a secret, "" for none, or a
// whole Authorization value when it has a space) and decodes the answer.
func (e *writeEnv) do(t *testing.T, q req, token string) response {
	t.Helper()
	hq, err := http.NewRequest(q.method, e.srv.URL+q.path, bytes.NewReader(q.body))
	if err != nil {
		t.Fatal(err)
	}
	if q.body != nil {
		hq.Header.Set("Content-Type", "application/json")
	}
	for k, v := range q.header {
		hq.Header.Set(k, v)
	}
	switch {
	case strings.Contains(token, " "):
		hq.Header.Set("Authorization", token)
	case token != "":
		hq.Header.Set("Authorization", "Bearer "+token)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := http.DefaultClient.Do(hq.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", q.method, q.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: body}
	if ct := resp.Header.Get("Content-Type"); strings.Contains(ct, "json") && len(body) > 0 {
		if err := json.Unmarshal(body, &r.json); err != nil {
			t.Fatalf("%s %s: %s body is not a JSON object: %v\n%.300s", q.method, q.path, ct, err, body)
		}
	}
	return r
}

// must sends q and fails unless the status is want.
func (e *writeEnv) must(t *testing.T, q req, token string, want int) response {
	t.Helper()
	r := e.do(t, q, token)
	if r.status != want {
		t.Fatalf("%s %s: status %d; want %d\n%.600s", q.method, q.path, r.status, want, r.body)
	}
	return r
}

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// point is a GeoJSON Feature body of a point record.
func point(name string, lon, lat float64, props map[string]any) []byte {
	p := map[string]any{"name": name}
	for k, v := range props {
		p[k] = v
	}
	return jsonBody(map[string]any{"type": "Feature", "geometry": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}, "properties": p})
}

// editor is the store as a coopmap.Editor, for preparing state.
func (e *writeEnv) editor(t *testing.T) coopmap.Editor {
	ed, ok := e.st.(coopmap.Editor)
	if !ok {
		t.Fatalf("%T is not a coopmap.Editor", e.st)
	}
	return ed
}

// uniq returns a fresh name for a test object.
func (e *writeEnv) uniq(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, e.n.Add(1))
}

// newRecord creates a record in coops through the store and returns it.
func (e *writeEnv) newRecord(t *testing.T) coopmap.Feature {
	t.Helper()
	f := storetest.Point("coops", e.uniq("W"), -1.5, 53)
	f.Name = "Prepared co-op"
	f, err := e.editor(t).CreateFeature(context.Background(), f, coopmap.Change{By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func ifMatch(v int64) map[string]string {
	return map[string]string{"If-Match": fmt.Sprintf(`W/"v%d"`, v)}
}

// writeEndpoint is one row of the authorisation table: how to make a
// request that succeeds with the right token, and the role that has the
// right scope.
type writeEndpoint struct {
	name    string
	role    string
	prepare func(t *testing.T, e *writeEnv) req
	ok      int
}

func writeEndpoints() []writeEndpoint {
	return []writeEndpoint{
		{"create item", "coops-write", func(t *testing.T, e *writeEnv) req {
			return req{method: "POST", path: "/collections/coops/items", body: point("New co-op", -1, 52, nil)}
		}, 201},
		{"replace item", "coops-write", func(t *testing.T, e *writeEnv) req {
			f := e.newRecord(t)
			return req{method: "PUT", path: "/collections/coops/items/" + f.ID, body: point("Renamed", -1, 52, nil), header: ifMatch(f.Version)}
		}, 200},
		{"patch item", "coops-write", func(t *testing.T, e *writeEnv) req {
			f := e.newRecord(t)
			return req{method: "PATCH", path: "/collections/coops/items/" + f.ID, body: jsonBody(map[string]any{"properties": map[string]any{"sector": "Food"}}), header: ifMatch(f.Version)}
		}, 200},
		{"delete item", "coops-write", func(t *testing.T, e *writeEnv) req {
			f := e.newRecord(t)
			return req{method: "DELETE", path: "/collections/coops/items/" + f.ID, header: ifMatch(f.Version)}
		}, 200},
		{"restore item", "coops-write", func(t *testing.T, e *writeEnv) req {
			f := e.newRecord(t)
			d, err := e.editor(t).DeleteFeature(context.Background(), f.ID, f.Version, coopmap.Change{By: "test"})
			if err != nil {
				t.Fatal(err)
			}
			return req{method: "POST", path: "/collections/coops/items/" + f.ID + "/restore", header: ifMatch(d.Version)}
		}, 200},
		{"revert item", "coops-write", func(t *testing.T, e *writeEnv) req {
			f := e.newRecord(t)
			f.Name = "Changed"
			u, err := e.editor(t).UpdateFeature(context.Background(), f, f.Version, coopmap.Change{By: "test"})
			if err != nil {
				t.Fatal(err)
			}
			return req{method: "POST", path: "/collections/coops/items/" + f.ID + "/revert?version=1", header: ifMatch(u.Version)}
		}, 200},
		{"list deleted", "coops-write", func(t *testing.T, e *writeEnv) req {
			return req{method: "GET", path: "/collections/coops/deleted"}
		}, 200},
		{"patch collection", "coops-write", func(t *testing.T, e *writeEnv) req {
			src, err := e.st.Source(context.Background(), "coops")
			if err != nil {
				t.Fatal(err)
			}
			return req{method: "PATCH", path: "/collections/coops", body: jsonBody(map[string]any{"owner": e.uniq("Owner ")}), header: ifMatch(src.Version)}
		}, 200},
		{"revert collection", "coops-write", func(t *testing.T, e *writeEnv) req {
			src, err := e.st.Source(context.Background(), "coops")
			if err != nil {
				t.Fatal(err)
			}
			return req{method: "POST", path: "/collections/coops/revert?version=1", body: []byte(`{"note":"as imported"}`), header: ifMatch(src.Version)}
		}, 200},
		{"import", "orchards-write", func(t *testing.T, e *writeEnv) req {
			return req{method: "POST", path: "/collections/orchards/import?name=orchards.geojson", body: orchardUpload(e.uniq("Orchard "))}
		}, 200},
		{"list suggestions", "coops-moderate", func(t *testing.T, e *writeEnv) req {
			return req{method: "GET", path: "/collections/coops/suggestions"}
		}, 200},
		{"accept suggestion", "coops-moderate", func(t *testing.T, e *writeEnv) req {
			return req{method: "POST", path: fmt.Sprintf("/collections/coops/suggestions/%d/accept", e.suggestion(t, "")), body: []byte(`{"note":"ok"}`)}
		}, 200},
		{"reject suggestion", "coops-moderate", func(t *testing.T, e *writeEnv) req {
			return req{method: "POST", path: fmt.Sprintf("/collections/coops/suggestions/%d/reject", e.suggestion(t, "")), body: []byte(`{"reason":"duplicate"}`)}
		}, 200},
		{"create tour", "tours", func(t *testing.T, e *writeEnv) req {
			return req{method: "POST", path: "/tours", body: jsonBody(map[string]any{"id": e.uniq("tour-"), "source_id": "bike-tours", "title": "A ride",
				"stops": []map[string]any{{"feature_id": "coops.R0001"}, {"name": "Park", "location": []float64{-0.13, 51.59}}}})}
		}, 201},
		{"update tour", "tours", func(t *testing.T, e *writeEnv) req {
			tr := e.newTour(t)
			return req{method: "PUT", path: "/tours/" + tr.ID, body: jsonBody(map[string]any{"title": "Renamed ride", "stops": []map[string]any{{"feature_id": "coops.R0002"}}}), header: ifMatch(tr.Version)}
		}, 200},
		{"delete tour", "tours", func(t *testing.T, e *writeEnv) req {
			tr := e.newTour(t)
			return req{method: "DELETE", path: "/tours/" + tr.ID, header: ifMatch(tr.Version)}
		}, 204},
		{"restore tour", "tours", func(t *testing.T, e *writeEnv) req {
			tr := e.newTour(t)
			d, err := e.st.(coopmap.TourEditor).DeleteTourAs(context.Background(), tr.ID, tr.Version, coopmap.Change{By: "test"})
			if err != nil {
				t.Fatal(err)
			}
			return req{method: "POST", path: "/tours/" + tr.ID + "/restore", header: ifMatch(d.Version)}
		}, 200},
		{"revert tour", "tours", func(t *testing.T, e *writeEnv) req {
			tr := e.newTour(t)
			tr.Title = "Changed"
			u, err := e.st.UpdateTour(context.Background(), tr)
			if err != nil {
				t.Fatal(err)
			}
			return req{method: "POST", path: "/tours/" + tr.ID + "/revert?version=1", header: ifMatch(u.Version)}
		}, 200},
	}
}

// orchardUpload is a GeoJSON file with one orchard, the whole new content
// of the orchards source.
func orchardUpload(name string) []byte {
	return jsonBody(map[string]any{"type": "FeatureCollection", "features": []any{map[string]any{"type": "Feature", "id": "uploaded",
		"geometry":   map[string]any{"type": "Point", "coordinates": []float64{-2, 52}},
		"properties": map[string]any{"name": name}}}})
}

// suggestion queues a public suggestion through the store: a correction
// of featureID, or a new record when it is "".
func (e *writeEnv) suggestion(t *testing.T, featureID string) int64 {
	t.Helper()
	m := e.st.(coopmap.Moderation)
	p := storetest.Point("coops", "s", -1.2, 52.5)
	p.Name = "Suggested co-op"
	if featureID != "" {
		f, err := e.st.Feature(context.Background(), featureID)
		if err != nil {
			t.Fatal(err)
		}
		p = f
		p.Name = "Corrected name"
	}
	sg, err := m.CreateSuggestion(context.Background(), coopmap.Suggestion{SourceID: "coops", FeatureID: featureID, Proposed: p,
		Name: "Ann", Contact: "ann@example.org", ClientKey: e.uniq("client")})
	if err != nil {
		t.Fatal(err)
	}
	return sg.ID
}

// newTour creates a tour through the store.
func (e *writeEnv) newTour(t *testing.T) coopmap.Tour {
	t.Helper()
	tr, err := e.st.CreateTour(context.Background(), coopmap.Tour{ID: e.uniq("prepared-"), SourceID: "bike-tours", Title: "Prepared",
		Stops: []coopmap.Stop{{Name: "Start", Location: orb.Point{-2, 52}}}})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestWriteAuthorization is the endpoint × credentials table: every write
// endpoint with no token, a malformed one, an unknown, an expired and a
// revoked token (each 401, with one and the same body and a
// WWW-Authenticate challenge), a token without the scope (403), a token
// with it and an admin token (success), on both stores.
func TestWriteAuthorization(t *testing.T) {
	eachWrite(t, nil, func(t *testing.T, e *writeEnv) {
		var first401 []byte
		for _, ep := range writeEndpoints() {
			t.Run(ep.name, func(t *testing.T) {
				q := ep.prepare(t, e)
				for _, c := range []struct {
					cred string
					want int
				}{
					{"", 401},
					{"Bearer not-a-token", 401},
					{"Basic " + e.tok["admin"], 401},
					{"Bearer " + e.tok["admin"] + "x", 401},
					{e.tok["unknown"], 401},
					{e.tok["expired"], 401},
					{e.tok["revoked"], 401},
					{e.tok["wrong"], 403},
				} {
					r := e.do(t, q, c.cred)
					if r.status != c.want {
						t.Fatalf("%s %s with %q: status %d; want %d\n%s", q.method, q.path, c.cred, r.status, c.want, r.body)
					}
					if c.want == 401 {
						if r.header.Get("WWW-Authenticate") != `Bearer realm="coopmap"` {
							t.Errorf("401 without the Bearer challenge: %v", r.header)
						}
						if first401 == nil {
							first401 = r.body
						} else if !bytes.Equal(r.body, first401) {
							t.Errorf("401 bodies differ:\n%s\n%s", r.body, first401)
						}
					}
					if c.want == 403 && r.json["type"] != "https://coopmap.org/problems/forbidden" {
						t.Errorf("403 problem = %s", r.body)
					}
				}
				e.must(t, q, e.tok[ep.role], ep.ok)
				e.must(t, ep.prepare(t, e), e.tok["admin"], ep.ok)
			})
		}
		if strings.Contains(e.logs.String(), "cm_") {
			t.Errorf("a token secret reached the logs")
		}
	})
}

// TestWriteFlow edits one record through its life: create, read back with
// the same ETag, update with If-Match, a stale and a missing If-Match,
// delete, restore, history and revert.
func TestWriteFlow(t *testing.T) {
	eachWrite(t, nil, func(t *testing.T, e *writeEnv) {
		w := e.tok["coops-write"]
		r := e.must(t, req{method: "POST", path: "/collections/coops/items", body: point("Bread & Roses Bakery", -0.1, 51.5, map[string]any{"sector": "Food", "note": "kept"})}, w, 201)
		loc, tag := r.header.Get("Location"), r.header.Get("ETag")
		id, _ := r.json["id"].(string)
		if !strings.HasPrefix(id, "coops.") || loc != e.srv.URL+"/collections/coops/items/"+id || !strings.HasPrefix(tag, `W/"v1-`) {
			t.Fatalf("create: id %q Location %q ETag %q", id, loc, tag)
		}
		props := r.json["properties"].(map[string]any)
		if props["name"] != "Bread & Roses Bakery" || props["note"] != "kept" || props["precision"] != "exact" || r.json["licence"] == nil {
			t.Fatalf("create: %s", r.body)
		}
		item := "/collections/coops/items/" + id
		got := getOK(t, e.srv.URL+item)
		if got.header.Get("ETag") != tag {
			t.Fatalf("GET ETag %q differs from the create's %q", got.header.Get("ETag"), tag)
		}

		// Update with the ETag from GET; the old tag is then stale.
		r = e.must(t, req{method: "PATCH", path: item, body: []byte(`{"properties":{"sector":"Bakery","note":null}}`), header: map[string]string{"If-Match": tag}}, w, 200)
		tag2 := r.header.Get("ETag")
		props = r.json["properties"].(map[string]any)
		if !strings.HasPrefix(tag2, `W/"v2-`) || props["sector"] != "Bakery" || props["name"] != "Bread & Roses Bakery" || props["note"] != nil {
			t.Fatalf("patch: ETag %q %s", tag2, r.body)
		}
		if g := getOK(t, e.srv.URL+item); g.header.Get("ETag") != tag2 {
			t.Fatalf("GET ETag %q after update; the update said %q", g.header.Get("ETag"), tag2)
		}
		r = e.must(t, req{method: "PUT", path: item, body: point("Stale", 0, 51, nil), header: map[string]string{"If-Match": tag}}, w, 412)
		if r.header.Get("ETag") != tag2 || r.json["field"] != "If-Match" {
			t.Fatalf("412: ETag %q; want the current %q\n%s", r.header.Get("ETag"), tag2, r.body)
		}
		r = e.must(t, req{method: "PUT", path: item, body: point("No precondition", 0, 51, nil)}, w, 428)
		if r.json["field"] != "If-Match" {
			t.Fatalf("428: %s", r.body)
		}
		e.must(t, req{method: "PUT", path: item, body: point("Star", 0, 51, nil), header: map[string]string{"If-Match": "*"}}, w, 428)
		e.must(t, req{method: "PUT", path: item, body: point("Junk", 0, 51, nil), header: map[string]string{"If-Match": `"abc"`}}, w, 400)
		r = e.must(t, req{method: "PUT", path: item, body: point("Bread and Roses", -0.11, 51.51, nil), header: map[string]string{"If-Match": tag2}}, w, 200)
		if props = r.json["properties"].(map[string]any); props["sector"] != nil || props["version"] != 3.0 {
			t.Fatalf("PUT replaces the whole record: %s", r.body)
		}

		// Delete, then restore from the tombstone's version.
		r = e.must(t, req{method: "DELETE", path: item, header: ifMatch(3), body: []byte(`{"note":"closed down"}`)}, w, 200)
		if get(t, e.srv.URL+item).status != 404 {
			t.Fatal("a deleted record is still served")
		}
		dl := e.must(t, req{method: "GET", path: "/collections/coops/deleted"}, w, 200)
		if !strings.Contains(string(dl.body), id) {
			t.Fatalf("deleted list lacks %s: %s", id, dl.body)
		}
		e.must(t, req{method: "PUT", path: item, body: point("Ghost", 0, 51, nil), header: ifMatch(4)}, w, 409)
		e.must(t, req{method: "POST", path: item + "/restore", header: ifMatch(3)}, w, 412)
		r = e.must(t, req{method: "POST", path: item + "/restore", header: ifMatch(4)}, w, 200)
		if r.json["properties"].(map[string]any)["name"] != "Bread and Roses" {
			t.Fatalf("restore: %s", r.body)
		}

		// Revert to version 1: a new version with version 1's content.
		e.must(t, req{method: "POST", path: item + "/revert?version=0", header: ifMatch(5)}, w, 400)
		r = e.must(t, req{method: "POST", path: item + "/revert?version=1", header: ifMatch(5)}, w, 200)
		props = r.json["properties"].(map[string]any)
		if props["name"] != "Bread & Roses Bakery" || props["note"] != "kept" || props["version"] != 6.0 {
			t.Fatalf("revert: %s", r.body)
		}

		h := getOK(t, e.srv.URL+item+"/history")
		revs, _ := h.json["revisions"].([]any)
		var ops []string
		for _, rv := range revs {
			m := rv.(map[string]any)
			ops = append(ops, fmt.Sprintf("%v:%v:%v", m["version"], m["op"], m["by"]))
		}
		want := "6:revert:coops-write token 5:restore:coops-write token 4:delete:coops-write token 3:update:coops-write token 2:update:coops-write token 1:create:coops-write token"
		if strings.Join(ops, " ") != want || h.json["licence"] == nil {
			t.Fatalf("history = %s\nwant %s\n%s", strings.Join(ops, " "), want, h.body)
		}
		if n := revs[3].(map[string]any)["note"]; n != "closed down" && revs[2].(map[string]any)["note"] != "closed down" {
			t.Errorf("the delete's note is not in the history: %s", h.body)
		}
		get404 := get(t, e.srv.URL+"/collections/orchards/items/"+id+"/history")
		if get404.status != 404 {
			t.Errorf("history under another collection: %d", get404.status)
		}

		// Source metadata, with the source's version from /collections.
		col := getOK(t, e.srv.URL+"/collections/coops?f=json")
		v := num(col.json["sources"].([]any)[0].(map[string]any)["version"])
		r = e.must(t, req{method: "PATCH", path: "/collections/coops", body: []byte(`{"title":"Co-ops, edited","licence":{"id":"CC-BY-4.0"}}`), header: ifMatch(int64(v))}, w, 200)
		if r.json["title"] != "Co-ops, edited" || r.json["licence"].(map[string]any)["name"] != "Creative Commons Attribution 4.0 International" {
			t.Fatalf("patch collection: %s", r.body)
		}
		e.must(t, req{method: "PATCH", path: "/collections/coops", body: []byte(`{"title":"Again"}`), header: ifMatch(int64(v))}, w, 412)
		e.must(t, req{method: "PATCH", path: "/collections/coops", body: []byte(`{"kind":"features"}`), header: ifMatch(int64(v) + 1)}, w, 400)
		if c := getOK(t, e.srv.URL+"/collections/coops?f=json"); c.json["title"] != "Co-ops, edited" {
			t.Fatalf("collection after patch: %s", c.body)
		}

		// A write to a collection of tours, or of a missing source.
		e.must(t, req{method: "POST", path: "/collections/tours/items", body: point("x", 0, 0, nil)}, e.tok["admin"], 404)
		e.must(t, req{method: "POST", path: "/collections/nowhere/items", body: point("x", 0, 0, nil)}, e.tok["admin"], 404)
	})
}

// TestWriteConcurrentIfMatch sends 100 updates of one record at once, all
// with the same If-Match: exactly one succeeds, 99 get 412, and the
// history has exactly one new version.
func TestWriteConcurrentIfMatch(t *testing.T) {
	eachWrite(t, nil, func(t *testing.T, e *writeEnv) {
		f := e.newRecord(t)
		item := "/collections/coops/items/" + f.ID
		const n = 100
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = e.do(t, req{method: "PATCH", path: item, body: jsonBody(map[string]any{"properties": map[string]any{"name": fmt.Sprint("Writer ", i)}}),
					header: ifMatch(f.Version)}, e.tok["coops-write"]).status
			}()
		}
		wg.Wait()
		count := map[int]int{}
		winner := -1
		for i, s := range statuses {
			count[s]++
			if s == 200 {
				winner = i
			}
		}
		if count[200] != 1 || count[412] != n-1 {
			t.Fatalf("statuses %v; want 1 × 200 and %d × 412", count, n-1)
		}
		g := getOK(t, e.srv.URL+item)
		if p := g.json["properties"].(map[string]any); p["name"] != fmt.Sprint("Writer ", winner) || p["version"] != 2.0 {
			t.Fatalf("record after the race: %s (winner %d)", g.body, winner)
		}
		h := getOK(t, e.srv.URL+item+"/history")
		if revs := h.json["revisions"].([]any); len(revs) != 2 {
			t.Fatalf("history has %d versions; want 2", len(revs))
		}
	})
}

// TestWriteBadInput sends bodies that must be refused with a 4xx problem
// naming what is wrong, and a script that must be stored as inert text.
func TestWriteBadInput(t *testing.T) {
	eachWrite(t, nil, func(t *testing.T, e *writeEnv) {
		w := e.tok["coops-write"]
		f := e.newRecord(t)
		item := "/collections/coops/items/" + f.ID
		huge := append([]byte(`{"type":"Feature","properties":{"description":"`), bytes.Repeat([]byte("a"), 2<<20)...)
		huge = append(huge, `"}}`...)
		for _, c := range []struct {
			name   string
			q      req
			status int
			field  string
		}{
			{"wrong type", req{method: "POST", path: "/collections/coops/items", body: []byte(`{"type":"Feature","geometry":{"type":"Point","coordinates":[0,51]},"properties":{"name":5}}`)}, 400, "properties.name"},
			{"wrong type of id", req{method: "POST", path: "/collections/coops/items", body: []byte(`{"type":"Feature","id":7,"geometry":{"type":"Point","coordinates":[0,51]},"properties":{}}`)}, 400, "id"},
			{"unknown field", req{method: "POST", path: "/collections/coops/items", body: []byte(`{"type":"Feature","colour":"red","geometry":{"type":"Point","coordinates":[0,51]},"properties":{}}`)}, 400, "colour"},
			{"not a feature", req{method: "POST", path: "/collections/coops/items", body: []byte(`{"type":"FeatureCollection","geometry":{"type":"Point","coordinates":[0,51]}}`)}, 400, "type"},
			{"huge body", req{method: "POST", path: "/collections/coops/items", body: huge}, 413, "body"},
			{"longitude out of range", req{method: "POST", path: "/collections/coops/items", body: point("x", 200, 51, nil)}, 400, "geometry"},
			{"no coordinates", req{method: "POST", path: "/collections/coops/items", body: []byte(`{"type":"Feature","geometry":{"type":"Point"},"properties":{}}`)}, 400, "geometry"},
			{"no geometry", req{method: "POST", path: "/collections/coops/items", body: []byte(`{"type":"Feature","properties":{"name":"x"}}`)}, 400, "geometry"},
			{"open ring", req{method: "POST", path: "/collections/coops/items", body: []byte(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,51],[1,51],[1,52]]]},"properties":{}}`)}, 400, "geometry"},
			{"bad postcode", req{method: "POST", path: "/collections/coops/items", body: point("x", 0, 51, map[string]any{"postcode": "<b>!</b>"})}, 400, "postcode"},
			{"bad precision", req{method: "POST", path: "/collections/coops/items", body: point("x", 0, 51, map[string]any{"precision": "roughly"})}, 400, "precision"},
			{"another source", req{method: "POST", path: "/collections/coops/items", body: point("x", 0, 51, map[string]any{"source": "orchards"})}, 400, "properties.source"},
			{"malformed JSON", req{method: "POST", path: "/collections/coops/items", body: []byte(`{"type":"Feature",`)}, 400, "body"},
			{"not JSON", req{method: "POST", path: "/collections/coops/items", body: []byte(`name=x`)}, 400, "body"},
			{"two values", req{method: "POST", path: "/collections/coops/items", body: []byte(`{} {}`)}, 400, "body"},
			{"wrong content type", req{method: "POST", path: "/collections/coops/items", body: point("x", 0, 51, nil), header: map[string]string{"Content-Type": "text/plain"}}, 415, "Content-Type"},
			{"form content type", req{method: "PUT", path: item, body: []byte("a=b"), header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "If-Match": `W/"v1"`}}, 415, "Content-Type"},
			{"id changed", req{method: "PUT", path: item, body: []byte(`{"type":"Feature","id":"coops.other","geometry":{"type":"Point","coordinates":[0,51]},"properties":{}}`), header: ifMatch(1)}, 400, "id"},
			{"token in the query", req{method: "PUT", path: item + "?access_token=" + e.tok["admin"], body: point("x", 0, 51, nil), header: ifMatch(1)}, 400, "access_token"},
			{"unknown query parameter", req{method: "DELETE", path: item + "?force=1", header: ifMatch(1)}, 400, "force"},
			{"unknown field of a note", req{method: "DELETE", path: item, body: []byte(`{"reason":"x"}`), header: ifMatch(1)}, 400, "reason"},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := e.must(t, c.q, w, c.status)
				if r.json["field"] != c.field || r.header.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("problem names %v; want %q\n%s", r.json["field"], c.field, r.body)
				}
			})
		}
		// Nothing above changed the record.
		if g := getOK(t, e.srv.URL+item); g.json["properties"].(map[string]any)["version"] != 1.0 {
			t.Fatalf("a refused write changed the record: %s", g.body)
		}

		// A script is stored as text and served inert.
		script := `<script>alert("owned")</script><img src=x onerror=alert(1)>`
		r := e.must(t, req{method: "POST", path: "/collections/coops/items", body: point(script, -0.1, 51.5, map[string]any{"description": script, "extra": script})}, w, 201)
		id := r.json["id"].(string)
		g := getOK(t, e.srv.URL+"/collections/coops/items/"+id)
		if p := g.json["properties"].(map[string]any); p["name"] != script || p["description"] != script || p["extra"] != script {
			t.Fatalf("the script was not kept as text: %s", g.body)
		}
		html := getOK(t, e.srv.URL+"/collections/coops/items/"+id+"?f=html")
		if bytes.Contains(html.body, []byte(`<script>alert`)) || bytes.Contains(html.body, []byte(`<img src=x`)) {
			t.Fatalf("the script reached the HTML page unescaped")
		}
	})
}

// TestWriteSuggestions runs the public suggestion flow: anyone suggests a
// new record and a correction (no token), moderators list them with the
// contacts, accept the correction (a version "suggested by …, accepted by
// …") and an edited new record, reject another with a reason; bodies
// and rates are limited.
func TestWriteSuggestions(t *testing.T) {
	eachWrite(t, func(c *web.Config) { c.SuggestionLimit = 5; c.SuggestionWindow = time.Hour }, func(t *testing.T, e *writeEnv) {
		mod := e.tok["coops-moderate"]
		r := e.must(t, req{method: "POST", path: "/collections/coops/suggestions", body: jsonBody(map[string]any{
			"feature": map[string]any{"type": "Feature", "geometry": map[string]any{"type": "Point", "coordinates": []float64{-1.1, 52.9}}, "properties": map[string]any{"name": "Sherwood Growers"}},
			"name":    "Robin", "contact": "robin@example.org", "note": "new market garden"})}, "", 202)
		newID := int64(num(r.json["id"]))
		r = e.must(t, req{method: "POST", path: "/collections/coops/suggestions", body: jsonBody(map[string]any{
			"feature_id": "coops.R0003", "feature": map[string]any{"properties": map[string]any{"name": "Corrected Co-op"}, "geometry": map[string]any{"type": "Point", "coordinates": []float64{-5.0, 50.3}}},
			"name": "Marian", "contact": "marian@example.org"})}, "", 202)
		fixID := int64(num(r.json["id"]))
		r = e.must(t, req{method: "POST", path: "/collections/coops/suggestions", body: jsonBody(map[string]any{"feature": map[string]any{"type": "Feature",
			"geometry": map[string]any{"type": "Point", "coordinates": []float64{0, 51}}, "properties": map[string]any{"name": "Spam"}}})}, "", 202)
		spamID := int64(num(r.json["id"]))

		// Bad suggestions.
		e.must(t, req{method: "POST", path: "/collections/coops/suggestions", body: jsonBody(map[string]any{"feature_id": "coops.nope", "feature": map[string]any{"properties": map[string]any{"name": "x"}}})}, "", 404)
		big := jsonBody(map[string]any{"feature": map[string]any{"properties": map[string]any{"name": strings.Repeat("x", 70<<10)}}})
		if r := e.do(t, req{method: "POST", path: "/collections/coops/suggestions", body: big}, ""); r.status != 413 {
			t.Fatalf("huge suggestion: %d %s", r.status, r.body)
		}

		// Moderators see the queue, contacts included; others do not.
		e.must(t, req{method: "GET", path: "/collections/coops/suggestions"}, "", 401)
		e.must(t, req{method: "GET", path: "/collections/coops/suggestions"}, e.tok["coops-write"], 403)
		l := e.must(t, req{method: "GET", path: "/collections/coops/suggestions?status=pending"}, mod, 200)
		if list := l.json["suggestions"].([]any); len(list) != 3 || !strings.Contains(string(l.body), "robin@example.org") {
			t.Fatalf("pending suggestions: %s", l.body)
		}
		e.must(t, req{method: "GET", path: "/collections/coops/suggestions?status=maybe"}, mod, 400)

		// Accept the correction: the record changes, with provenance.
		r = e.must(t, req{method: "POST", path: fmt.Sprintf("/collections/coops/suggestions/%d/accept", fixID)}, mod, 200)
		if f := r.json["feature"].(map[string]any); f["properties"].(map[string]any)["name"] != "Corrected Co-op" || r.header.Get("ETag") == "" {
			t.Fatalf("accept: %s", r.body)
		}
		g := getOK(t, e.srv.URL+"/collections/coops/items/coops.R0003")
		if g.json["properties"].(map[string]any)["name"] != "Corrected Co-op" || g.json["geometry"].(map[string]any)["coordinates"].([]any)[0] != -5.0 {
			t.Fatalf("record after accepting: %s", g.body)
		}
		h := getOK(t, e.srv.URL+"/collections/coops/items/coops.R0003/history")
		top := h.json["revisions"].([]any)[0].(map[string]any)
		if top["op"] != coopmap.OpSuggestion || !strings.Contains(fmt.Sprint(top["note"]), "Marian") || !strings.Contains(fmt.Sprint(top["note"]), "coops-moderate token") ||
			strings.Contains(string(h.body), "marian@example.org") {
			t.Fatalf("history after accepting: %s", h.body)
		}
		e.must(t, req{method: "POST", path: fmt.Sprintf("/collections/coops/suggestions/%d/accept", fixID)}, mod, 409)

		// Accept the new record, edited by the moderator.
		r = e.must(t, req{method: "POST", path: fmt.Sprintf("/collections/coops/suggestions/%d/accept", newID), body: jsonBody(map[string]any{
			"feature": map[string]any{"type": "Feature", "geometry": map[string]any{"type": "Point", "coordinates": []float64{-1.1, 52.9}}, "properties": map[string]any{"name": "Sherwood Growers Co-op", "sector": "Agriculture"}},
			"note":    "checked the register"})}, mod, 200)
		nf := r.json["feature"].(map[string]any)
		getOK(t, e.srv.URL+"/collections/coops/items/"+nf["id"].(string))
		if nf["properties"].(map[string]any)["name"] != "Sherwood Growers Co-op" {
			t.Fatalf("accepted new record: %s", r.body)
		}

		// Reject: needs a reason; a rejected one stays out.
		e.must(t, req{method: "POST", path: fmt.Sprintf("/collections/coops/suggestions/%d/reject", spamID), body: []byte(`{"feature":{}}`)}, mod, 400)
		r = e.must(t, req{method: "POST", path: fmt.Sprintf("/collections/coops/suggestions/%d/reject", spamID), body: []byte(`{"reason":"spam"}`)}, mod, 200)
		if s := r.json["suggestion"].(map[string]any); s["status"] != coopmap.SuggestionRejected || s["reason"] != "spam" {
			t.Fatalf("reject: %s", r.body)
		}
		e.must(t, req{method: "POST", path: fmt.Sprintf("/collections/coops/suggestions/%d/accept", spamID)}, mod, 409)
		e.must(t, req{method: "POST", path: "/collections/orchards/suggestions/1/accept"}, e.tok["admin"], 404)
		e.must(t, req{method: "POST", path: "/collections/coops/suggestions/999999/accept"}, mod, 404)

		// The rate limit: 5 per hour from one address (3 accepted, 2
		// refused above count too); the next is 429.
		r = e.do(t, req{method: "POST", path: "/collections/coops/suggestions", body: jsonBody(map[string]any{"feature": map[string]any{"type": "Feature",
			"geometry": map[string]any{"type": "Point", "coordinates": []float64{0, 51}}, "properties": map[string]any{"name": "One too many"}}})}, "")
		if r.status != 429 || r.header.Get("Retry-After") == "" || r.json["status"] != 429.0 {
			t.Fatalf("past the rate limit: %d %v %s", r.status, r.header, r.body)
		}
	})
}

// TestWriteImportUpload re-imports a source from an upload, raw and as a
// form, answering with the import report; too large and unknown uploads
// are refused.
func TestWriteImportUpload(t *testing.T) {
	eachWrite(t, func(c *web.Config) { c.MaxImportBody = 4 << 10 }, func(t *testing.T, e *writeEnv) {
		w := e.tok["orchards-write"]
		r := e.must(t, req{method: "POST", path: "/collections/orchards/import?name=orchards.geojson&dry_run=true", body: orchardUpload("Dry")}, w, 200)
		if r.json["dry_run"] != true || num(r.json["removed"]) != 3 || num(r.json["added"]) != 1 {
			t.Fatalf("dry run report: %s", r.body)
		}
		if p := getOK(t, e.srv.URL+"/collections/orchards/items"); num(p.json["numberMatched"]) != 3 {
			t.Fatalf("a dry run wrote: %s", p.body)
		}
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		fw, _ := mw.CreateFormFile("file", "orchards.geojson")
		fw.Write(orchardUpload("Uploaded orchard"))
		mw.Close()
		r = e.must(t, req{method: "POST", path: "/collections/orchards/import", body: form.Bytes(), header: map[string]string{"Content-Type": mw.FormDataContentType()}}, w, 200)
		if num(r.json["added"]) != 1 || num(r.json["removed"]) != 3 || r.json["written"] != true || !strings.Contains(fmt.Sprint(r.json["summary"]), "orchards") {
			t.Fatalf("import report: %s", r.body)
		}
		if p := getOK(t, e.srv.URL+"/collections/orchards/items"); num(p.json["numberMatched"]) != 1 {
			t.Fatalf("after the import: %s", p.body)
		}
		e.must(t, req{method: "POST", path: "/collections/orchards/import", body: orchardUpload(strings.Repeat("x", 8<<10))}, w, 413)
		e.must(t, req{method: "POST", path: "/collections/orchards/import", body: []byte("hello"), header: map[string]string{"Content-Type": "image/png"}}, w, 415)
		e.must(t, req{method: "POST", path: "/collections/orchards/import", body: []byte("not any format")}, w, 400)
		e.must(t, req{method: "POST", path: "/collections/orchards/import?wipe=1", body: orchardUpload("x")}, w, 400)
	})
}

// TestWriteTours creates, updates and deletes a tour over HTTP: GET and
// the writes agree on the ETag, stale and missing If-Match are refused.
func TestWriteTours(t *testing.T) {
	eachWrite(t, nil, func(t *testing.T, e *writeEnv) {
		w := e.tok["tours"]
		r := e.must(t, req{method: "POST", path: "/tours", body: jsonBody(map[string]any{"id": "harbour-loop", "source_id": "bike-tours", "title": "Harbour loop",
			"stops": []map[string]any{{"feature_id": "coops.R0001", "note": "coffee"}, {"name": "Pier", "location": []float64{-0.12, 51.6}}}})}, w, 201)
		tag := r.header.Get("ETag")
		if r.header.Get("Location") != e.srv.URL+"/tours/harbour-loop" || !strings.HasPrefix(tag, `W/"v1-`) || r.json["title"] != "Harbour loop" {
			t.Fatalf("create tour: %v %s", r.header, r.body)
		}
		if g := getOK(t, e.srv.URL+"/tours/harbour-loop"); g.header.Get("ETag") != tag {
			t.Fatalf("GET tour ETag %q; the create said %q", g.header.Get("ETag"), tag)
		}
		e.must(t, req{method: "POST", path: "/tours", body: jsonBody(map[string]any{"id": "harbour-loop", "source_id": "bike-tours", "title": "Again", "stops": []map[string]any{{"feature_id": "coops.R0001"}}})}, w, 409)
		e.must(t, req{method: "POST", path: "/tours", body: jsonBody(map[string]any{"id": "x", "title": "Routed", "route": true, "stops": []map[string]any{{"feature_id": "coops.R0001"}, {"feature_id": "coops.R0002"}}})}, w, 404) // no graph
		e.must(t, req{method: "POST", path: "/tours", body: jsonBody(map[string]any{"id": "bad-stop", "source_id": "bike-tours", "title": "Bad", "stops": []map[string]any{{"feature_id": "coops.nope"}}})}, w, 400)
		e.must(t, req{method: "POST", path: "/tours", body: []byte(`{"id":"t","title":"x","stops":"all"}`)}, w, 400)
		r = e.must(t, req{method: "PUT", path: "/tours/harbour-loop", body: jsonBody(map[string]any{"title": "Harbour loop, longer", "stops": []map[string]any{{"feature_id": "coops.R0002"}}}), header: map[string]string{"If-Match": tag}}, w, 200)
		tag2 := r.header.Get("ETag")
		if !strings.HasPrefix(tag2, `W/"v2-`) || r.json["title"] != "Harbour loop, longer" {
			t.Fatalf("update tour: %s", r.body)
		}
		r = e.must(t, req{method: "PUT", path: "/tours/harbour-loop", body: jsonBody(map[string]any{"title": "Stale"}), header: map[string]string{"If-Match": tag}}, w, 412)
		if r.header.Get("ETag") != tag2 {
			t.Fatalf("412 ETag %q; want %q", r.header.Get("ETag"), tag2)
		}
		e.must(t, req{method: "DELETE", path: "/tours/harbour-loop"}, w, 428)
		e.must(t, req{method: "DELETE", path: "/tours/harbour-loop", header: map[string]string{"If-Match": tag}}, w, 412)
		e.must(t, req{method: "DELETE", path: "/tours/harbour-loop", header: map[string]string{"If-Match": tag2}}, w, 204)
		if get(t, e.srv.URL+"/tours/harbour-loop").status != 404 {
			t.Fatal("a deleted tour is still served")
		}
	})
}

// TestWriteCORS checks that no other site's page may write by default, and
// that an allow-listed one may.
func TestWriteCORS(t *testing.T) {
	st := webtest.Stores()[0].Open(t)
	for _, c := range []struct {
		origins []string
		origin  string
		allowed bool
	}{
		{nil, "https://evil.example", false},
		{[]string{"https://editor.example"}, "https://evil.example", false},
		{[]string{"https://editor.example"}, "https://editor.example", true},
	} {
		srv := webtest.Serve(t, st, web.Config{CORSWriteOrigins: c.origins})
		q, _ := http.NewRequest(http.MethodOptions, srv.URL+"/collections/coops/items/coops.R0001", nil)
		q.Header.Set("Origin", c.origin)
		q.Header.Set("Access-Control-Request-Method", "PUT")
		q.Header.Set("Access-Control-Request-Headers", "authorization,content-type,if-match")
		resp, err := http.DefaultClient.Do(q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("Access-Control-Allow-Origin")
		if c.allowed != (got == c.origin) || (!c.allowed && got != "") {
			t.Errorf("origins %v, preflight from %s: Access-Control-Allow-Origin %q", c.origins, c.origin, got)
		}
		// Reads stay open to every origin.
		r := get(t, srv.URL+"/collections", "Origin", "https://evil.example")
		if r.header.Get("Access-Control-Allow-Origin") == "" {
			t.Errorf("origins %v: reads are no longer open to any origin", c.origins)
		}
	}
}

// TestWriteConcurrentMixed sends 1,000 writes at once across 20 records,
// each a read of the record's ETag then a PATCH with it, as clients do:
// every record ends as its last accepted version, and its history holds
// exactly the accepted versions, numbered without gaps.
func TestWriteConcurrentMixed(t *testing.T) {
	eachWrite(t, nil, func(t *testing.T, e *writeEnv) {
		const records, writes, workers = 20, 1000, 32
		ids := make([]string, records)
		for i := range ids {
			ids[i] = e.newRecord(t).ID
		}
		type accepted struct {
			version int
			name    string
		}
		var (
			mu   sync.Mutex
			won  = map[string][]accepted{}
			jobs = make(chan int)
			wg   sync.WaitGroup
		)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range jobs {
					id := ids[n%records]
					item := "/collections/coops/items/" + id
					g := e.do(t, req{method: "GET", path: item}, "")
					name := fmt.Sprint("Write ", n)
					r := e.do(t, req{method: "PATCH", path: item, body: jsonBody(map[string]any{"properties": map[string]any{"name": name}}),
						header: map[string]string{"If-Match": g.header.Get("ETag")}}, e.tok["coops-write"])
					switch r.status {
					case 200:
						mu.Lock()
						won[id] = append(won[id], accepted{num(r.json["properties"].(map[string]any)["version"]), name})
						mu.Unlock()
					case 412:
					default:
						t.Errorf("PATCH %s: %d %s", id, r.status, r.body)
					}
				}
			}()
		}
		for n := range writes {
			jobs <- n
		}
		close(jobs)
		wg.Wait()
		total := 0
		for _, id := range ids {
			acc := won[id]
			total += len(acc)
			last := accepted{}
			for _, a := range acc {
				if a.version > last.version {
					last = a
				}
			}
			g := getOK(t, e.srv.URL+"/collections/coops/items/"+id)
			if p := g.json["properties"].(map[string]any); last.version == 0 || p["name"] != last.name || num(p["version"]) != last.version {
				t.Fatalf("%s ends as %v v%v; the last accepted write was %+v", id, p["name"], p["version"], last)
			}
			h := getOK(t, e.srv.URL+"/collections/coops/items/"+id+"/history")
			revs := h.json["revisions"].([]any)
			if len(revs) != len(acc)+1 {
				t.Fatalf("%s: %d versions in the history; want %d accepted + the first", id, len(revs), len(acc))
			}
			names := map[int]string{}
			for _, a := range acc {
				names[a.version] = a.name
			}
			for i, rv := range revs {
				m := rv.(map[string]any)
				v := num(m["version"])
				if v != len(revs)-i {
					t.Fatalf("%s: history versions are not %d…1 without gaps: %s", id, len(revs), h.body)
				}
				if want, ok := names[v]; ok && m["feature"].(map[string]any)["properties"].(map[string]any)["name"] != want {
					t.Fatalf("%s v%d in the history is not the accepted write %q", id, v, want)
				}
			}
		}
		if total < records {
			t.Fatalf("only %d writes accepted", total)
		}
		t.Logf("%d of %d writes accepted, the rest 412", total, writes)
	})
}
