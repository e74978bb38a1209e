package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/cors"

	"github.com/coopmap/coopmap"
)

// readOnlyCORS lets any web page read coopmap's data (GET and HEAD from
// any origin, with the conditional-request headers) and no page write it:
// preflights for other methods get no CORS headers, so browsers refuse.
func readOnlyCORS(next http.Handler) http.Handler {
	return cors.New(cors.Options{
		AllowedOrigins: []string{"*"},
		AllowedMethods: []string{http.MethodGet, http.MethodHead},
		AllowedHeaders: []string{"Accept", "Accept-Language", "If-None-Match", "If-Modified-Since"},
		ExposedHeaders: []string{"ETag", "Last-Modified", "Link", "Content-Disposition"},
		MaxAge:         86400,
	}).Handler(next)
}

// Formats a resource can be served in.
const (
	formatJSON = "json"
	formatHTML = "html"
)

// Media types of the OGC API responses.
const (
	mediaJSON    = "application/json"
	mediaGeoJSON = "application/geo+json"
	mediaHTML    = "text/html"
	mediaOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
	mediaSchema  = "application/schema+json"
)

// negotiate picks the format of a response: the f parameter when given
// (one of offers, else an invalid error naming f), otherwise the offer
// the Accept header prefers, otherwise the first offer.
func negotiate(r *http.Request, offers ...string) (string, error) {
	if f := r.URL.Query().Get("f"); f != "" || r.URL.Query().Has("f") {
		for _, o := range offers {
			if f == o {
				return f, nil
			}
		}
		return "", coopmap.Invalidf("f", "%q is not a format of this resource; use %s", clipParam(f), strings.Join(offers, " or "))
	}
	best, bestQ := offers[0], -1.0
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		media, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= 0 && f <= 1 {
					q = f
				}
			}
		}
		var format string
		switch strings.ToLower(strings.TrimSpace(media)) {
		case mediaHTML, "application/xhtml+xml":
			format = formatHTML
		case mediaJSON, mediaGeoJSON, "application/problem+json", "application/schema+json", "application/vnd.oai.openapi+json":
			format = formatJSON
		case "*/*", "application/*":
			format = offers[0]
		default:
			continue
		}
		offered := false
		for _, o := range offers {
			offered = offered || o == format
		}
		if offered && q > bestQ && q > 0 {
			best, bestQ = format, q
		}
	}
	return best, nil
}

// clipParam shortens a parameter's name or value for an error message.
func clipParam(s string) string {
	if len(s) <= 64 {
		return s
	}
	return strings.ToValidUTF8(s[:64], "") + "…"
}

// etag returns a weak entity tag over the parts. It is weak because the
// same representation is sent gzipped or not.
func etag(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return `W/"` + hex.EncodeToString(h.Sum(nil)[:12]) + `"`
}

// notModified sets the validators of a response and reports whether the
// request's conditions let it be answered 304 Not Modified, which it then
// writes. If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2);
// modified may be zero when unknown.
func notModified(w http.ResponseWriter, r *http.Request, tag string, modified time.Time) bool {
	h := w.Header()
	h.Set("ETag", tag)
	h.Add("Vary", "Accept")
	h.Set("Cache-Control", "public, no-cache")
	if !modified.IsZero() {
		h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	}
	match := false
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(tag, "W/") {
				match = true
			}
		}
	} else if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !modified.IsZero() {
		match = !modified.Truncate(time.Second).After(ims)
	}
	if match {
		h.Del("Content-Type")
		w.WriteHeader(http.StatusNotModified)
	}
	return match
}

// writeDoc sends a small document that is rendered in full before it is
// sent, so its entity tag can be the digest of its bytes.
func writeDoc(w http.ResponseWriter, r *http.Request, contentType string, body []byte, modified time.Time) error {
	if notModified(w, r, etag(contentType, string(body)), modified) {
		return nil
	}
	w.Header().Set("Content-Type", contentType)
	_, err := w.Write(body)
	return err
}

// baseURL returns the scheme and host the client used to reach the
// server, for the absolute links OGC API documents carry. A proxy may say
// the scheme was https with X-Forwarded-Proto.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// link is one entry of an OGC API links array.
type link struct {
	Href     string `json:"href"`
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Title    string `json:"title,omitempty"`
	HrefLang string `json:"hreflang,omitempty"`
}

// selfLinks returns the self and alternate links of a resource offered as
// JSON (of media type jsonType) and HTML, the one served being self.
func selfLinks(base, path, query, format, jsonType string) []link {
	with := func(f string) string {
		q := query
		if q != "" {
			q += "&"
		}
		return base + path + "?" + q + "f=" + f
	}
	j := link{Href: with(formatJSON), Type: jsonType, Title: "This document as JSON"}
	h := link{Href: with(formatHTML), Type: mediaHTML, Title: "This document as HTML"}
	if format == formatHTML {
		h.Rel, j.Rel = "self", "alternate"
		return []link{h, j}
	}
	j.Rel, h.Rel = "self", "alternate"
	return []link{j, h}
}

// jsonBytes encodes v as JSON with a final newline, as json.Encoder does,
// without escaping <, > and & (the JSON is not embedded in HTML).
func jsonBytes(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
