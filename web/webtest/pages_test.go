package webtest_test

import (
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/storetest"
	"github.com/coopmap/coopmap/web"
	"github.com/coopmap/coopmap/web/webtest"
)

// hostileName is the XSS fixture's name: on any page it must be text.
const hostileName = `<img src=x onerror=alert(1)>`

// pagesFixture loads a co-op register with a hostile record, an overlay
// with a polygon and a tours source, and serves it.
func pagesFixture(t *testing.T, st coopmap.Store) string {
	t.Helper()
	ctx := context.Background()
	coops := storetest.Source("coops", coopmap.KindCoops)
	coops.Attribution = `Contains data from <b>Co-operatives UK</b>`
	var fs []coopmap.Feature
	for i, key := range []string{"R1", "R2", "R3"} {
		f := storetest.Point("coops", key, -2.24+float64(i)*0.01, 53.48)
		f.Sector = []string{"Food", "Housing", "Food"}[i]
		f.Postcode = "M1 1AA"
		fs = append(fs, f)
	}
	fs[0].Name = hostileName
	fs[0].Website = "https://example.org/coop?a=1&b=2"
	fs[0].Properties = map[string]any{"homepage": "javascript:alert(1)", "members": 12}
	fs[1].Name = "Unicorn Grocery"
	fs[1].Address = "89 Albany Road, Manchester"
	if _, err := st.ReplaceSource(ctx, coops, storetest.Seq(fs)); err != nil {
		t.Fatal(err)
	}
	over := storetest.Source("orchards", coopmap.KindFeatures)
	orchard := coopmap.Feature{ID: coopmap.FeatureID("orchards", "o1"), SourceID: "orchards", Name: "Bramley orchard",
		Geometry: orb.Polygon{{{-2, 52}, {-1.9, 52}, {-1.9, 52.1}, {-2, 52.1}, {-2, 52}}}, Precision: coopmap.PrecisionExact}
	if _, err := st.ReplaceSource(ctx, over, storetest.Seq([]coopmap.Feature{orchard})); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReplaceSource(ctx, storetest.Source("rides", coopmap.KindTours), storetest.Seq(nil)); err != nil {
		t.Fatal(err)
	}
	return webtest.Serve(t, st, web.Config{}).URL
}

func pageGet(t *testing.T, u string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// checkCSP fails unless the page's policy is strict: no inline or eval'd
// script, no inline style, embeddable.
func checkCSP(t *testing.T, res *http.Response) {
	t.Helper()
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors *", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-") {
		t.Errorf("CSP %q allows unsafe sources", csp)
	}
}

