package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb/geojson"

	"github.com/coopmap/coopmap"
)

// featureBody is a record as the write API reads it: a GeoJSON Feature
// whose properties are those the read API serves (appendProperties), so a
// record fetched with GET can be edited and sent back. Links, licence,
// attribution, bbox and the read-only properties (version, updated) are
// accepted and ignored; any other top-level member is refused by name.
type featureBody struct {
	Type       string                     `json:"type"`
	ID         *string                    `json:"id"`
	Geometry   json.RawMessage            `json:"geometry"`
	Properties map[string]json.RawMessage `json:"properties"`
	// Note is the change's reason, kept in the history.
	Note string `json:"note"`
	// Read-only members of a served record.
	Links       json.RawMessage `json:"links"`
	Licence     json.RawMessage `json:"licence"`
	Attribution json.RawMessage `json:"attribution"`
	BBox        json.RawMessage `json:"bbox"`
}

// noteBody is the optional body of a delete, restore or revert.
type noteBody struct {
	Note string `json:"note"`
}

// apply sets f from the body: the whole record (every field the body
// leaves out is emptied), or with merge only what the body has, as a JSON
// Merge Patch (RFC 7396) would: a property set to null is removed, a
// property left out is kept. sourceID is the collection; a "source"
// property must name it. A new record without "precision" is exact.
// Errors are CodeInvalid naming the field ("geometry",
// "properties.name").
func (b featureBody) apply(f *coopmap.Feature, sourceID string, merge bool) error {
	if b.Type != "" && b.Type != "Feature" {
		return coopmap.Invalidf("type", "must be \"Feature\"")
	}
	if !merge {
		*f = coopmap.Feature{ID: f.ID, SourceID: sourceID, Precision: coopmap.PrecisionExact}
	}
	if len(b.Geometry) > 0 || !merge {
		if len(b.Geometry) == 0 || bytes.Equal(bytes.TrimSpace(b.Geometry), []byte("null")) {
			return coopmap.Invalidf("geometry", "is required: a GeoJSON geometry in lon/lat (WGS 84)")
		}
		g, err := geojson.UnmarshalGeometry(b.Geometry)
		if err != nil {
			return coopmap.Invalidf("geometry", "is not a GeoJSON geometry: %v", err)
		}
		if g.Coordinates == nil {
			return coopmap.Invalidf("geometry", "is not a GeoJSON geometry with coordinates")
		}
		f.Geometry = g.Geometry()
	}
	text := map[string]*string{
		"name": &f.Name, "sector": &f.Sector, "org_type": &f.OrgType, "address": &f.Address, "postcode": &f.Postcode,
		"website": &f.Website, "email": &f.Email, "description": &f.Description, "founded": &f.Founded, "status": &f.Status,
	}
	for k, raw := range b.Properties {
		field := "properties." + k
		null := bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
		switch k {
		case "version", "updated":
			continue // maintained by the store
		case "source":
			var s string
			if err := unmarshalStrict(raw, &s, field); err != nil || s != sourceID {
				return coopmap.Invalidf(field, "must be %q, the collection; a record cannot move to another source", sourceID)
			}
			continue
		case "precision":
			var p string
			if !null {
				if err := unmarshalStrict(raw, &p, field); err != nil {
					return err
				}
			}
			f.Precision = coopmap.Precision(p)
			continue
		}
		if dst, ok := text[k]; ok {
			var s string
			if !null {
				if err := unmarshalStrict(raw, &s, field); err != nil {
					return err
				}
			}
			*dst = s
			continue
		}
		// The read API writes a source property that clashes with a
		// built-in name as "properties.NAME".
		name := strings.TrimPrefix(k, "properties.")
		if merge && null {
			delete(f.Properties, name)
			continue
		}
		var v any
		if err := unmarshalStrict(raw, &v, field); err != nil {
			return err
		}
		if f.Properties == nil {
			f.Properties = map[string]any{}
		}
		f.Properties[name] = v
	}
	if len(f.Properties) == 0 {
		f.Properties = nil
	}
	return nil
}

