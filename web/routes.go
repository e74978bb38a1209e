package web

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// Handler returns the router with every route coopmap serves.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	r.Use(middleware.RealIP)
	r.Use(s.logRequests)
	r.Use(s.recoverPanics)
	r.Use(readOnlyCORS)
	r.Use(s.mapAtRoot) // a browser asking for / gets the web map; the OGC landing page stays at /?f=html

	r.Get("/healthz", s.handle(s.healthz))
	r.Get("/readyz", s.handle(s.readyz))

	r.Get("/tiles/{file}", s.handle(s.tileJSONHandler))
	r.Get("/tiles/{collection}/{z}/{x}/{file}", s.handle(s.tileHandler))
	s.downloadRoutes(r)

	s.ogcRoutes(r) // OGC API – Features: /, /conformance, /api, /collections/…

	r.Get("/search", s.handle(s.searchHandler))
	r.Get("/nearest", s.handle(s.nearestHandler))
	r.Get("/route", s.handle(s.routeHandler))
	s.tourRoutes(r) // /tours, /tours/{id}, /tours/{id}.gpx

	s.pageRoutes(r) // the web map's assets and data, /coops/{id}, /features/{collection}/{id}

	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, Problem{Type: "about:blank", Title: "Not found", Status: http.StatusNotFound, Detail: "no such path: " + r.URL.Path})
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, Problem{Type: "about:blank", Title: "Method not allowed", Status: http.StatusMethodNotAllowed, Detail: r.Method + " is not allowed on " + r.URL.Path})
	})
	return r
}

// logRequests logs one structured line per request.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		start := time.Now()
		next.ServeHTTP(ww, r)
		s.log.InfoContext(r.Context(), "request",
			"method", r.Method, "path", r.URL.Path, "status", ww.Status(), "bytes", ww.BytesWritten(),
			"duration_ms", float64(time.Since(start).Microseconds())/1000, "request_id", middleware.GetReqID(r.Context()))
	})
}

// recoverPanics turns a panic in a handler into a logged 500 problem
// instead of a dropped connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debugStack()))
				writeProblem(w, Problem{Type: "about:blank", Title: "Internal Server Error", Status: http.StatusInternalServerError, Detail: "something went wrong on our side; it has been logged"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}
