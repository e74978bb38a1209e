package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/route"
)

// DefaultCycleLayer is the source serve shows as the cycle map layer on
// tour pages and in the planner when --cycle-layer is not given: the
// cycle infrastructure overlay demo/load.sh imports. A server without
// that source shows no cycle layer.
const DefaultCycleLayer = "london-cycle-map"

//go:embed templates/pages/tour*.html
var tourTemplateFiles embed.FS

// tourPageState is what the tour pages keep for the life of the server:
// their templates, the bundle of the tours entry (src/tours.js) and the
// planner's page (plan.html) split around its settings.
type tourPageState struct {
	tmpl   *template.Template
	script string
	styles []string
	// planHead and planTail surround the planner's settings; nil when the
	// front end was not built.
	planHead, planTail []byte
}

// newTourPages parses the templates and finds the tours entry and the
// planner in fe's build. A build without them is logged and the pages are
// served without their script (the planner says it was not built).
func newTourPages(fe *frontend, log *slog.Logger) *tourPageState {
	tp := &tourPageState{tmpl: template.Must(template.New("tours").Funcs(template.FuncMap{
		"httpURL": isHTTPURL,
		"km":      kmText,
		"ride":    rideText,
	}).ParseFS(tourTemplateFiles, "templates/pages/tour*.html"))}
	if fe.assets == nil {
		return tp
	}
	if err := tp.loadBuild(fe.assets); err != nil {
		log.Error("tour pages' script left out", "err", err)
	}
	return tp
}

// loadBuild reads the tours entry from the Vite manifest and plan.html.
func (tp *tourPageState) loadBuild(assets fs.FS) error {
	manifest, err := fs.ReadFile(assets, ".vite/manifest.json")
	if err != nil {
		return fmt.Errorf("web: frontend build has no manifest: %w", err)
	}
	var entries map[string]manifestEntry
	if err := json.Unmarshal(manifest, &entries); err != nil {
		return fmt.Errorf("web: frontend manifest: %w", err)
	}
	e, ok := entries["src/tours.js"]
	if !ok {
		return fmt.Errorf("web: frontend manifest has no src/tours.js")
	}
	tp.script = "/" + e.File
	tp.styles = entryCSS(entries, "src/tours.js", map[string]bool{})
	plan, err := fs.ReadFile(assets, "plan.html")
	if err != nil {
		return fmt.Errorf("web: frontend build has no plan.html: %w", err)
	}
	head, tail, ok := bytes.Cut(plan, []byte(configMarker))
	if !ok {
		return fmt.Errorf("web: frontend plan.html has no %s", configMarker)
	}
	tp.planHead, tp.planTail = head, tail
	return nil
}

// cycleLayer is the cycle map overlay as the tour pages and the planner
// draw it: a source served as GeoJSON by the OGC API items endpoint.
type cycleLayer struct {
	ID          string          `json:"id"`
	Title       string          `json:"title"`
	Licence     coopmap.Licence `json:"licence"`
	Attribution string          `json:"attribution"`
	// Items is the path of the source's items; the map adds bbox and
	// limit.
	Items string `json:"items"`
}

// cycleLayer returns the configured cycle layer when the store holds that
// source, else nil.
func (s *Server) cycleLayer(srcs map[string]coopmap.Source) *cycleLayer {
	src, ok := srcs[s.cfg.CycleLayer]
	if s.cfg.CycleLayer == "" || !ok || src.Kind == coopmap.KindTours {
		return nil
	}
	return &cycleLayer{ID: src.ID, Title: src.Title, Licence: src.Licence.Complete(), Attribution: src.Attribution,
		Items: "/collections/" + url.PathEscape(src.ID) + "/items"}
}

// tourPageBase is what every tour page's template needs.
type tourPageBase struct {
	Title, Description, Canonical, SiteURL string
	Script                                 string
	Styles                                 []string
}

func (s *Server) tourPageBase(r *http.Request, title, desc, path string) tourPageBase {
	base := baseURL(r)
	return tourPageBase{Title: title, Description: desc, Canonical: base + path, SiteURL: base,
		Script: s.tourPages.script, Styles: s.tourPages.styles}
}

// renderTourTemplate executes one tour template and sends the page.
func (s *Server) renderTourTemplate(w http.ResponseWriter, r *http.Request, name string, data any, modified time.Time) error {
	var b bytes.Buffer
	if err := s.tourPages.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		return fmt.Errorf("web: rendering %s: %w", name, err)
	}
	pageHeaders(w, s.pages.csp)
	w.Header().Set("Cache-Control", "no-cache")
	return writeDoc(w, r, mediaHTML+"; charset=utf-8", b.Bytes(), modified)
}

