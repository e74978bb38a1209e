package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/coopmap/coopmap"
)

// Limits of the write API (docs/API.md, "Write API").
const (
	// DefaultMaxWriteBody bounds a JSON body sent to a write endpoint
	// when Config.MaxWriteBody is 0: 1 MiB, far more than a record with
	// MaxProperties of properties and a detailed polygon needs.
	DefaultMaxWriteBody int64 = 1 << 20
	// DefaultMaxImportBody bounds a file uploaded to
	// /collections/{id}/import when Config.MaxImportBody is 0: 256 MiB.
	// Larger files are imported with the CLI (coopmap import).
	DefaultMaxImportBody int64 = 256 << 20
	// DefaultMaxSuggestionBody bounds a public suggestion's body when
	// Config.MaxSuggestionBody is 0: 64 KiB.
	DefaultMaxSuggestionBody int64 = 64 << 10
)

// versionTag returns the entity tag of version v of a record, tour or
// source in one representation: W/"v{v}-{digest of parts}". If-Match is
// compared by the version alone (ifMatch), so any representation's tag
// (JSON or HTML, this host or another) names the version it showed, and a
// write is accepted exactly when that version is still current. The tag
// is weak because the same representation is sent gzipped or not.
func versionTag(v int64, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return `W/"v` + strconv.FormatInt(v, 10) + "-" + hex.EncodeToString(h.Sum(nil)[:8]) + `"`
}

// bareVersionTag is the tag sent when no representation is at hand (a 412
// whose current version is all that is known): W/"v{v}".
func bareVersionTag(v int64) string { return `W/"v` + strconv.FormatInt(v, 10) + `"` }

// ifMatch returns the version the request's If-Match names. A write
// without If-Match is refused with 428 (codePreconditionRequired), so
// nobody overwrites a change they have not seen; "*" names no version and
// is refused the same way. A tag that is not one coopmap sent, or a list
// naming different versions, is invalid (400) naming "If-Match".
func ifMatch(r *http.Request) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, &coopmap.Error{Code: codePreconditionRequired, Field: "If-Match",
			Message: `this write needs If-Match with the ETag of the version it changes (for example W/"v3"); read the resource first`}
	}
	var version int64
	for _, t := range strings.Split(h, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		t = strings.TrimSuffix(strings.TrimPrefix(t, `"`), `"`)
		num, _, _ := strings.Cut(strings.TrimPrefix(t, "v"), "-")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil || v < 1 || !strings.HasPrefix(t, "v") {
			return 0, coopmap.Invalidf("If-Match", "%q is not an ETag of this server; they look like W/\"v3-…\"", clipParam(h))
		}
		if version != 0 && v != version {
			return 0, coopmap.Invalidf("If-Match", "names more than one version")
		}
		version = v
	}
	return version, nil
}

// preconditionFailed turns a *coopmap.VersionConflict in err into a 412
// problem whose ETag header names the current version (tag, or the bare
// version tag when tag is ""), and returns other errors as they are.
func preconditionFailed(w http.ResponseWriter, err error, tag string) error {
	var vc *coopmap.VersionConflict
	if !errors.As(err, &vc) {
		return err
	}
	if tag == "" {
		tag = bareVersionTag(vc.Current)
	}
	w.Header().Set("ETag", tag)
	return staleVersion(vc)
}

// staleVersion is the 412 problem of a version conflict, naming If-Match,
// with the current and the given versions in its message.
func staleVersion(vc *coopmap.VersionConflict) *coopmap.Error {
	msg := vc.Error()
	var de *coopmap.Error
	if errors.As(vc.Unwrap(), &de) {
		msg = de.Message
	}
	return &coopmap.Error{Code: codePreconditionFailed, Field: "If-Match", Message: msg}
}

// mediaMergePatch is the media type of a JSON Merge Patch (RFC 7396),
// which PATCH accepts besides JSON.
const mediaMergePatch = "application/merge-patch+json"

// checkContentType refuses a body whose Content-Type is not one of types
// with 415 naming "Content-Type".
func checkContentType(r *http.Request, types ...string) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil {
		for _, t := range types {
			if mt == t {
				return nil
			}
		}
	}
	return &coopmap.Error{Code: codeUnsupportedMedia, Field: "Content-Type",
		Message: fmt.Sprintf("send the body as %s", strings.Join(types, " or "))}
}

// readBody reads the whole body, at most limit bytes (a larger one is a
// 413 naming "body").
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, &coopmap.Error{Code: coopmap.CodeTooLarge, Field: "body", Message: fmt.Sprintf("the body is larger than the limit of %d bytes", limit)}
	}
	if err != nil { // a client too slow for the read timeout, or gone: its fault, not a 500
		return nil, coopmap.Invalidf("body", "was not received in full")
	}
	return b, nil
}

