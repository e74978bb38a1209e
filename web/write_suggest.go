package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/httprate"

	"github.com/coopmap/coopmap"
)

// Defaults of the suggestion rate limit (Config.SuggestionLimit,
// Config.SuggestionWindow).
const (
	DefaultSuggestionLimit  = 10
	DefaultSuggestionWindow = time.Hour
)

// suggestState is what the suggestion endpoints keep: the key of the
// client hashes and the per-address rate limiter.
type suggestState struct {
	// key makes Suggestion.ClientKey a keyed hash of the client address,
	// so the store never holds addresses. It is random per process
	// unless Config.SuggestionKey sets it.
	key     []byte
	limiter func(http.Handler) http.Handler
}

func newSuggestState(cfg Config, m *metrics) *suggestState {
	key := cfg.SuggestionKey
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // crypto/rand.Read never fails
	}
	limit := httprate.NewRateLimiter(cfg.SuggestionLimit, cfg.SuggestionWindow,
		httprate.WithKeyFuncs(func(r *http.Request) (string, error) { return httprate.CanonicalizeIP(clientAddr(r)), nil }),
		httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			m.shed.WithLabelValues("rate_suggestion").Inc()
			// The same problem as the other rate limits (middleware.go);
			// httprate has set Retry-After and X-RateLimit-*.
			writeProblem(w, Problem{Type: "https://coopmap.org/problems/rate-limited", Title: "Too many requests", Status: http.StatusTooManyRequests,
				Detail: fmt.Sprintf("more than %d suggestions per %s from one address; try again later", cfg.SuggestionLimit, cfg.SuggestionWindow)})
		}))
	return &suggestState{key: key, limiter: limit.Handler}
}

// clientAddr is the client's IP address: RemoteAddr, which the RealIP
// middleware has set from X-Forwarded-For or X-Real-IP when present.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clientKey is the keyed hash of the client's canonical address.
func (st *suggestState) clientKey(r *http.Request) string {
	m := hmac.New(sha256.New, st.key)
	m.Write([]byte(httprate.CanonicalizeIP(clientAddr(r))))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// suggestionBody is a public suggestion: a new record (no feature_id,
// feature the whole record) or a correction of feature_id (feature holds
// only what changes, as a merge patch: fields and/or a moved geometry).
type suggestionBody struct {
	FeatureID string          `json:"feature_id"`
	Feature   json.RawMessage `json:"feature"`
	Name      string          `json:"name"`
	Contact   string          `json:"contact"`
	Note      string          `json:"note"`
}

// moderation returns the store's Moderation, or a not-found error.
func (s *Server) moderation() (coopmap.Moderation, error) {
	m, ok := s.store.(coopmap.Moderation)
	if !ok {
		return nil, coopmap.NotFoundf("this server's store keeps no suggestions")
	}
	return m, nil
}

// moderate is editRequest for a moderator's call on the collection's
// suggestions (scope source:{id}:moderate) on a store that keeps them.
func (s *Server) moderate(w http.ResponseWriter, r *http.Request) (collection, coopmap.Token, coopmap.Moderation, error) {
	c, tok, err := s.editRequest(w, r, coopmap.SourceModerateScope)
	if err != nil {
		return c, tok, nil, err
	}
	m, err := s.moderation()
	return c, tok, m, err
}

// suggest answers POST /collections/{collection}/suggestions, which
// anyone may call (size- and rate-limited): the suggestion is queued for
// the source's moderators, never applied. 202 with its id and status.
func (s *Server) suggest(w http.ResponseWriter, r *http.Request) error {
	m, err := s.moderation()
	if err != nil {
		return err
	}
	c, err := s.findCollection(r.Context(), chi.URLParam(r, "collection"))
	if err != nil {
		return err
	}
	if c.tours {
		return coopmap.NotFoundf("collection %q is made from tours, which take no suggestions", c.ID)
	}
	if _, err := params(r.URL.RawQuery); err != nil {
		return err
	}
	var body suggestionBody
	if err := decodeJSON(w, r, s.cfg.MaxSuggestionBody, &body, false); err != nil {
		return err
	}
	var fb featureBody
	if len(body.Feature) == 0 {
		return coopmap.Invalidf("feature", "is required: the new record, or what changes in feature_id")
	}
	if err := unmarshalStrict(body.Feature, &fb, "feature"); err != nil {
		return err
	}
	var proposed coopmap.Feature
	if body.FeatureID != "" {
		if proposed, err = s.liveFeature(r, c, body.FeatureID); err != nil {
			return err
		}
	}
	if err := fb.apply(&proposed, c.ID, body.FeatureID != ""); err != nil {
		return prefixed("feature", err)
	}
	sg, err := m.CreateSuggestion(r.Context(), coopmap.Suggestion{SourceID: c.ID, FeatureID: body.FeatureID, Proposed: proposed,
		Name: body.Name, Contact: body.Contact, Note: body.Note, ClientKey: s.suggesting.clientKey(r)})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusAccepted, map[string]any{"id": sg.ID, "status": sg.Status,
		"detail": "thank you: the suggestion is queued for the source's moderators"})
}

