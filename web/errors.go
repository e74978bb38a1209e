package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/coopmap/coopmap"
)

// Problem is the RFC 9457 problem document every error response carries,
// with Field naming the offending input for invalid values.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"`
}

// statuses is the one table from domain error codes to HTTP statuses.
var statuses = map[coopmap.Code]struct {
	status int
	title  string
}{
	coopmap.CodeNotFound:     {http.StatusNotFound, "Not found"},
	coopmap.CodeInvalid:      {http.StatusBadRequest, "Invalid value"},
	coopmap.CodeConflict:     {http.StatusConflict, "Conflict"},
	coopmap.CodeUnauthorized: {http.StatusUnauthorized, "Unauthorized"},
	coopmap.CodeTooLarge:     {http.StatusRequestEntityTooLarge, "Too large"},
	coopmap.CodeUnroutable:   {http.StatusUnprocessableEntity, "Cannot route"},
	coopmap.CodeUnavailable:  {http.StatusServiceUnavailable, "Service Unavailable"},
	// Raised by the web layer only (auth.go, write.go).
	codeForbidden:            {http.StatusForbidden, "Forbidden"},
	codePreconditionRequired: {http.StatusPreconditionRequired, "Precondition required"},
	codePreconditionFailed:   {http.StatusPreconditionFailed, "Precondition failed"},
	codeUnsupportedMedia:     {http.StatusUnsupportedMediaType, "Unsupported media type"},
}

// unavailableRetryAfter is the Retry-After, in seconds, of a 503 that does
// not set its own: long enough for a database restart or fail-over.
const unavailableRetryAfter = "5"

// problemFor maps an error to the problem document sent for it. Errors
// outside the domain set are internal: their text is logged, not sent.
func problemFor(err error) (Problem, bool) {
	var vc *coopmap.VersionConflict
	if errors.As(err, &vc) { // a stale If-Match: 412, not 409 (write.go)
		err = staleVersion(vc)
	}
	var e *coopmap.Error
	if errors.As(err, &e) {
		if st, ok := statuses[e.Code]; ok {
			return Problem{Type: "https://coopmap.org/problems/" + string(e.Code), Title: st.title, Status: st.status, Detail: e.Message, Field: e.Field}, false
		}
	}
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return Problem{Type: "https://coopmap.org/problems/" + string(coopmap.CodeTooLarge), Title: "Too large", Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("the request body is larger than this endpoint takes (%d bytes)", mbe.Limit)}, false
	}
	// SQLSTATE 57014, query_canceled: the database's own statement
	// timeout (PostGIS statement_timeout) ended the query, which is the
	// same as our deadline passing. The interface keeps pgx out of web.
	if se := sqlStater(nil); errors.As(err, &se) && se.SQLState() == "57014" {
		return Problem{Type: "about:blank", Title: "Service Unavailable", Status: http.StatusServiceUnavailable, Detail: "the request took too long"}, false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Problem{Type: "about:blank", Title: "Service Unavailable", Status: http.StatusServiceUnavailable, Detail: "the request took too long"}, false
	}
	return Problem{Type: "about:blank", Title: "Internal Server Error", Status: http.StatusInternalServerError, Detail: "something went wrong on our side; it has been logged"}, true
}

// sqlStater is a database error with its SQLSTATE code (*pgconn.PgError).
type sqlStater interface{ SQLState() string }

// writeProblem sends p as application/problem+json.
func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	if p.Status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", unavailableRetryAfter)
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeJSON sends v as JSON with the status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}
