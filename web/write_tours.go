package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/tours"
)

// defaultTourSource is the tours source a tour created without source_id
// goes in, as with coopmap tour create.
const defaultTourSource = "tours"

// tourBody is a tour as the write API reads it: the tour's text and stops
// (each a record reference or a named point), and whether to route it on
// the server's graph.
type tourBody struct {
	ID          string     `json:"id"`
	SourceID    string     `json:"source_id"`
	Title       string     `json:"title"`
	Region      string     `json:"region"`
	Description string     `json:"description"`
	Stops       []stopBody `json:"stops"`
	// Route plans the route between the stops on the server's bike graph
	// (--graph), in the order given or, with Optimize, the quickest;
	// without it the tour is stored unrouted.
	Route    bool `json:"route"`
	Optimize bool `json:"optimize"`
	// Note is an optional reason, kept in the tour's history.
	Note string `json:"note"`
}

type stopBody struct {
	FeatureID string      `json:"feature_id"`
	Name      string      `json:"name"`
	Location  *[2]float64 `json:"location"`
	Note      string      `json:"note"`
}

// tour builds the tour the body describes, routed when it asks.
func (s *Server) bodyTour(r *http.Request, b tourBody, id string) (coopmap.Tour, error) {
	t := coopmap.Tour{ID: id, SourceID: b.SourceID, Title: b.Title, Region: b.Region, Description: b.Description,
		Stops: make([]coopmap.Stop, len(b.Stops))}
	if t.SourceID == "" {
		t.SourceID = defaultTourSource
	}
	for i, st := range b.Stops {
		t.Stops[i] = coopmap.Stop{FeatureID: st.FeatureID, Name: st.Name, Note: st.Note}
		if st.Location != nil {
			t.Stops[i].Location = orb.Point(*st.Location)
		}
	}
	if !b.Route {
		if b.Optimize {
			return t, coopmap.Invalidf("optimize", "needs \"route\": true")
		}
		return t, nil
	}
	res, err := tours.Plan(r.Context(), s.cfg.Graph, s.store, t, tours.Options{Optimize: b.Optimize})
	if err != nil {
		return t, err
	}
	return res.Tour, nil
}

// tourTag is the entity tag of a tour's JSON: its version, and a digest of
// the document (which also shows the records its stops reference).
func tourTag(t coopmap.Tour, body []byte) string { return versionTag(t.Version, "tour", string(body)) }

// tourJSON renders a tour as /tours/{id} serves it, with its entity tag.
func (s *Server) tourJSON(r *http.Request, t coopmap.Tour) ([]byte, string, error) {
	srcs, err := s.sourceMap(r.Context())
	if err != nil {
		return nil, "", err
	}
	b, err := json.Marshal(tourDocument(baseURL(r), t, srcs))
	if err != nil {
		return nil, "", err
	}
	b = append(b, '\n')
	return b, tourTag(t, b), nil
}

// writeTourDoc sends a tour's JSON as GET /tours/{id} does, answering 304
// to a matching If-None-Match.
func (s *Server) writeTourDoc(w http.ResponseWriter, r *http.Request, t coopmap.Tour) error {
	b, tag, err := s.tourJSON(r, t)
	if err != nil {
		return err
	}
	if notModified(w, r, tag, t.UpdatedAt) {
		return nil
	}
	w.Header().Set("Content-Type", mediaJSON)
	_, err = w.Write(b)
	return err
}

// writeTour answers a tour write with the tour's JSON and ETag.
func (s *Server) writeTour(w http.ResponseWriter, r *http.Request, status int, t coopmap.Tour) error {
	b, tag, err := s.tourJSON(r, t)
	if err != nil {
		return err
	}
	return writeWritten(w, status, mediaJSON, tag, baseURL(r)+"/tours/"+t.ID, b)
}

// tourConflict answers 412 for a write based on version given of tour id,
// with the current version's ETag.
func (s *Server) tourConflict(w http.ResponseWriter, r *http.Request, cur coopmap.Tour, given int64) error {
	tag := bareVersionTag(cur.Version)
	if _, t, err := s.tourJSON(r, cur); err == nil {
		tag = t
	}
	return preconditionFailed(w, &coopmap.VersionConflict{ID: cur.ID, Current: cur.Version, Given: given}, tag)
}

