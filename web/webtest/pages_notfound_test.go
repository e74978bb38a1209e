package webtest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/web/webtest"
)

// browserAccept is what chromium sends for a page.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

func TestRecordPageNotFound(t *testing.T) {
	for _, kind := range webtest.Stores() {
		t.Run(kind.Name, func(t *testing.T) {
			base := pagesFixture(t, kind.Open(t))
			missing := []string{
				"/coops/coops.nope",
				"/coops/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
				"/features/orchards/" + url.PathEscape(coopmap.FeatureID("coops", "R1")), // a record of another collection
				"/features/x/y",
				"/coops/" + url.PathEscape(coopmap.FeatureID("rides", "t1")), // tours have no record page
			}
			for _, path := range missing {
				t.Run("browser "+path, func(t *testing.T) {
					res, body := pageGet(t, base+path+"?utm_source=x", "Accept", browserAccept)
					if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
						t.Fatalf("status %d, type %q: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
					}
					checkCSP(t, res)
					for _, want := range []string{"<title>Record not found · coopmap</title>", `<body class="record-page">`,
						`<a href="/">Back to the map</a>`, `<meta name="robots" content="noindex">`} {
						if !strings.Contains(body, want) {
							t.Errorf("page lacks %q", want)
						}
					}
					if strings.Contains(body, "<script>") {
						t.Errorf("the path reached the page as markup:\n%s", body)
					}
					if res.Header.Get("Cache-Control") != "no-store" {
						t.Errorf("Cache-Control %q", res.Header.Get("Cache-Control"))
					}
				})
				// API clients (JSON first, or no Accept at all) still get
				// the problem document.
				for _, accept := range []string{"application/json", "application/problem+json, text/html;q=0.5", ""} {
					res, body := pageGet(t, base+path, "Accept", accept)
					if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "application/problem+json" {
						t.Errorf("%s with Accept %q: status %d, type %q: %s", path, accept, res.StatusCode, res.Header.Get("Content-Type"), body)
					}
				}
			}
			// A record that is there is still its page, whatever is asked.
			res, body := pageGet(t, base+"/coops/"+url.PathEscape(coopmap.FeatureID("coops", "R2")), "Accept", browserAccept)
			if res.StatusCode != http.StatusOK || !strings.Contains(body, "Unicorn Grocery") {
				t.Errorf("existing record: status %d", res.StatusCode)
			}
		})
	}
}
