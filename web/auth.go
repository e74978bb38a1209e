package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rs/cors"

	"github.com/coopmap/coopmap"
)

// Domain codes that only the web layer raises, each with its row in the
// statuses table (errors.go).
const (
	// codeForbidden: a valid token without the scope the request needs.
	codeForbidden coopmap.Code = "forbidden"
	// codePreconditionRequired: a write without If-Match.
	codePreconditionRequired coopmap.Code = "precondition_required"
	// codePreconditionFailed: If-Match names a version that is not the
	// current one (see coopmap.VersionConflict).
	codePreconditionFailed coopmap.Code = "precondition_failed"
	// codeUnsupportedMedia: a body of a content type the endpoint does
	// not read.
	codeUnsupportedMedia coopmap.Code = "unsupported_media_type"
)

// unauthenticated is the one answer to every request whose credentials do
// not authenticate it: no Authorization header, a malformed one, or an
// unknown, expired or revoked token all get the same status, header and
// body, so a caller cannot learn which tokens exist.
func unauthenticated(w http.ResponseWriter) error {
	w.Header().Set("WWW-Authenticate", `Bearer realm="coopmap"`)
	return coopmap.Errorf(coopmap.CodeUnauthorized, "this request needs a valid API token, sent as Authorization: Bearer TOKEN")
}

// tokenTouchEvery is how stale a token's LastUsedAt may get before a
// request records its use, so reads of the token list are accurate to a
// minute without a database write on every request.
const tokenTouchEvery = time.Minute

// queryTokenParams are query parameters that clients commonly use for
// credentials; coopmap refuses them.
var queryTokenParams = []string{"access_token", "token", "api_key", "apikey", "key", "bearer"}

// authorize checks that the request carries an active token holding scope
// (or admin) and returns it. Reads never call it. The token may come only
// from "Authorization: Bearer"; one in the query string is refused (it
// would end up in logs, histories and Referer headers). Every failure to
// authenticate is the same 401 (see unauthenticated); a token without the
// scope is a 403 that names the scope, which reveals nothing the holder of
// a valid token could not find out.
//
// The presented secret is hashed and looked up by its digest whatever its
// shape, and the stored digest is compared in constant time, so response
// times do not depend on how much of a guess was right.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, scope string) (coopmap.Token, error) {
	q := r.URL.Query()
	for k, vs := range q {
		if slices.Contains(queryTokenParams, strings.ToLower(k)) || slices.ContainsFunc(vs, func(v string) bool { return strings.HasPrefix(v, coopmap.TokenPrefix) }) {
			return coopmap.Token{}, coopmap.Invalidf(clipParam(k), "credentials are accepted only in the Authorization header, never in a URL; revoke a token that was sent in one")
		}
	}
	ts, ok := s.store.(coopmap.TokenStore)
	if !ok {
		return coopmap.Token{}, unauthenticated(w)
	}
	scheme, secret, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	secret = strings.TrimSpace(secret)
	if len(secret) > 200 {
		secret = secret[:200] // bounded hashing work; such a token is malformed anyway
	}
	t, err := ts.TokenByHash(r.Context(), coopmap.HashToken(secret))
	if err != nil && coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		return coopmap.Token{}, err
	}
	now := time.Now()
	found := err == nil
	valid := coopmap.TokenMatches(t.Hash, secret) // false for the zero Token
	if !strings.EqualFold(scheme, "Bearer") || !coopmap.WellFormedToken(secret) || !found || !valid || !t.Active(now) {
		return coopmap.Token{}, unauthenticated(w)
	}
	if !t.Allows(scope) {
		return coopmap.Token{}, coopmap.Errorf(codeForbidden, "this token does not hold the scope %s", scope)
	}
	if now.Sub(t.LastUsedAt) > tokenTouchEvery {
		// Best effort and bounded: recording the use must not fail or
		// slow down the write it authorised.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Second)
		if err := ts.TouchToken(ctx, t.ID, now); err != nil {
			s.log.WarnContext(r.Context(), "recording a token's use", "token", t.ID, "err", err)
		}
		cancel()
	}
	return t, nil
}

// corsPolicy is the server's CORS middleware: any page may read (see
// readOnlyCORS); only pages from Config.CORSWriteOrigins may also write,
// sending Authorization, Content-Type and If-Match and reading ETag and
// Location. Without the allow-list no cross-origin page can write: the
// preflight every write needs (it carries Authorization or a JSON body)
// gets no CORS headers, so browsers refuse to send it.
func (s *Server) corsPolicy(next http.Handler) http.Handler {
	ro := readOnlyCORS(next)
	origins := s.cfg.CORSWriteOrigins
	if len(origins) == 0 {
		return ro
	}
	rw := cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowedHeaders: []string{"Accept", "Accept-Language", "If-None-Match", "If-Modified-Since", "If-Match", "Authorization", "Content-Type"},
		ExposedHeaders: []string{"ETag", "Last-Modified", "Link", "Content-Disposition", "Location"},
		MaxAge:         86400,
	}).Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The answer depends on the Origin once there is an allow-list.
		w.Header().Add("Vary", "Origin")
		if o := r.Header.Get("Origin"); o != "" && slices.Contains(origins, o) {
			rw.ServeHTTP(w, r)
			return
		}
		ro.ServeHTTP(w, r)
	})
}