// editor returns the store's Editor, or a not-found error when the store
// cannot edit records.
func (s *Server) editor() (coopmap.Editor, error) {
	ed, ok := s.store.(coopmap.Editor)
	if !ok {
		return nil, coopmap.NotFoundf("this server's store does not support editing")
	}
	return ed, nil
}

// editRequest authorises a write to the records or metadata of the
// collection in the path (scope source:{id}:write) and finds the
// collection, which must be a source: tours are edited under /tours.
func (s *Server) editRequest(w http.ResponseWriter, r *http.Request, scope func(string) string) (collection, coopmap.Token, error) {
	id := chi.URLParam(r, "collection")
	tok, err := s.authorize(w, r, scope(id))
	if err != nil {
		return collection{}, tok, err
	}
	c, err := s.findCollection(r.Context(), id)
	if err != nil {
		return c, tok, err
	}
	if c.tours {
		return c, tok, coopmap.NotFoundf("collection %q is made from tours; edit tours at /tours/{id}", c.ID)
	}
	return c, tok, nil
}

// editRecords is editRequest for a write to the collection's records or
// metadata (scope source:{id}:write) on a store that can edit them.
func (s *Server) editRecords(w http.ResponseWriter, r *http.Request) (collection, coopmap.Token, coopmap.Editor, error) {
	c, tok, err := s.editRequest(w, r, coopmap.SourceWriteScope)
	if err != nil {
		return c, tok, nil, err
	}
	ed, err := s.editor()
	return c, tok, ed, err
}

// ifMatchBody reads what a conditional write sends: the version its
// If-Match names (ifMatch), then its JSON body into dst (decodeJSON with
// Config.MaxWriteBody; optional allows an empty body).
func (s *Server) ifMatchBody(w http.ResponseWriter, r *http.Request, dst any, optional bool) (int64, error) {
	ifv, err := ifMatch(r)
	if err != nil {
		return 0, err
	}
	return ifv, decodeJSON(w, r, s.cfg.MaxWriteBody, dst, optional)
}

// versionedWrite starts a conditional write without query parameters to
// the collection's records or metadata: editRecords, then params, then
// ifMatchBody with a required body.
func (s *Server) versionedWrite(w http.ResponseWriter, r *http.Request, dst any) (collection, coopmap.Token, coopmap.Editor, int64, error) {
	c, tok, ed, err := s.editRecords(w, r)
	if err != nil {
		return c, tok, ed, 0, err
	}
	if _, err := params(r.URL.RawQuery); err != nil {
		return c, tok, ed, 0, err
	}
	ifv, err := s.ifMatchBody(w, r, dst, false)
	return c, tok, ed, ifv, err
}

// liveFeature reads a live record of the collection, or a not-found error.
func (s *Server) liveFeature(r *http.Request, c collection, id string) (coopmap.Feature, error) {
	f, err := s.store.Feature(r.Context(), id)
	if coopmap.ErrorCode(err) == coopmap.CodeNotFound || (err == nil && f.SourceID != c.ID) {
		return f, coopmap.NotFoundf("collection %q has no feature %q", c.ID, clipParam(id))
	}
	return f, err
}

// deleted reports whether id is a deleted record of the collection.
func (s *Server) deleted(r *http.Request, ed coopmap.Editor, c collection, id string) bool {
	revs, err := ed.FeatureHistory(r.Context(), id)
	return err == nil && len(revs) > 0 && revs[0].Deleted && revs[0].Feature.SourceID == c.ID
}

// writeFeature answers a write with the record as GeoJSON (as GET serves
// it) and the ETag a GET would send; status 201 adds its Location.
func (s *Server) writeFeature(w http.ResponseWriter, r *http.Request, status int, f coopmap.Feature) error {
	// The write changed the source's version, which the tag covers.
	c, err := s.findCollection(r.Context(), f.SourceID)
	if err != nil {
		return err
	}
	base := baseURL(r)
	path := "/collections/" + c.ID + "/items/" + url.PathEscape(f.ID)
	b, err := itemJSON(c, f, itemLinks(c, base, path, formatJSON))
	if err != nil {
		return err
	}
	return writeWritten(w, status, mediaGeoJSON, itemTag(c, formatJSON, base, f), base+path, b)
}