// toursPage is the data of the tours list.
type toursPage struct {
	tourPageBase
	Tours []tourSummary
}

// renderToursPage sends /tours as the list of tours.
func (s *Server) renderToursPage(w http.ResponseWriter, r *http.Request, doc tourList, modified time.Time) error {
	p := toursPage{tourPageBase: s.tourPageBase(r, "Co-op bike tours", "Bike tours that visit co-operatives, routed on OpenStreetMap, with GPX downloads and printable cue sheets.", "/tours"),
		Tours: doc.Tours}
	return s.renderTourTemplate(w, r, "tours.html", p, modified)
}

// tourPage is the data of one tour's page.
type tourPage struct {
	tourPageBase
	Tour     tourDoc
	Legs     []legRow
	Cycle    *cycleLayer
	Basemap  Basemap
	PlanLink string
	JSON     string
}

// legRow is one leg in a tour's table of legs.
type legRow struct {
	// N is the leg's number and ToN that of the stop it ends at.
	N, ToN               int
	From, To             string
	DistanceM, DurationS float64
	// AtM is the distance ridden from the start to the leg's end.
	AtM float64
}

// legRows lists the legs of doc by the names of their stops.
func legRows(doc tourDoc) []legRow {
	rows := make([]legRow, len(doc.Legs))
	var at float64
	for i, l := range doc.Legs {
		at += l.DistanceM
		rows[i] = legRow{N: i + 1, ToN: l.To, From: stopName(doc.StopList, l.From), To: stopName(doc.StopList, l.To), DistanceM: l.DistanceM, DurationS: l.DurationS, AtM: at}
	}
	return rows
}

// stopName names the stop at 1-based position n.
func stopName(stops []tourStop, n int) string {
	if n < 1 || n > len(stops) {
		return ""
	}
	if st := stops[n-1]; st.Name != "" {
		return st.Name
	}
	return fmt.Sprintf("stop %d", n)
}

// renderTourPage sends the page of one tour: its map, stops, legs,
// downloads and licences.
func (s *Server) renderTourPage(w http.ResponseWriter, r *http.Request, doc tourDoc, t coopmap.Tour) error {
	srcs, err := s.sourceMap(r.Context())
	if err != nil {
		return err
	}
	desc := doc.Description
	if desc == "" {
		desc = fmt.Sprintf("A co-op bike tour with %d stops.", len(doc.StopList))
	}
	self := "/tours/" + url.PathEscape(t.ID)
	p := tourPage{tourPageBase: s.tourPageBase(r, doc.Title, desc, self), Tour: doc, Legs: legRows(doc),
		Cycle: s.cycleLayer(srcs), Basemap: s.pages.basemap, JSON: self + ".json",
		PlanLink: "/plan?tour=" + url.QueryEscape(t.ID)}
	return s.renderTourTemplate(w, r, "tour.html", p, t.UpdatedAt)
}

// cueSheetPage is the data of a tour's printable cue sheet.
type cueSheetPage struct {
	tourPageBase
	Tour  tourDoc
	Stops []cueStop
	Legs  []cueLeg
	// Turns reports whether Legs have turn-by-turn cues; Note says why
	// not when they have none.
	Turns                bool
	Note                 string
	DistanceM, DurationS float64
	TourPage             string
}

// cueStop is one stop on the cue sheet, with how far into the ride it is.
type cueStop struct {
	tourStop
	AtM float64
}

// cueLeg is one leg of the cue sheet and its turns.
type cueLeg struct {
	legRow
	FromM float64
	Cues  []cueRow
}

// cueRow is one turn: where it is, counted from the start of the tour,
// what to do, and how far to ride after it.
type cueRow struct {
	AtM, ForM float64
	Text      string
	// Arrive marks the arrival at the leg's end, which has no distance
	// to ride after it.
	Arrive bool
}