func TestRecordPages(t *testing.T) {
	for _, kind := range webtest.Stores() {
		t.Run(kind.Name, func(t *testing.T) {
			base := pagesFixture(t, kind.Open(t))
			hostileID := coopmap.FeatureID("coops", "R1")

			t.Run("coop page with provenance", func(t *testing.T) {
				res, body := pageGet(t, base+"/coops/"+url.PathEscape(coopmap.FeatureID("coops", "R2")))
				if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
					t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
				}
				checkCSP(t, res)
				for _, want := range []string{
					"<title>Unicorn Grocery · coopmap</title>",
					`<meta property="og:title" content="Unicorn Grocery">`,
					`<meta property="og:description" content="Housing · Worker co-operative · 89 Albany Road, Manchester · M1 1AA">`,
					`<meta property="place:location:latitude" content="53.48000">`,
					"Provenance", "Open Data Commons Attribution License v1.0", "(ODC-By-1.0)",
					"Contains data from &lt;b&gt;Co-operatives UK&lt;/b&gt;", "Co-operatives UK", "https://www.uk.coop/resources/open-data",
					"Record last updated", "16 June 2023, 09:30 UTC",
					`href="/collections/coops/items/` + coopmap.FeatureID("coops", "R2") + `?f=json"`,
				} {
					if !strings.Contains(body, want) {
						t.Errorf("page lacks %q", want)
					}
				}
			})

			t.Run("hostile record is text", func(t *testing.T) {
				res, body := pageGet(t, base+"/coops/"+url.PathEscape(hostileID))
				if res.StatusCode != http.StatusOK {
					t.Fatalf("status %d", res.StatusCode)
				}
				if strings.Contains(body, "<img src=x") || strings.Contains(body, `href="javascript:`) {
					t.Errorf("hostile data reached the page as markup:\n%s", body)
				}
				for _, want := range []string{"&lt;img src=x onerror=alert(1)&gt;", "javascript:alert(1)",
					`<a href="https://example.org/coop?a=1&amp;b=2" rel="noopener nofollow ugc"`} {
					if !strings.Contains(body, want) {
						t.Errorf("page lacks %q", want)
					}
				}
			})

			t.Run("feature page", func(t *testing.T) {
				res, body := pageGet(t, base+"/features/orchards/"+url.PathEscape(coopmap.FeatureID("orchards", "o1")))
				if res.StatusCode != http.StatusOK || !strings.Contains(body, "<h1>Bramley orchard</h1>") || !strings.Contains(body, "Polygon") {
					t.Fatalf("status %d, body:\n%s", res.StatusCode, body)
				}
				// A co-op is on its /features page too; an overlay record
				// asked for as a co-op is redirected.
				if res, _ := pageGet(t, base+"/features/coops/"+url.PathEscape(hostileID)); res.StatusCode != http.StatusOK {
					t.Errorf("co-op's feature page: status %d", res.StatusCode)
				}
				noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				r, err := noRedirect.Get(base + "/coops/" + url.PathEscape(coopmap.FeatureID("orchards", "o1")))
				if err != nil {
					t.Fatal(err)
				}
				r.Body.Close()
				if r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != "/features/orchards/"+coopmap.FeatureID("orchards", "o1") {
					t.Errorf("overlay as co-op: status %d, Location %q", r.StatusCode, r.Header.Get("Location"))
				}
			})

			t.Run("missing records are 404 problems", func(t *testing.T) {
				for _, path := range []string{"/coops/coops.nope", "/features/orchards/" + url.PathEscape(hostileID), "/features/x/y", "/coops/%3Cscript%3E"} {
					res, body := pageGet(t, base+path)
					if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "application/problem+json" {
						t.Errorf("%s: status %d, type %q, body %s", path, res.StatusCode, res.Header.Get("Content-Type"), body)
					}
				}
			})
		})
	}
}

