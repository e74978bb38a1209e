package web

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/coopmap/coopmap"
)

// frontendFiles is the web map as Vite builds it into frontend/dist/app
// (make build runs npm). The committed frontend/dist/README.md keeps the
// pattern valid before npm has run; the server then says the map is not
// built instead of serving it.
//
//go:embed all:frontend/dist
var frontendFiles embed.FS

// The default basemap: OpenStreetMap's standard raster tiles, used under
// the OSMF tile usage policy with its attribution.
const (
	DefaultBasemapURL            = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
	DefaultBasemapAttribution    = "© OpenStreetMap contributors"
	DefaultBasemapAttributionURL = "https://www.openstreetmap.org/copyright"
	DefaultBasemapMaxZoom        = 19
)

// Basemap is the raster tile layer under the web map. Attribution is
// plain text (never HTML), shown as a link to AttributionURL when set.
type Basemap struct {
	// URL is a Leaflet tile URL template with {z}, {x}, {y} and
	// optionally {s} (subdomains a, b, c) and {r} (retina suffix). It must
	// be https or http; an empty URL turns the basemap off.
	URL            string `json:"url"`
	Attribution    string `json:"attribution"`
	AttributionURL string `json:"attributionUrl,omitempty"`
	// MaxZoom is the highest zoom the tile server has (1–22).
	MaxZoom int `json:"maxZoom"`
}

// withDefaults fills unset fields with the OpenStreetMap defaults.
func (b Basemap) withDefaults() Basemap {
	if b.URL == "" && b.Attribution == "" {
		b.URL, b.Attribution, b.AttributionURL = DefaultBasemapURL, DefaultBasemapAttribution, DefaultBasemapAttributionURL
	}
	if b.MaxZoom == 0 {
		b.MaxZoom = DefaultBasemapMaxZoom
	}
	return b
}

// Validate checks a basemap setting: an http(s) tile URL template with
// {z}, {x} and {y}, an http(s) attribution link, and a zoom in 1–22.
// The error is CodeInvalid naming the field (basemap.url, …).
func (b Basemap) Validate() error {
	if b.URL != "" {
		if _, err := tileOrigin(b.URL); err != nil {
			return coopmap.Invalidf("basemap.url", "%v", err)
		}
		for _, p := range []string{"{z}", "{x}", "{y}"} {
			if !strings.Contains(b.URL, p) {
				return coopmap.Invalidf("basemap.url", "the tile URL template has no %s", p)
			}
		}
	}
	if b.AttributionURL != "" && !isHTTPURL(b.AttributionURL) {
		return coopmap.Invalidf("basemap.attribution_url", "%q is not an http or https URL", clipParam(b.AttributionURL))
	}
	if b.MaxZoom < 1 || b.MaxZoom > 22 {
		return coopmap.Invalidf("basemap.max_zoom", "%d is outside 1–22", b.MaxZoom)
	}
	return nil
}

// tileOrigin returns the CSP source that covers a tile URL template:
// scheme and host, with a {s} subdomain as a wildcard.
func tileOrigin(template string) (string, error) {
	t := strings.NewReplacer("{s}", "s", "{z}", "0", "{x}", "0", "{y}", "0", "{r}", "").Replace(template)
	u, err := url.Parse(t)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http or https URL template", clipParam(template))
	}
	host := u.Host
	if strings.HasPrefix(template, u.Scheme+"://{s}.") {
		host = "*." + strings.TrimPrefix(host, "s.")
	}
	return u.Scheme + "://" + host, nil
}

// isHTTPURL reports whether s is an absolute http or https URL.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// frontend is the built web map: its assets, its index page split around
// the place where the server puts the map's settings, and the Vite
// manifest entry of the record pages' script.
type frontend struct {
	assets fs.FS // nil when the front end was not built
	// indexHead and indexTail surround the settings in index.html.
	indexHead, indexTail []byte
	// recordJS and recordCSS are the record page's bundle, by URL path.
	recordJS  string
	recordCSS []string
	built     time.Time
	// gz holds the assets gzipped, each made on its first request.
	gz *gzAssets
}

// gzAssets are the build's text assets gzipped at the best level, each
// once: they never change while the server runs, so no request pays for
// compressing them again.
type gzAssets struct {
	mu    sync.Mutex
	files map[string][]byte // by asset name
}