// tourCuesPage serves /tours/{id}/cues: the printable cue sheet of a
// tour. The turns come from routing its stops again, in order, on the
// server's graph, so they follow the records' current locations; without
// a graph, or when a stop's record is gone or no longer routable, the
// sheet lists the stops and stored legs and says why it has no turns.
func (s *Server) tourCuesPage(w http.ResponseWriter, r *http.Request) error {
	t, err := s.tour(r, chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	srcs, err := s.sourceMap(r.Context())
	if err != nil {
		return err
	}
	doc := tourDocument(baseURL(r), t, srcs)
	self := "/tours/" + url.PathEscape(t.ID)
	p := cueSheetPage{tourPageBase: s.tourPageBase(r, "Cue sheet: "+doc.Title, "Turn-by-turn cue sheet of the co-op bike tour "+doc.Title+".", self+"/cues"),
		Tour: doc, TourPage: self}
	legs := legRows(doc)
	rt, why := s.rerouteTour(r, t)
	if rt != nil {
		p.Turns = true
		legs = legs[:0]
		var at float64
		for i, l := range rt.Legs {
			at += metres(l.DistanceM)
			legs = append(legs, legRow{N: i + 1, ToN: i + 2, From: stopName(doc.StopList, i+1), To: stopName(doc.StopList, i+2),
				DistanceM: metres(l.DistanceM), DurationS: metres(l.DurationS), AtM: at})
		}
	}
	p.Note = why
	var at float64
	for i, l := range legs {
		cl := cueLeg{legRow: l, FromM: at}
		if rt != nil {
			ride := at
			for _, c := range rt.Legs[i].Cues {
				row := cueRow{AtM: ride, ForM: metres(c.DistanceM), Text: c.Text}
				if c.Type == "arrive" { // the router counts stops; the sheet names them
					row = cueRow{AtM: ride, Text: fmt.Sprintf("Arrive at stop %d, %s", i+2, l.To), Arrive: true}
				}
				cl.Cues = append(cl.Cues, row)
				ride += c.DistanceM
			}
		}
		p.Legs = append(p.Legs, cl)
		at = l.AtM
		p.DurationS += l.DurationS
	}
	p.DistanceM = at
	for i, st := range doc.StopList {
		cs := cueStop{tourStop: st}
		if i > 0 && i-1 < len(legs) {
			cs.AtM = legs[i-1].AtM
		}
		p.Stops = append(p.Stops, cs)
	}
	return s.renderTourTemplate(w, r, "tour_cues.html", p, t.UpdatedAt)
}

// rerouteTour routes t's stops in order on the server's graph for their
// cues. It returns nil and the reason, for people, when it cannot.
func (s *Server) rerouteTour(r *http.Request, t coopmap.Tour) (*route.Route, string) {
	if s.cfg.Graph == nil {
		return nil, "This server has no routing graph, so the sheet lists the stops and legs without turns."
	}
	pts := make([]orb.Point, len(t.Stops))
	for i, st := range t.Stops {
		if st.Unresolved {
			return nil, fmt.Sprintf("The record of stop %d no longer exists, so the tour cannot be routed again for its turns; the legs are as stored.", i+1)
		}
		pts[i] = st.Location
	}
	rt, err := s.cfg.Graph.Plan(r.Context(), pts, route.Options{})
	if err != nil {
		s.log.WarnContext(r.Context(), "cue sheet: tour not routable", "tour", t.ID, "err", err)
		why, _ := problemFor(err)
		return nil, "The tour's stops cannot be routed on this server's graph now (" + strings.TrimSpace(why.Field+" "+why.Detail) + "), so the legs are as stored, without turns."
	}
	if len(rt.Legs) != len(t.Stops)-1 {
		return nil, "The tour could not be routed again leg by leg."
	}
	return rt, ""
}

// kmText formats a distance in metres for people: "850 m", "9.8 km".
func kmText(m float64) string {
	if m < 1000 {
		return fmt.Sprintf("%.0f m", math.Round(m/10)*10)
	}
	return fmt.Sprintf("%.1f km", m/1000)
}

// rideText formats a riding time in seconds for people: "8 min",
// "1 h 05 min".
func rideText(s float64) string {
	m := int(math.Round(s / 60))
	if m < 60 {
		return fmt.Sprintf("%d min", max(m, 1))
	}
	return fmt.Sprintf("%d h %02d min", m/60, m%60)
}

// planConfig is what the planner is told when its page loads, as JSON in
// the page.
type planConfig struct {
	Basemap Basemap `json:"basemap"`
	// Cycle is the cycle map layer; nil when the server has none.
	Cycle *cycleLayer `json:"cycle,omitempty"`
	// Routing reports whether /route works (the server has a graph);
	// Bounds is the graph's extent as [west, south, east, north].
	Routing bool        `json:"routing"`
	Bounds  *[4]float64 `json:"bounds,omitempty"`
	// Sources are the co-op and overlay sources whose records can be
	// stops: their kind says which record page a stop links to.
	Sources []mapSource `json:"sources"`
	// MaxStops and MaxExactOrder are route.MaxPoints and
	// route.MaxExactOrder.
	MaxStops      int `json:"maxStops"`
	MaxExactOrder int `json:"maxExactOrder"`
	// Save is where a saved plan goes (planSaveTarget); nil means the
	// planner shows the coopmap tour command that stores it instead.
	Save *planSave `json:"save,omitempty"`
}

// planSave is a tour write endpoint the planner can save to with a write
// token (scope tours:write): a new tour is sent with Method to URL, a
// plan that edits a tour (?tour=id) with PUT to UpdateURL, {id} replaced
// by the tour's id, and If-Match naming the version the planner read.
// Both carry an Authorization: Bearer header and the plan as JSON ({id,
// title, route: true, stops: [{feature_id} or {name, location}]}, a
// round trip repeating the first stop at the end).
type planSave struct {
	Method    string `json:"method"`
	URL       string `json:"url"`
	UpdateURL string `json:"updateUrl"`
}

// planSaveTarget is the one place that tells the planner where a
// token-authenticated save goes: the tour write API (POST /tours, PUT
// /tours/{id}; write_tours.go). A nil target would make the planner show
// only the coopmap tour create (or update) command for the plan.
func (s *Server) planSaveTarget() *planSave {
	return &planSave{Method: http.MethodPost, URL: "/tours", UpdateURL: "/tours/{id}"}
}

// planPage serves /plan, the tour planner. Its state (stops, round trip,
// title, the tour it edits) lives in the query string, which the page's
// script reads, so the server ignores it.
func (s *Server) planPage(w http.ResponseWriter, r *http.Request) error {
	tp := s.tourPages
	if tp.planHead == nil {
		pageHeaders(w, "default-src 'none'; frame-ancestors *")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, err := fmt.Fprintln(w, "The tour planner was not built into this binary: run `make build` (it runs npm in web/frontend).")
		return err
	}
	srcs, err := s.store.Sources(r.Context())
	if err != nil {
		return err
	}
	byID := make(map[string]coopmap.Source, len(srcs))
	cfg := planConfig{Basemap: s.pages.basemap, Sources: []mapSource{}, MaxStops: route.MaxPoints, MaxExactOrder: route.MaxExactOrder, Save: s.planSaveTarget()}
	for _, src := range srcs {
		byID[src.ID] = src
		if src.Kind == coopmap.KindTours {
			continue
		}
		cfg.Sources = append(cfg.Sources, mapSource{ID: src.ID, Title: src.Title, Kind: src.Kind, Count: src.FeatureCount,
			Licence: src.Licence.Complete(), Attribution: src.Attribution, Updated: src.UpdatedAt, Version: src.Version})
	}
	cfg.Cycle = s.cycleLayer(byID)
	if g := s.cfg.Graph; g != nil {
		b := g.Bounds()
		cfg.Routing, cfg.Bounds = true, &[4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	}
	js, err := json.Marshal(cfg) // escapes <, > and &: the settings cannot end their script element
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.Write(tp.planHead)
	b.WriteString(`<script type="application/json" id="coopmap-config">`)
	b.Write(js)
	b.WriteString(`</script>`)
	b.Write(tp.planTail)
	pageHeaders(w, s.pages.csp)
	w.Header().Set("Cache-Control", "no-cache")
	return writeDoc(w, r, mediaHTML+"; charset=utf-8", b.Bytes(), time.Time{})
}

// tourTitleSlug turns a title into a file name for a download: lower-case
// letters and digits joined by hyphens, at most 64 bytes; "tour" when
// nothing is left.
func tourTitleSlug(title string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(title) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			dash = false
		default:
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	if b.Len() == 0 {
		return "tour"
	}
	return b.String()
}

// tourNotFound makes /tours/{id} answer a browser asking for a missing
// tour with the record pages' HTML 404 (htmlNotFound); the files
// (/tours/{id}.json, .gpx) and ?f=json keep the problem document.
func (s *Server) tourNotFound(h handlerFunc) handlerFunc {
	page := s.htmlNotFound(h)
	return func(w http.ResponseWriter, r *http.Request) error {
		if strings.Contains(chi.URLParam(r, "file"), ".") || r.URL.Query().Get("f") == "json" {
			return h(w, r)
		}
		return page(w, r)
	}
}
