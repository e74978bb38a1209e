package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// Handler returns the router with every route coopmap serves.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	r.Use(s.realIP)           // the client's address, from X-Forwarded-For only behind a trusted proxy
	r.Use(s.limitBody)        // the body cap; first, as it needs net/http's own ResponseWriter
	r.Use(middleware.GetHead) // HEAD is answered by the GET handler, without a body
	r.Use(s.observe)          // the log line and metrics of each request, by route pattern
	r.Use(s.recoverPanics)
	r.Use(securityHeaders) // nosniff, Referrer-Policy, a deny-all CSP that pages replace
	r.Use(s.shed)          // 503 + Retry-After beyond Limits.MaxInflight requests at once
	r.Use(s.deadline)      // each request's context deadline (longer for downloads)
	r.Use(s.corsPolicy)    // reads from any origin; writes only from Config.CORSWriteOrigins
	r.Use(s.mapAtRoot)     // a browser asking for / gets the web map; the OGC landing page stays at /?f=html

	r.Get("/healthz", s.handle(s.healthz))
	r.Get("/readyz", s.handle(s.readyz))
	r.Method(http.MethodGet, "/metrics", s.metricsHandler()) // Prometheus text format

	r.Get("/tiles/{file}", s.handle(s.tileJSONHandler))
	r.With(s.guards.tile).Get("/tiles/{collection}/{z}/{x}/{file}", s.handle(s.tileHandler))
	r.Group(func(r chi.Router) {
		r.Use(s.guards.download)
		s.downloadRoutes(r)
	})

	s.ogcRoutes(r)   // OGC API – Features: /, /conformance, /api, /collections/…
	s.writeRoutes(r) // the write API: edits, history, suggestions, uploads, tours (write.go)
	// a source's metadata history and revert (source_history.go)
	s.sourceHistoryRoutes(r)

	r.With(s.guards.search).Get("/search", s.handle(s.searchHandler))
	r.With(s.guards.search).Get("/nearest", s.handle(s.nearestHandler))
	r.With(s.guards.route).Get("/route", s.handle(s.routeTimer(s.routeHandler)))
	r.With(s.guards.route).Get("/route.gpx", s.handle(s.routeTimer(s.routeGPXHandler))) // a planned tour as GPX, for the planner
	s.tourRoutes(r)                                                                     // /tours, /tours/{id}, /tours/{id}.gpx, /tours/{id}/cues, /plan

	s.pageRoutes(r) // the web map's assets and data, /coops/{id}, /features/{collection}/{id}

	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, Problem{Type: "about:blank", Title: "Not found", Status: http.StatusNotFound, Detail: "no such path: " + r.URL.Path})
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, Problem{Type: "about:blank", Title: "Method not allowed", Status: http.StatusMethodNotAllowed, Detail: r.Method + " is not allowed on " + r.URL.Path})
	})
	return r
}
