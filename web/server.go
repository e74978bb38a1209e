package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/coopmap/coopmap"
)

// Config holds the server's settings; cmd/coopmap fills it from flags and
// the environment.
type Config struct {
	// ReadyTimeout bounds the store check behind /readyz.
	ReadyTimeout time.Duration
}

// Server serves coopmap over HTTP from a store.
type Server struct {
	store coopmap.Store
	log   *slog.Logger
	cfg   Config
}

// New returns a server reading from store and logging to log. Zero config
// fields take defaults.
func New(store coopmap.Store, log *slog.Logger, cfg Config) *Server {
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 2 * time.Second
	}
	return &Server{store: store, log: log, cfg: cfg}
}

// handlerFunc is an HTTP handler that returns its error instead of writing
// it, so every error goes through the one table in errors.go.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc to http.Handler.
func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			return // the client went away; nobody to answer
		}
		p, internal := problemFor(err)
		if internal {
			s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		writeProblem(w, p)
	}
}

// healthz answers while the process is alive.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the store can serve, and 503 with the reason when
// it cannot (unreachable, or an outdated schema).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadyTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		writeProblem(w, Problem{Type: "https://coopmap.org/problems/not-ready", Title: "Not ready", Status: http.StatusServiceUnavailable, Detail: "store unavailable: " + err.Error()})
		return nil
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// debugStack is runtime/debug.Stack, named here so routes.go stays a list
// of routes.
func debugStack() []byte { return debug.Stack() }