// writeWritten answers a write with the resource's representation b of
// media type media, uncached, with its ETag tag; status 201 adds location
// as its Location.
func writeWritten(w http.ResponseWriter, status int, media, tag, location string, b []byte) error {
	h := w.Header()
	h.Set("ETag", tag)
	h.Set("Content-Type", media)
	h.Set("Cache-Control", "no-store")
	if status == http.StatusCreated {
		h.Set("Location", location)
	}
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}

// itemConflict turns a version conflict on a record into a 412 carrying
// the ETag of the record's current version.
func (s *Server) itemConflict(w http.ResponseWriter, r *http.Request, c collection, id string, err error) error {
	tag := ""
	if f, ferr := s.liveFeature(r, c, id); ferr == nil {
		tag = itemTag(c, formatJSON, baseURL(r), f)
	}
	return preconditionFailed(w, err, tag)
}

// createItem answers POST /collections/{collection}/items: a new record,
// 201 with its Location and ETag.
func (s *Server) createItem(w http.ResponseWriter, r *http.Request) error {
	c, tok, ed, err := s.editRecords(w, r)
	if err != nil {
		return err
	}
	if _, err := params(r.URL.RawQuery); err != nil {
		return err
	}
	var body featureBody
	if err := decodeJSON(w, r, s.cfg.MaxWriteBody, &body, false); err != nil {
		return err
	}
	var f coopmap.Feature
	if body.ID != nil && *body.ID != "" {
		f.ID = *body.ID
		if !strings.HasPrefix(f.ID, c.ID+".") {
			f.ID = coopmap.FeatureID(c.ID, f.ID)
		}
	}
	if err := body.apply(&f, c.ID, false); err != nil {
		return err
	}
	f, err = ed.CreateFeature(r.Context(), f, coopmap.Change{By: tok.Name, Note: body.Note})
	if err != nil {
		return err
	}
	return s.writeFeature(w, r, http.StatusCreated, f)
}

// updateItem answers PUT (the whole record) and PATCH (a merge patch) on
// /collections/{collection}/items/{feature}, with If-Match.
func (s *Server) updateItem(w http.ResponseWriter, r *http.Request) error {
	var body featureBody
	c, tok, ed, ifv, err := s.versionedWrite(w, r, &body)
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "feature")
	if body.ID != nil && *body.ID != id {
		return coopmap.Invalidf("id", "%q is not the id in the path; a record's id cannot change", clipParam(*body.ID))
	}
	f, err := s.liveFeature(r, c, id)
	if coopmap.ErrorCode(err) == coopmap.CodeNotFound && s.deleted(r, ed, c, id) {
		return coopmap.Errorf(coopmap.CodeConflict, "feature %q is deleted; restore it first (POST …/restore)", id)
	}
	if err != nil {
		return err
	}
	if err := body.apply(&f, c.ID, r.Method == http.MethodPatch); err != nil {
		return err
	}
	f, err = ed.UpdateFeature(r.Context(), f, ifv, coopmap.Change{By: tok.Name, Note: body.Note})
	if err != nil {
		return s.itemConflict(w, r, c, id, err)
	}
	return s.writeFeature(w, r, http.StatusOK, f)
}