// createTour answers POST /tours (scope tours:write): 201 with the tour,
// its Location and ETag. A missing tours source is created as the CLI
// does (ODbL, crediting OpenStreetMap).
func (s *Server) createTour(w http.ResponseWriter, r *http.Request) error {
	tok, err := s.authorize(w, r, coopmap.ScopeToursWrite)
	if err != nil {
		return err
	}
	if _, err := params(r.URL.RawQuery); err != nil {
		return err
	}
	var body tourBody
	if err := decodeJSON(w, r, s.cfg.MaxWriteBody, &body, false); err != nil {
		return err
	}
	if !coopmap.ValidSlug(body.ID) {
		return coopmap.Invalidf("id", "a tour id is 1–64 lower-case letters, digits and inner hyphens")
	}
	t, err := s.bodyTour(r, body, body.ID)
	if err != nil {
		return err
	}
	if _, err := tours.EnsureSource(r.Context(), s.store, t.SourceID); err != nil {
		return renameField(err, "source", "source_id")
	}
	if te, ok := s.store.(coopmap.TourEditor); ok {
		t, err = te.CreateTourAs(r.Context(), t, coopmap.Change{By: tok.Name, Note: body.Note})
	} else {
		t, err = s.store.CreateTour(r.Context(), t)
	}
	if err != nil {
		return err
	}
	return s.writeTour(w, r, http.StatusCreated, t)
}

// tourTarget authorises a change to the tour in the path and reads it
// with the If-Match version, answering 412 when that is stale. It returns
// the token's change for the tour's history.
func (s *Server) tourTarget(w http.ResponseWriter, r *http.Request) (coopmap.Tour, int64, coopmap.Change, error) {
	tok, err := s.authorize(w, r, coopmap.ScopeToursWrite)
	if err != nil {
		return coopmap.Tour{}, 0, coopmap.Change{}, err
	}
	ch := coopmap.Change{By: tok.Name}
	if _, err := params(r.URL.RawQuery); err != nil {
		return coopmap.Tour{}, 0, ch, err
	}
	id := chi.URLParam(r, "file")
	if strings.Contains(id, ".") {
		return coopmap.Tour{}, 0, ch, coopmap.NotFoundf("write to /tours/{id}, not to a file of it")
	}
	cur, err := s.tour(r, id)
	if err != nil {
		return cur, 0, ch, err
	}
	ifv, err := ifMatch(r)
	if err != nil {
		return cur, 0, ch, err
	}
	if ifv != cur.Version {
		return cur, ifv, ch, s.tourConflict(w, r, cur, ifv)
	}
	return cur, ifv, ch, nil
}

// updateTour answers PUT /tours/{id} (scope tours:write, If-Match): the
// whole tour, which stays in its source.
func (s *Server) updateTour(w http.ResponseWriter, r *http.Request) error {
	cur, ifv, ch, err := s.tourTarget(w, r)
	if err != nil {
		return err
	}
	var body tourBody
	if err := decodeJSON(w, r, s.cfg.MaxWriteBody, &body, false); err != nil {
		return err
	}
	if body.ID != "" && body.ID != cur.ID {
		return coopmap.Invalidf("id", "%q is not the id in the path; a tour's id cannot change", clipParam(body.ID))
	}
	if body.SourceID == "" {
		body.SourceID = cur.SourceID
	}
	t, err := s.bodyTour(r, body, cur.ID)
	if err != nil {
		return err
	}
	t.Version = ifv
	var saved coopmap.Tour
	if te, ok := s.store.(coopmap.TourEditor); ok {
		ch.Note = body.Note
		saved, err = te.UpdateTourAs(r.Context(), t, ifv, ch)
	} else {
		saved, err = s.store.UpdateTour(r.Context(), t)
	}
	if coopmap.ErrorCode(err) == coopmap.CodeConflict {
		if now, rerr := s.tour(r, cur.ID); rerr == nil {
			return s.tourConflict(w, r, now, ifv)
		}
	}
	if err != nil {
		return err
	}
	return s.writeTour(w, r, http.StatusOK, saved)
}

// deleteTour answers DELETE /tours/{id} (scope tours:write, If-Match,
// an optional {"note": …}) with 204. A store with tour history keeps a
// tombstone, so the tour can be restored.
func (s *Server) deleteTour(w http.ResponseWriter, r *http.Request) error {
	cur, ifv, ch, err := s.tourTarget(w, r)
	if err != nil {
		return err
	}
	if te, ok := s.store.(coopmap.TourEditor); ok {
		var body noteBody
		if err := decodeJSON(w, r, s.cfg.MaxWriteBody, &body, true); err != nil {
			return err
		}
		ch.Note = body.Note
		if _, err := te.DeleteTourAs(r.Context(), cur.ID, ifv, ch); err != nil {
			return s.tourWriteConflict(w, r, cur.ID, err)
		}
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	// Writer.DeleteTour takes no version, so the delete first claims the
	// tour with a conflict-checked update to the next version: of two
	// deletes (or a delete and an update) based on the same version only
	// one gets past it, and nobody else can base a write on the version
	// it makes.
	cur.Version = ifv
	if _, err := s.store.UpdateTour(r.Context(), cur); err != nil {
		if coopmap.ErrorCode(err) == coopmap.CodeConflict {
			if now, rerr := s.tour(r, cur.ID); rerr == nil {
				return s.tourConflict(w, r, now, ifv)
			}
		}
		return err
	}
	if err := s.store.DeleteTour(r.Context(), cur.ID); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