// prefixed prefixes an invalid error's field with path ("feature.geometry").
func prefixed(path string, err error) error {
	f := coopmap.ErrorField(err)
	if f != "" {
		f = path + "." + f
	} else {
		f = path
	}
	return renameField(err, coopmap.ErrorField(err), f)
}

// renameField returns an invalid error whose field is from as the same
// error naming to; other errors pass unchanged.
func renameField(err error, from, to string) error {
	var e *coopmap.Error
	if !errors.As(err, &e) || e.Code != coopmap.CodeInvalid || e.Field != from {
		return err
	}
	return &coopmap.Error{Code: e.Code, Field: to, Message: e.Message}
}

// suggestionDoc is a suggestion as moderators see it, the proposed record
// as GeoJSON.
type suggestionDoc struct {
	coopmap.Suggestion
	Proposed json.RawMessage `json:"proposed"`
}

func newSuggestionDoc(sg coopmap.Suggestion) (suggestionDoc, error) {
	b, err := appendFeature(nil, sg.Proposed, nil)
	return suggestionDoc{Suggestion: sg, Proposed: b}, err
}

// suggestions answers GET /collections/{collection}/suggestions for
// moderators (?status=pending|accepted|rejected, ?limit=N), contacts
// included.
func (s *Server) suggestions(w http.ResponseWriter, r *http.Request) error {
	c, _, m, err := s.moderate(w, r)
	if err != nil {
		return err
	}
	v, err := params(r.URL.RawQuery, "status", "limit")
	if err != nil {
		return err
	}
	limit, err := limitParam(v)
	if err != nil {
		return err
	}
	list, err := m.Suggestions(r.Context(), c.ID, v.Get("status"), limit)
	if err != nil {
		return err
	}
	out := make([]suggestionDoc, 0, len(list))
	for _, sg := range list {
		d, err := newSuggestionDoc(sg)
		if err != nil {
			return err
		}
		out = append(out, d)
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, map[string]any{"collection": c.ID, "suggestions": out})
}

// decisionBody is the optional body of accepting a suggestion (an edited
// record, in full, and a note) and the body of rejecting one (a reason).
type decisionBody struct {
	Feature json.RawMessage `json:"feature"`
	Note    string          `json:"note"`
	Reason  string          `json:"reason"`
}

// decide answers POST /collections/{collection}/suggestions/{id}/accept
// and …/reject for moderators. Accepting a correction is conflict-checked
// against If-Match when given, else against the version the suggestion
// was made on, so a record changed since gets a 412 to look at again.
func (s *Server) decide(w http.ResponseWriter, r *http.Request) error {
	c, tok, m, err := s.moderate(w, r)
	if err != nil {
		return err
	}
	action := chi.URLParam(r, "action")
	if action != "accept" && action != "reject" {
		return coopmap.NotFoundf("no action %q on a suggestion; use accept or reject", clipParam(action))
	}
	missing := coopmap.NotFoundf("collection %q has no suggestion %q", c.ID, clipParam(chi.URLParam(r, "suggestion")))
	id, err := strconv.ParseInt(chi.URLParam(r, "suggestion"), 10, 64)
	if err != nil || id < 1 {
		return missing
	}
	sg, err := m.Suggestion(r.Context(), id)
	if coopmap.ErrorCode(err) == coopmap.CodeNotFound || (err == nil && sg.SourceID != c.ID) {
		return missing
	}
	if err != nil {
		return err
	}
	if _, err := params(r.URL.RawQuery); err != nil {
		return err
	}
	var body decisionBody
	if err := decodeJSON(w, r, s.cfg.MaxWriteBody, &body, action == "accept"); err != nil {
		return err
	}
	ch := coopmap.Change{By: tok.Name, Note: body.Note}
	if action == "reject" {
		if len(body.Feature) > 0 {
			return coopmap.Invalidf("feature", "is for accepting; a rejection takes a reason")
		}
		if sg, err = m.RejectSuggestion(r.Context(), id, body.Reason, ch); err != nil {
			return err
		}
		d, err := newSuggestionDoc(sg)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, map[string]any{"suggestion": d})
	}
	if body.Reason != "" {
		return coopmap.Invalidf("reason", "is for rejecting; an acceptance takes a note")
	}
	var edited *coopmap.Feature
	if len(body.Feature) > 0 {
		var fb featureBody
		if err := unmarshalStrict(body.Feature, &fb, "feature"); err != nil {
			return err
		}
		e := sg.Proposed
		e.ID = sg.FeatureID
		if err := fb.apply(&e, c.ID, false); err != nil {
			return prefixed("feature", err)
		}
		edited = &e
	}
	ifv := sg.BaseVersion
	if r.Header.Get("If-Match") != "" {
		if ifv, err = ifMatch(r); err != nil {
			return err
		}
	}
	f, accepted, err := m.AcceptSuggestion(r.Context(), id, edited, ifv, ch)
	if err != nil {
		return s.itemConflict(w, r, c, sg.FeatureID, err)
	}
	fc, err := s.findCollection(r.Context(), c.ID)
	if err != nil {
		return err
	}
	base := baseURL(r)
	fj, err := appendFeature(nil, f, nil)
	if err != nil {
		return err
	}
	d, err := newSuggestionDoc(accepted)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", itemTag(fc, formatJSON, base, f))
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, map[string]any{"feature": json.RawMessage(fj), "suggestion": d})
}