// itemAction answers DELETE …/items/{feature} and POST …/restore and
// …/revert?version=N, each with If-Match and an optional {"note": …}.
func (s *Server) itemAction(w http.ResponseWriter, r *http.Request) error {
	c, tok, ed, err := s.editRecords(w, r)
	if err != nil {
		return err
	}
	action := "delete"
	if r.Method == http.MethodPost {
		action = chi.URLParam(r, "action")
	}
	to, err := actionVersion(r, action, "record", "delete", "restore")
	if err != nil {
		return err
	}
	var body noteBody
	ifv, err := s.ifMatchBody(w, r, &body, true)
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "feature")
	if !strings.HasPrefix(id, c.ID+".") {
		return coopmap.NotFoundf("collection %q has no feature %q", c.ID, clipParam(id))
	}
	ch := coopmap.Change{By: tok.Name, Note: body.Note}
	var f coopmap.Feature
	switch action {
	case "delete":
		f, err = ed.DeleteFeature(r.Context(), id, ifv, ch)
	case "restore":
		f, err = ed.RestoreFeature(r.Context(), id, ifv, ch)
	case "revert":
		f, err = ed.RevertFeature(r.Context(), id, to, ifv, ch)
	}
	if err != nil {
		return s.itemConflict(w, r, c, id, err)
	}
	return s.writeFeature(w, r, http.StatusOK, f)
}

// revisionDoc is one version of a record in a history.
type revisionDoc struct {
	Version int64           `json:"version"`
	At      string          `json:"at"`
	By      string          `json:"by,omitempty"`
	Note    string          `json:"note,omitempty"`
	Op      string          `json:"op"`
	Fields  []string        `json:"fields"`
	Deleted bool            `json:"deleted"`
	Feature json.RawMessage `json:"feature"`
}

// newRevisionDoc renders one version of a record, its content as GeoJSON.
func newRevisionDoc(rv coopmap.Revision) (revisionDoc, error) {
	fj, err := appendFeature(nil, rv.Feature, nil)
	return revisionDoc{Version: rv.Version, At: rv.At.UTC().Format("2006-01-02T15:04:05.000Z"),
		By: rv.By, Note: rv.Note, Op: rv.Op, Fields: rv.Fields, Deleted: rv.Deleted, Feature: fj}, err
}

// limitParam reads ?limit=N of a list (0 when absent: the store's
// default), refusing what is not a whole number with 400 naming "limit".
func limitParam(v url.Values) (int, error) {
	l := v.Get("limit")
	if l == "" {
		return 0, nil
	}
	limit, err := strconv.Atoi(l)
	if err != nil {
		return 0, coopmap.Invalidf("limit", "must be a whole number")
	}
	return limit, nil
}

// historyQuery checks the query of a history request (a record's, a
// tour's or a source's): only f, and only f=json, as a history is JSON.
func historyQuery(r *http.Request) error {
	if _, err := params(r.URL.RawQuery, "f"); err != nil {
		return err
	}
	_, err := negotiate(r, formatJSON)
	return err
}

// history answers GET /collections/{collection}/items/{feature}/history:
// every kept version of a record, live or deleted, newest first, with who
// made it (the token's name), when, how and which fields changed. It is
// public, like every read.
func (s *Server) history(w http.ResponseWriter, r *http.Request) error {
	c, err := s.findCollection(r.Context(), chi.URLParam(r, "collection"))
	if err != nil {
		return err
	}
	if err := historyQuery(r); err != nil {
		return err
	}
	ed, err := s.editor()
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "feature")
	missing := coopmap.NotFoundf("collection %q has no feature %q", c.ID, clipParam(id))
	if c.tours || !strings.HasPrefix(id, c.ID+".") {
		return missing
	}
	revs, err := ed.FeatureHistory(r.Context(), id)
	if coopmap.ErrorCode(err) == coopmap.CodeNotFound {
		return missing
	}
	if err != nil {
		return err
	}
	doc := struct {
		ID          string            `json:"id"`
		Collection  string            `json:"collection"`
		Revisions   []revisionDoc     `json:"revisions"`
		Licence     []coopmap.Licence `json:"licence"`
		Attribution string            `json:"attribution"`
		Links       []link            `json:"links"`
	}{ID: id, Collection: c.ID, Revisions: make([]revisionDoc, 0, len(revs)), Licence: c.licences(), Attribution: c.attribution()}
	base := baseURL(r)
	doc.Links = []link{{Href: base + "/collections/" + c.ID + "/items/" + url.PathEscape(id) + "/history", Rel: "self", Type: mediaJSON},
		{Href: base + "/collections/" + c.ID + "/items/" + url.PathEscape(id), Rel: "item", Type: mediaGeoJSON}}
	for _, rv := range revs {
		if rv.Feature.SourceID != "" && rv.Feature.SourceID != c.ID {
			return missing
		}
		d, err := newRevisionDoc(rv)
		if err != nil {
			return err
		}
		doc.Revisions = append(doc.Revisions, d)
	}
	b, err := jsonBytes(doc)
	if err != nil {
		return err
	}
	return writeDoc(w, r, mediaJSON, b, c.updated)
}

