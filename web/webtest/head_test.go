package webtest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/coopmap/coopmap"
)

// TestHead checks that HEAD answers like GET, with the same status and
// headers and no body, on the API's documents, items, a download and a
// missing feature.
func TestHead(t *testing.T) {
	each(t, func(t *testing.T, srv *httptest.Server, st coopmap.Store) {
		for _, tc := range []struct {
			path   string
			status int
		}{
			{"/collections", 200},
			{"/collections/coops/items?limit=2", 200},
			{"/collections/coops/items/coops.R0001", 200},
			{"/collections/coops/download?f=geojson", 200},
			{"/collections/coops/items/nope", 404},
		} {
			get, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			get.Body.Close()
			head, err := http.Head(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(head.Body)
			head.Body.Close()
			if head.StatusCode != tc.status || get.StatusCode != tc.status {
				t.Errorf("%s: HEAD %d, GET %d; want %d", tc.path, head.StatusCode, get.StatusCode, tc.status)
			}
			if len(body) != 0 {
				t.Errorf("HEAD %s sent a body of %d bytes", tc.path, len(body))
			}
			for _, h := range []string{"Content-Type", "ETag", "Content-Disposition"} {
				if got, want := head.Header.Get(h), get.Header.Get(h); got != want {
					t.Errorf("HEAD %s: %s %q; GET has %q", tc.path, h, got, want)
				}
			}
		}
	})
}
