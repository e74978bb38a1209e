package webtest_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/coopmap/coopmap"
)

// TestOGCOpenAPI loads /api with kin-openapi, validates it as OpenAPI 3.0,
// and checks that every path it describes answers.
func TestOGCOpenAPI(t *testing.T) {
	each(t, func(t *testing.T, srv *httptest.Server, st coopmap.Store) {
		r := getOK(t, srv.URL+"/api")
		if ct := r.header.Get("Content-Type"); ct != "application/vnd.oai.openapi+json;version=3.0" {
			t.Errorf("Content-Type %q", ct)
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(r.body)
		if err != nil {
			t.Fatalf("loading /api: %v", err)
		}
		if err := doc.Validate(t.Context()); err != nil {
			t.Fatalf("/api is not a valid OpenAPI 3.0 document: %v", err)
		}
		if doc.Servers[0].URL != srv.URL {
			t.Errorf("servers[0] = %q; want %q", doc.Servers[0].URL, srv.URL)
		}
		for _, path := range doc.Paths.InMatchingOrder() {
			p := strings.NewReplacer("{collectionId}", "coops", "{featureId}", "coops.R0001").Replace(path)
			getOK(t, srv.URL+p)
		}
		items := doc.Paths.Find("/collections/{collectionId}/items").Get
		for _, want := range append([]string{"bbox", "limit", "datetime", "q", "sortby", "after", "before", "f"}, "sector", "org_type", "status") {
			if items.Parameters.GetByInAndName("query", want) == nil {
				t.Errorf("items: parameter %s is not described", want)
			}
		}
	})
}
