package web

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/coopmap/coopmap"
)

// tourEditor returns the store's TourEditor, or a not-found error when the
// store keeps no tour history.
func (s *Server) tourEditor() (coopmap.TourEditor, error) {
	te, ok := s.store.(coopmap.TourEditor)
	if !ok {
		return nil, coopmap.NotFoundf("this server's store keeps no tour history")
	}
	return te, nil
}

// tourWriteConflict turns a version conflict on tour id into a 412 whose
// ETag names the current version (the live tour's tag, or W/"v{n}" for a
// deleted tour) and returns other errors as they are.
func (s *Server) tourWriteConflict(w http.ResponseWriter, r *http.Request, id string, err error) error {
	tag := ""
	if t, terr := s.tour(r, id); terr == nil {
		if _, tg, jerr := s.tourJSON(r, t); jerr == nil {
			tag = tg
		}
	}
	return preconditionFailed(w, err, tag)
}

// tourAction answers POST /tours/{id}/restore (If-Match naming the
// tombstone's version, as the history lists it) and POST
// /tours/{id}/revert?version=N (If-Match naming the current version), each
// with scope tours:write and an optional {"note": …}: 200 with the tour as
// GET /tours/{id} sends it and its ETag.
func (s *Server) tourAction(w http.ResponseWriter, r *http.Request) error {
	tok, err := s.authorize(w, r, coopmap.ScopeToursWrite)
	if err != nil {
		return err
	}
	te, err := s.tourEditor()
	if err != nil {
		return err
	}
	action := chi.URLParam(r, "action")
	to, err := actionVersion(r, action, "tour", "restore")
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	if !coopmap.ValidSlug(id) {
		return coopmap.NotFoundf("no tour %q: tour ids are lower-case letters, digits and hyphens", clipParam(id))
	}
	ifv, err := ifMatch(r)
	if err != nil {
		return err
	}
	var body noteBody
	if err := decodeJSON(w, r, s.cfg.MaxWriteBody, &body, true); err != nil {
		return err
	}
	ch := coopmap.Change{By: tok.Name, Note: body.Note}
	var t coopmap.Tour
	if action == "restore" {
		t, err = te.RestoreTour(r.Context(), id, ifv, ch)
	} else {
		t, err = te.RevertTour(r.Context(), id, to, ifv, ch)
	}
	if err != nil {
		return s.tourWriteConflict(w, r, id, err)
	}
	return s.writeTour(w, r, http.StatusOK, t)
}

// tourRevisionDoc is one version of a tour in its history.
type tourRevisionDoc struct {
	Version int64    `json:"version"`
	At      string   `json:"at"`
	By      string   `json:"by,omitempty"`
	Note    string   `json:"note,omitempty"`
	Op      string   `json:"op"`
	Fields  []string `json:"fields"`
	Deleted bool     `json:"deleted"`
	// Tour is the version's content as GET /tours/{id} shows a tour, with
	// the licences of its sources.
	Tour tourDoc `json:"tour"`
}

// tourHistory answers GET /tours/{id}/history: every kept version of a
// tour, live or deleted, newest first, with who made it (the token's
// name), when, how and which fields changed. It is public, like every
// read; a deleted tour's history is how owners find the version to
// restore.
func (s *Server) tourHistory(w http.ResponseWriter, r *http.Request) error {
	if err := historyQuery(r); err != nil {
		return err
	}
	te, err := s.tourEditor()
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	if !coopmap.ValidSlug(id) {
		return coopmap.NotFoundf("no tour %q: tour ids are lower-case letters, digits and hyphens", clipParam(id))
	}
	revs, err := te.TourHistory(r.Context(), id)
	if err != nil {
		return err
	}
	srcs, err := s.sourceMap(r.Context())
	if err != nil {
		return err
	}
	base := baseURL(r)
	self := base + "/tours/" + url.PathEscape(id)
	src := srcs[revs[0].Tour.SourceID]
	doc := struct {
		ID          string            `json:"id"`
		SourceID    string            `json:"source_id"`
		Revisions   []tourRevisionDoc `json:"revisions"`
		Licence     coopmap.Licence   `json:"licence"`
		Attribution string            `json:"attribution"`
		Links       []link            `json:"links"`
	}{ID: id, SourceID: src.ID, Revisions: make([]tourRevisionDoc, len(revs)), Licence: src.Licence.Complete(), Attribution: src.Attribution,
		Links: []link{{Href: self + "/history", Rel: "self", Type: mediaJSON}, {Href: self, Rel: "item", Type: mediaJSON}}}
	for i, rv := range revs {
		doc.Revisions[i] = tourRevisionDoc{Version: rv.Version, At: rv.At.UTC().Format("2006-01-02T15:04:05.000Z"),
			By: rv.By, Note: rv.Note, Op: rv.Op, Fields: rv.Fields, Deleted: rv.Deleted, Tour: tourDocument(base, rv.Tour, srcs)}
	}
	b, err := jsonBytes(doc)
	if err != nil {
		return err
	}
	return writeDoc(w, r, mediaJSON, b, revs[0].At)
}