// compressible tells whether an asset is served gzipped: text, not images.
func compressible(name string) bool {
	switch path.Ext(name) {
	case ".js", ".css", ".svg":
		return true
	}
	return false
}

// get returns body, the asset named name, gzipped.
func (g *gzAssets) get(name string, body []byte) []byte {
	g.mu.Lock()
	gz, ok := g.files[name]
	g.mu.Unlock()
	if ok {
		return gz
	}
	gz = gzipAt(body, gzip.BestCompression)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.files[name] = gz
	return gz
}

// configMarker is where index.html takes the map's settings.
const configMarker = "<!--coopmap-config-->"

// loadFrontend reads the embedded build. A missing build is not an error:
// the server runs without the map and says so at /.
func loadFrontend(files fs.FS) (*frontend, error) {
	app, err := fs.Sub(files, "frontend/dist/app")
	if err != nil {
		return nil, err
	}
	index, err := fs.ReadFile(app, "index.html")
	if err != nil {
		return &frontend{}, nil // not built
	}
	head, tail, ok := bytes.Cut(index, []byte(configMarker))
	if !ok {
		return nil, fmt.Errorf("web: frontend index.html has no %s", configMarker)
	}
	fe := &frontend{assets: app, indexHead: head, indexTail: tail, built: time.Now().UTC().Truncate(time.Second),
		gz: &gzAssets{files: map[string][]byte{}}}
	manifest, err := fs.ReadFile(app, ".vite/manifest.json")
	if err != nil {
		return nil, fmt.Errorf("web: frontend build has no manifest: %w", err)
	}
	var entries map[string]manifestEntry
	if err := json.Unmarshal(manifest, &entries); err != nil {
		return nil, fmt.Errorf("web: frontend manifest: %w", err)
	}
	rec, ok := entries["src/record.js"]
	if !ok {
		return nil, fmt.Errorf("web: frontend manifest has no src/record.js")
	}
	fe.recordJS = "/" + rec.File
	fe.recordCSS = entryCSS(entries, "src/record.js", map[string]bool{})
	return fe, nil
}

// manifestEntry is one chunk in Vite's manifest.
type manifestEntry struct {
	File    string   `json:"file"`
	CSS     []string `json:"css"`
	Imports []string `json:"imports"`
}

// entryCSS returns the style sheets a chunk needs: its own and those of
// the chunks it imports (Vite puts shared CSS with the shared chunk).
func entryCSS(entries map[string]manifestEntry, key string, seen map[string]bool) []string {
	if seen[key] {
		return nil
	}
	seen[key] = true
	e := entries[key]
	var css []string
	for _, imp := range e.Imports {
		css = append(css, entryCSS(entries, imp, seen)...)
	}
	for _, c := range e.CSS {
		css = append(css, "/"+c)
	}
	return css
}

// mapConfig is what the map app is told when its page loads, as JSON in
// the page: the basemap, the sources with their provenance, the download
// formats and the vector tiles' zooms.
type mapConfig struct {
	Basemap Basemap     `json:"basemap"`
	Sources []mapSource `json:"sources"`
	Formats []string    `json:"formats"`
	Tiles   mapTiles    `json:"tiles"`
}

// mapTiles is what the map needs to know of the server's vector tiles to
// draw a large collection from them (web/frontend/src/tiles.js): MaxZoom
// is the highest zoom served (--tile-max-zoom), which the map fetches up
// to and magnifies above; below ClusterBelow every point is clustered.
type mapTiles struct {
	MaxZoom      int `json:"maxZoom"`
	ClusterBelow int `json:"clusterBelow"`
}

// mapSource is a source as the map knows it.
type mapSource struct {
	ID          string          `json:"id"`
	Title       string          `json:"title"`
	Kind        coopmap.Kind    `json:"kind"`
	Count       int             `json:"count"`
	Licence     coopmap.Licence `json:"licence"`
	Attribution string          `json:"attribution"`
	Updated     time.Time       `json:"updated,omitzero"`
	Version     int64           `json:"version"`
}

// staticRoutes registers the map app's assets. The app itself is served
// at / by mapAtRoot.
func (s *Server) staticRoutes(r chi.Router) {
	r.Get("/assets/*", s.handle(s.asset))
}