func TestMapPoints(t *testing.T) {
	for _, kind := range webtest.Stores() {
		t.Run(kind.Name, func(t *testing.T) {
			base := pagesFixture(t, kind.Open(t))
			res, body := pageGet(t, base+"/map/points/coops", "Accept-Encoding", "identity")
			body0 := body
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, type %q: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			var doc struct {
				Collection, Attribution string
				Licence                 coopmap.Licence
				Count                   int
				IDs, Names, Sectors     []string
				Coords                  []float64
				Sector                  []int
			}
			if err := json.Unmarshal([]byte(body), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Count != 3 || len(doc.IDs) != 3 || len(doc.Coords) != 6 || doc.Licence.ID != "ODC-By-1.0" || doc.Attribution == "" {
				t.Fatalf("doc = %+v", doc)
			}
			if doc.Names[0] != hostileName || doc.Sectors[doc.Sector[1]] != "Housing" || doc.Coords[0] != -2.24 || doc.Coords[1] != 53.48 {
				t.Errorf("doc = %+v", doc)
			}
			// Gzipped once, for every client that takes it.
			if r, gz := pageGet(t, base+"/map/points/coops", "Accept-Encoding", "gzip"); r.Header.Get("Content-Encoding") != "gzip" || len(gz) == 0 || len(gz) >= len(body) {
				t.Errorf("gzip: Content-Encoding %q, %d bytes (plain %d)", r.Header.Get("Content-Encoding"), len(gz), len(body))
			}
			// Revalidation costs no feature read.
			if r, _ := pageGet(t, base+"/map/points/coops", "If-None-Match", res.Header.Get("ETag")); r.StatusCode != http.StatusNotModified {
				t.Errorf("revalidation: status %d", r.StatusCode)
			}
			// An overlay's polygon is its centre.
			_, body = pageGet(t, base+"/map/points/orchards")
			if !strings.Contains(body, `"coords":[-1.95,52.05]`) {
				t.Errorf("overlay points: %s", body)
			}
			checkPointParts(t, base, body0)
			for path, status := range map[string]int{"/map/points/rides": 404, "/map/points/nope": 404, "/map/points/coops?x=1": 400,
				"/map/points/coops/labels?x=1": 400, "/map/points/coops/positions?x=1": 400, "/map/points/coops/other": 404,
				"/map/points/rides/positions": 404, "/map/points/nope/labels": 404} {
				if r, b := pageGet(t, base+path); r.StatusCode != status {
					t.Errorf("%s: status %d, want %d: %s", path, r.StatusCode, status, b)
				}
			}
		})
	}
}

// checkPointParts checks that /map/points/coops/positions and /labels
// hold, in the layout docs/API.md gives, exactly what the one-piece
// document full holds, and that each part revalidates on its own.
func checkPointParts(t *testing.T, base, full string) {
	t.Helper()
	var doc struct {
		Collection, Title, Attribution string
		Licence                        coopmap.Licence
		Version                        int64
		Count                          int
		IDs, Names, Postcodes          []string
		Sectors, OrgTypes              []string
		Coords                         []float64
		Sector, OrgType                []int
	}
	if err := json.Unmarshal([]byte(full), &doc); err != nil {
		t.Fatal(err)
	}
	res, body := pageGet(t, base+"/map/points/coops/positions", "Accept-Encoding", "identity")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("positions: status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	b := []byte(body)
	if len(b) < 12 || string(b[:4]) != "CMP1" {
		t.Fatalf("positions: starts %q", b[:min(len(b), 12)])
	}
	n, metaLen := int(binary.LittleEndian.Uint32(b[4:])), int(binary.LittleEndian.Uint32(b[8:]))
	if n != doc.Count || metaLen%4 != 0 || len(b) != 12+metaLen+16*n {
		t.Fatalf("positions: count %d, meta %d bytes, %d bytes in all; want count %d", n, metaLen, len(b), doc.Count)
	}
	var meta struct {
		Collection, Title, Attribution string
		Licence                        coopmap.Licence
		Version                        int64
		Count                          int
		Sectors, OrgTypes              []string
	}
	if err := json.Unmarshal(b[12:12+metaLen], &meta); err != nil {
		t.Fatalf("positions meta: %v", err)
	}
	if meta.Collection != "coops" || meta.Title != doc.Title || meta.Attribution != doc.Attribution || meta.Licence != doc.Licence ||
		meta.Version != doc.Version || meta.Count != n || !slices.Equal(meta.Sectors, doc.Sectors) || !slices.Equal(meta.OrgTypes, doc.OrgTypes) {
		t.Errorf("positions meta = %+v; the document says %+v", meta, doc)
	}
	at := 12 + metaLen
	next := func() int {
		v := int(int32(binary.LittleEndian.Uint32(b[at:])))
		at += 4
		return v
	}
	for k := range 2 * n {
		if v := next(); v != int(math.Round(doc.Coords[k]*1e5)) {
			t.Errorf("coords[%d] = %d; the document says %v", k, v, doc.Coords[k])
		}
	}
	for _, col := range [][]int{doc.Sector, doc.OrgType} {
		for k := range n {
			if v := next(); v != col[k] {
				t.Errorf("category %d of record %d = %d; the document says %d", k/n, k, v, col[k])
			}
		}
	}
	res, body = pageGet(t, base+"/map/points/coops/labels", "Accept-Encoding", "identity")
	var labels struct {
		Collection            string
		Version               int64
		Count                 int
		IDs, Names, Postcodes []string
	}
	if err := json.Unmarshal([]byte(body), &labels); err != nil || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("labels: %v, type %q: %s", err, res.Header.Get("Content-Type"), body)
	}
	if labels.Collection != "coops" || labels.Version != doc.Version || labels.Count != n ||
		!slices.Equal(labels.IDs, doc.IDs) || !slices.Equal(labels.Names, doc.Names) || !slices.Equal(labels.Postcodes, doc.Postcodes) {
		t.Errorf("labels = %+v; the document says %+v", labels, doc)
	}
	tags := map[string]bool{}
	for _, part := range []string{"", "/positions", "/labels"} {
		r, _ := pageGet(t, base+"/map/points/coops"+part)
		tag := r.Header.Get("ETag")
		if tags[tag] {
			t.Errorf("%s: the ETag %s of another part", part, tag)
		}
		tags[tag] = true
		if r, _ := pageGet(t, base+"/map/points/coops"+part, "If-None-Match", tag); r.StatusCode != http.StatusNotModified {
			t.Errorf("%s: revalidation status %d", part, r.StatusCode)
		}
		if r, gz := pageGet(t, base+"/map/points/coops"+part, "Accept-Encoding", "gzip"); r.Header.Get("Content-Encoding") != "gzip" || len(gz) == 0 {
			t.Errorf("%s: not gzipped", part)
		}
	}
}

func TestMapAtRoot(t *testing.T) {
	base := pagesFixture(t, webtest.Stores()[0].Open(t))
	res, body := pageGet(t, base+"/", "Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	switch res.StatusCode {
	case http.StatusOK: // the front end is built: the map, with its settings
		checkCSP(t, res)
		if !strings.Contains(res.Header.Get("Content-Security-Policy"), "img-src 'self' data: https://tile.openstreetmap.org") {
			t.Errorf("CSP %q does not allow the basemap", res.Header.Get("Content-Security-Policy"))
		}
		for _, want := range []string{`<script type="application/json" id="coopmap-config">`, `"url":"https://tile.openstreetmap.org/{z}/{x}/{y}.png"`,
			`"id":"coops"`, `"id":"orchards"`, `\u003cb\u003eCo-operatives UK\u003c/b\u003e`, `"formats":["geojson"`, `<script type="module"`,
			`<link rel="preload" href="/map/points/coops/positions" as="fetch" crossorigin="anonymous">`,
			`<link rel="preload" href="/map/points/coops/labels" as="fetch" crossorigin="anonymous">`} {
			if !strings.Contains(body, want) {
				t.Errorf("map page lacks %q", want)
			}
		}
		if strings.Contains(body, `"id":"rides"`) || strings.Contains(body, "<b>Co-operatives") || strings.Contains(body, "/map/points/orchards") {
			t.Errorf("map page has a tours source or raw markup from data")
		}
		checkAssetGzip(t, base, body)
	case http.StatusServiceUnavailable: // go test before npm: says how to build it
		if !strings.Contains(body, "make build") {
			t.Errorf("unbuilt map: %q", body)
		}
	default:
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	// JSON clients and ?f= still reach the OGC API landing page.
	if res, body := pageGet(t, base+"/", "Accept", "application/json"); res.StatusCode != 200 || !strings.Contains(body, `"conformance"`) {
		t.Errorf("JSON landing: %d %s", res.StatusCode, body)
	}
	if res, body := pageGet(t, base+"/?f=html", "Accept", "text/html"); res.StatusCode != 200 || !strings.Contains(body, "/collections") || strings.Contains(body, "coopmap-config") {
		t.Errorf("HTML landing: %d", res.StatusCode)
	}
	if res, _ := pageGet(t, base+"/assets/nope.js"); res.StatusCode != http.StatusNotFound {
		t.Errorf("missing asset: status %d", res.StatusCode)
	}
	if res, _ := pageGet(t, base+"/assets/../../static.go"); res.StatusCode != http.StatusNotFound {
		t.Errorf("asset path escape: status %d", res.StatusCode)
	}
}

// checkAssetGzip fetches the map page's script (page is its HTML) as it
// is and gzipped: the same bytes, typed by its name either way, each
// gzipped request answered from the one compressed copy.
func checkAssetGzip(t *testing.T, base, page string) {
	t.Helper()
	m := regexp.MustCompile(`src="(/assets/[^"]+\.js)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no script in the map page")
	}
	plain, body := pageGet(t, base+m[1], "Accept-Encoding", "identity")
	if plain.StatusCode != http.StatusOK || plain.Header.Get("Content-Encoding") != "" || len(body) == 0 {
		t.Fatalf("%s as it is: %d, encoding %q", m[1], plain.StatusCode, plain.Header.Get("Content-Encoding"))
	}
	for range 2 {
		res, gz := pageGet(t, base+m[1], "Accept-Encoding", "gzip")
		if res.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") ||
			!strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Accept-Encoding") {
			t.Fatalf("%s gzipped: headers %v", m[1], res.Header)
		}
		zr, err := gzip.NewReader(strings.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || string(got) != body {
			t.Fatalf("%s gzipped: %d bytes unzipped (%v), want the %d served as they are", m[1], len(got), err, len(body))
		}
	}
}
