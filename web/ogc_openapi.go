package web

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"time"
)

// openAPIDoc is the OpenAPI 3.0 definition of the OGC API endpoints. Its
// servers entry is filled in per request with the URL the client used.
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPI serves /api.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	if _, err := params(r.URL.RawQuery, "f"); err != nil {
		return err
	}
	if _, err := negotiate(r, formatJSON); err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		return err
	}
	doc["servers"] = []map[string]string{{"url": baseURL(r), "description": "This server"}}
	body, err := jsonBytes(doc)
	if err != nil {
		return err
	}
	return writeDoc(w, r, mediaOpenAPI, body, time.Time{})
}