// mapAtRoot serves the map app to a browser asking for / (an HTML Accept
// header and no f parameter); any other request for / goes on to the OGC
// API landing page, which stays at /?f=html and /?f=json.
func (s *Server) mapAtRoot(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) && !r.URL.Query().Has("f") {
			if f, err := negotiate(r, formatJSON, formatHTML); err == nil && f == formatHTML {
				middleware.Compress(5, mediaHTML)(s.handle(s.mapApp)).ServeHTTP(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// appCSP is the map app's Content-Security-Policy: scripts and styles
// only from this server (no inline code, no eval), images also from the
// basemap's tile server, and embedding by the frameAncestors sources
// ("": any site, *).
func appCSP(tiles, frameAncestors string) string {
	if frameAncestors == "" {
		frameAncestors = "*"
	}
	// data: is Leaflet's blank image for tiles it drops.
	img := "img-src 'self' data:"
	if tiles != "" {
		img += " " + tiles
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; " + img +
		"; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors " + frameAncestors
}

// pageHeaders sets the headers every page of the map app has.
func pageHeaders(w http.ResponseWriter, csp string) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
}

// mapApp serves the map's page with its settings.
func (s *Server) mapApp(w http.ResponseWriter, r *http.Request) error {
	fe := s.pages.frontend
	if fe.assets == nil {
		pageHeaders(w, "default-src 'none'; frame-ancestors *")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, err := fmt.Fprintln(w, "The web map was not built into this binary: run `make build` (it runs npm in web/frontend). The API is at /?f=html.")
		return err
	}
	srcs, err := s.store.Sources(r.Context())
	if err != nil {
		return err
	}
	opts := s.tiles.render.Options()
	cfg := mapConfig{Basemap: s.pages.basemap, Sources: []mapSource{}, Tiles: mapTiles{MaxZoom: opts.MaxZoom, ClusterBelow: opts.ClusterBelow}}
	for _, src := range srcs {
		if src.Kind == coopmap.KindTours {
			continue
		}
		cfg.Sources = append(cfg.Sources, mapSource{ID: src.ID, Title: src.Title, Kind: src.Kind, Count: src.FeatureCount,
			Licence: src.Licence.Complete(), Attribution: src.Attribution, Updated: src.UpdatedAt, Version: src.Version})
	}
	for _, f := range s.downloads.formats {
		cfg.Formats = append(cfg.Formats, f.Name)
	}
	// encoding/json escapes <, > and & so the settings cannot end the
	// script element they sit in.
	js, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.Write(fe.indexHead)
	b.WriteString(`<script type="application/json" id="coopmap-config">`)
	b.Write(js)
	b.WriteString(`</script>`)
	// The co-ops the map draws first start loading with the page, not
	// after its script has run: positions, then labels. Source ids are slugs: safe in a URL and
	// an attribute.
	wanted := r.URL.Query()["source"]
	for _, src := range cfg.Sources {
		if src.Kind == coopmap.KindCoops && (len(wanted) == 0 || slices.Contains(wanted, src.ID)) && src.Count <= maxMapPoints {
			for _, part := range []string{partPositions, partLabels} {
				fmt.Fprintf(&b, `<link rel="preload" href="/map/points/%s/%s" as="fetch" crossorigin="anonymous">`, src.ID, part)
			}
		}
	}
	b.Write(fe.indexTail)
	pageHeaders(w, s.pages.csp)
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Cache-Control", "no-cache")
	return writeDoc(w, r, mediaHTML+"; charset=utf-8", b.Bytes(), time.Time{})
}

// asset serves one file of the build. Vite names them by content hash, so
// they are cached for a year. Text is sent gzipped to clients that take it,
// compressed once (gzAssets).
func (s *Server) asset(w http.ResponseWriter, r *http.Request) error {
	fe := s.pages.frontend
	name := path.Clean("assets/" + chi.URLParam(r, "*"))
	if fe.assets == nil || !strings.HasPrefix(name, "assets/") {
		return coopmap.NotFoundf("no such asset")
	}
	body, err := fs.ReadFile(fe.assets, name)
	if err != nil {
		return coopmap.NotFoundf("no such asset: %s", clipParam(name))
	}
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	if compressible(name) {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			// ServeContent still takes the Content-Type from the name.
			h.Set("Content-Encoding", "gzip")
			body = fe.gz.get(name, body)
		}
	}
	http.ServeContent(w, r, name, fe.built, bytes.NewReader(body))
	return nil
}