// deletedItems answers GET /collections/{collection}/deleted: the
// collection's tombstones, newest first (?limit=N), for owners to find
// what to restore. It needs the write scope, as deleted records may have
// been deleted for a reason.
func (s *Server) deletedItems(w http.ResponseWriter, r *http.Request) error {
	c, _, ed, err := s.editRecords(w, r)
	if err != nil {
		return err
	}
	v, err := params(r.URL.RawQuery, "limit")
	if err != nil {
		return err
	}
	limit, err := limitParam(v)
	if err != nil {
		return err
	}
	revs, err := ed.DeletedFeatures(r.Context(), c.ID, limit)
	if err != nil {
		return err
	}
	out := make([]revisionDoc, 0, len(revs))
	for _, rv := range revs {
		d, err := newRevisionDoc(rv)
		if err != nil {
			return err
		}
		d.Deleted = true
		out = append(out, d)
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, map[string]any{"collection": c.ID, "deleted": out})
}

// sourceBody is the body of PATCH /collections/{collection}: the source
// metadata to change, each member optional (a merge patch).
type sourceBody struct {
	Title       *string          `json:"title"`
	Description *string          `json:"description"`
	Licence     *coopmap.Licence `json:"licence"`
	Attribution *string          `json:"attribution"`
	Owner       *string          `json:"owner"`
	Origin      *string          `json:"origin"`
	Note        string           `json:"note"`
}

// patchCollection answers PATCH /collections/{collection}: change a
// source's title, description, licence, attribution, owner or origin,
// with If-Match naming the source's version (W/"v{version}", the version
// in /collections/{id}). The answer is the source as stored.
func (s *Server) patchCollection(w http.ResponseWriter, r *http.Request) error {
	var body sourceBody
	c, tok, ed, ifv, err := s.versionedWrite(w, r, &body)
	if err != nil {
		return err
	}
	src := c.Sources[0]
	for _, p := range []struct {
		from *string
		to   *string
	}{{body.Title, &src.Title}, {body.Description, &src.Description}, {body.Attribution, &src.Attribution},
		{body.Owner, &src.Owner}, {body.Origin, &src.Origin}} {
		if p.from != nil {
			*p.to = *p.from
		}
	}
	if body.Licence != nil {
		src.Licence = body.Licence.Complete()
	}
	src, err = ed.UpdateSourceMeta(r.Context(), src, ifv, coopmap.Change{By: tok.Name, Note: body.Note})
	if err != nil {
		return preconditionFailed(w, err, "")
	}
	return writeSource(w, src) // source_history.go
}

// actionVersion checks the query of a POST …/{action} on a record or a
// tour ("what" in the 404): the plain actions take no parameters, and
// "revert" takes ?version=N, which it returns (0 for the others).
func actionVersion(r *http.Request, action, what string, plain ...string) (int64, error) {
	if action != "revert" {
		if !slices.Contains(plain, action) {
			return 0, coopmap.NotFoundf("no action %q on a %s; use restore or revert", clipParam(action), what)
		}
		_, err := params(r.URL.RawQuery)
		return 0, err
	}
	v, err := params(r.URL.RawQuery, "version")
	if err != nil {
		return 0, err
	}
	to, err := strconv.ParseInt(v.Get("version"), 10, 64)
	if err != nil || to < 1 {
		return 0, coopmap.Invalidf("version", "give the version to revert to as ?version=N (N ≥ 1); the history lists them")
	}
	return to, nil
}