// decodeJSON reads a JSON body of at most limit bytes, with a
// Content-Type of JSON (or GeoJSON, or with merge set a merge patch), into
// dst, refusing fields dst does not have (unmarshalBody). Errors name what
// is wrong: 415 "Content-Type", 413 "body", 400 "body" for malformed JSON
// or bytes that are not UTF-8, or 400 naming the unknown field, the field
// of the wrong type or the member given twice. An empty body is allowed
// when optional is set, leaving dst as it is.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, dst any, optional bool) error {
	if optional && r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	types := []string{mediaJSON, mediaGeoJSON}
	if r.Method == http.MethodPatch {
		types = append(types, mediaMergePatch)
	}
	if err := checkContentType(r, types...); err != nil {
		return err
	}
	b, err := readBody(w, r, limit)
	if err != nil {
		return err
	}
	if optional && len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	return unmarshalBody(b, dst)
}

// unmarshalStrict decodes one JSON value from b into dst, refusing unknown
// fields and trailing data. Errors are CodeInvalid naming the field, as a
// path under prefix ("" for the body itself).
func unmarshalStrict(b []byte, dst any, prefix string) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil && dec.More() {
		err = errors.New("data after the JSON value")
	}
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("data after the JSON value")
		}
	}
	if err == nil {
		return nil
	}
	field := func(f string) string {
		switch {
		case prefix == "" && f == "":
			return "body"
		case prefix == "":
			return f
		case f == "" || f == "body":
			return prefix
		}
		return prefix + "." + f
	}
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &se):
		return coopmap.Invalidf(field("body"), "is not valid JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return coopmap.Invalidf(field(te.Field), "must be %s, not %s", jsonTypeName(te.Type.Kind().String()), te.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return coopmap.Invalidf(field("body"), "is empty or cut short; send a JSON object")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		return coopmap.Invalidf(field(name), "is not a field of this request")
	}
	var de *coopmap.Error
	if errors.As(err, &de) {
		return err
	}
	return coopmap.Invalidf(field("body"), "%v", err)
}

// jsonTypeName names a Go kind as the JSON type a client should send.
func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "another type"
}

// writeDefaults fills the write API's zero settings with their defaults.
func writeDefaults(cfg Config) Config {
	if cfg.MaxWriteBody <= 0 {
		cfg.MaxWriteBody = DefaultMaxWriteBody
	}
	if cfg.MaxImportBody <= 0 {
		cfg.MaxImportBody = DefaultMaxImportBody
	}
	if cfg.MaxSuggestionBody <= 0 {
		cfg.MaxSuggestionBody = DefaultMaxSuggestionBody
	}
	if cfg.SuggestionLimit <= 0 {
		cfg.SuggestionLimit = DefaultSuggestionLimit
	}
	if cfg.SuggestionWindow <= 0 {
		cfg.SuggestionWindow = DefaultSuggestionWindow
	}
	return cfg
}

// writeRoutes registers the write API (docs/API.md, "Write API"). Every
// route but the public suggestion checks its token's scope itself
// (authorize), as the scope names the collection in the path.
func (s *Server) writeRoutes(r chi.Router) {
	// These bodies may pass the server-wide body cap (Limits.MaxBodyBytes);
	// each handler caps its body at its own limit (Config.MaxWriteBody,
	// MaxSuggestionBody, MaxImportBody).
	r.Group(func(r chi.Router) {
		r.Use(allowBody(max(s.cfg.MaxWriteBody, s.cfg.MaxSuggestionBody)))
		r.Patch("/collections/{collection}", s.handle(s.patchCollection))
		r.Get("/collections/{collection}/deleted", s.handle(s.deletedItems))
		r.Post("/collections/{collection}/items", s.handle(s.createItem))
		r.Put("/collections/{collection}/items/{feature}", s.handle(s.updateItem))
		r.Patch("/collections/{collection}/items/{feature}", s.handle(s.updateItem))
		r.Delete("/collections/{collection}/items/{feature}", s.handle(s.itemAction))
		r.Post("/collections/{collection}/items/{feature}/{action}", s.handle(s.itemAction)) // restore, revert
		r.Get("/collections/{collection}/items/{feature}/history", s.handle(s.history))
		r.With(s.suggesting.limiter).Post("/collections/{collection}/suggestions", s.handle(s.suggest))
		r.Get("/collections/{collection}/suggestions", s.handle(s.suggestions))
		r.Post("/collections/{collection}/suggestions/{suggestion}/{action}", s.handle(s.decide)) // accept, reject
		r.Post("/tours", s.handle(s.createTour))
		r.Put("/tours/{file}", s.handle(s.updateTour))
		r.Delete("/tours/{file}", s.handle(s.deleteTour))
		r.Get("/tours/{id}/history", s.handle(s.tourHistory))
		r.Post("/tours/{id}/{action}", s.handle(s.tourAction)) // restore, revert (tour_history.go)
	})
	r.With(allowBody(s.cfg.MaxImportBody)).Post("/collections/{collection}/import", s.handle(s.importCollection))
}
