package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/coopmap/coopmap"
)

// sourceHistoryRoutes registers the history and revert of a source's
// metadata (docs/API.md, "Sources and uploads"): GET
// /collections/{collection}/history, public, and POST
// /collections/{collection}/revert?version=N, with the scope
// source:{collection}:write as PATCH /collections/{collection}.
func (s *Server) sourceHistoryRoutes(r chi.Router) {
	r.Get("/collections/{collection}/history", s.handle(s.sourceHistory))
	r.With(allowBody(s.cfg.MaxWriteBody)).Post("/collections/{collection}/revert", s.handle(s.revertSource))
}

// sourceHistorian returns the store's SourceHistory, or a not-found error
// when the store keeps no history of source metadata.
func (s *Server) sourceHistorian() (coopmap.SourceHistory, error) {
	sh, ok := s.store.(coopmap.SourceHistory)
	if !ok {
		return nil, coopmap.NotFoundf("this server's store keeps no history of source metadata")
	}
	return sh, nil
}

// sourceVersionDoc is one version of a source's metadata in its history.
type sourceVersionDoc struct {
	Version int64  `json:"version"`
	At      string `json:"at"`
	// By is the token's name; "" for an import.
	By     string   `json:"by"`
	Note   string   `json:"note"`
	Op     string   `json:"op"`
	Fields []string `json:"fields"`
	// Meta is the metadata at this version, its licence completed with
	// the name and URL of a known licence.
	Meta coopmap.SourceMeta `json:"meta"`
}

// sourceHistory answers GET /collections/{collection}/history: every kept
// version of the metadata of the source behind a collection, newest
// first, with who made it (the token's name, "" for an import), when,
// how (create, update, revert, import), which fields changed and the
// metadata itself, then the source's current licence and attribution.
// It is public, like every read; the versions are what POST
// /collections/{collection}/revert?version=N takes.
func (s *Server) sourceHistory(w http.ResponseWriter, r *http.Request) error {
	c, err := s.findCollection(r.Context(), chi.URLParam(r, "collection"))
	if err != nil {
		return err
	}
	if err := historyQuery(r); err != nil {
		return err
	}
	if c.tours {
		return coopmap.NotFoundf("collection %q is made from tours; each tour's history is at /tours/{id}/history", c.ID)
	}
	sh, err := s.sourceHistorian()
	if err != nil {
		return err
	}
	vs, err := sh.SourceMetaHistory(r.Context(), c.ID)
	if err != nil {
		return err
	}
	// The newest version is the current metadata, read with the rest of
	// the history, so the licence cannot disagree with it.
	cur := c.Sources[0].Meta()
	if len(vs) > 0 {
		cur = vs[0].Meta
	}
	doc := struct {
		Source      string             `json:"source"`
		Versions    []sourceVersionDoc `json:"versions"`
		Licence     coopmap.Licence    `json:"licence"`
		Attribution string             `json:"attribution"`
	}{Source: c.ID, Versions: make([]sourceVersionDoc, len(vs)), Licence: cur.Licence.Complete(), Attribution: cur.Attribution}
	for i, v := range vs {
		v.Meta.Licence = v.Meta.Licence.Complete()
		doc.Versions[i] = sourceVersionDoc{Version: v.Version, At: v.At.UTC().Format("2006-01-02T15:04:05.000Z"),
			By: v.By, Note: v.Note, Op: v.Op, Fields: v.Fields, Meta: v.Meta}
	}
	b, err := jsonBytes(doc)
	if err != nil {
		return err
	}
	modified := c.updated
	if len(vs) > 0 {
		modified = vs[0].At
	}
	return writeDoc(w, r, mediaJSON, b, modified)
}

// revertSource answers POST /collections/{collection}/revert?version=N
// with If-Match naming the source's current version (W/"v{version}", as
// PATCH /collections/{collection} takes it) and an optional {"note": …}:
// the source's metadata becomes that of version N of its history, as a
// new version. The answer is the source as stored, with its new ETag;
// 428 without If-Match, 412 (with the current ETag) for a stale one, 400
// naming "version" for a missing or bad N, 404 naming it for a version
// the history does not have.
func (s *Server) revertSource(w http.ResponseWriter, r *http.Request) error {
	c, tok, _, err := s.editRecords(w, r)
	if err != nil {
		return err
	}
	sh, err := s.sourceHistorian()
	if err != nil {
		return err
	}
	to, err := actionVersion(r, "revert", "collection")
	if err != nil {
		return err
	}
	var body noteBody
	ifv, err := s.ifMatchBody(w, r, &body, true)
	if err != nil {
		return err
	}
	src, err := sh.RevertSourceMeta(r.Context(), c.ID, to, ifv, coopmap.Change{By: tok.Name, Note: body.Note})
	if err != nil {
		return preconditionFailed(w, err, "")
	}
	return writeSource(w, src)
}

// writeSource answers a write to a source's metadata with the source as
// stored and the ETag of its version, W/"v{version}", which the next
// write's If-Match names.
func writeSource(w http.ResponseWriter, src coopmap.Source) error {
	w.Header().Set("ETag", bareVersionTag(src.Version))
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, src)
}
