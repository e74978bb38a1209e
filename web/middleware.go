package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"

	"github.com/coopmap/coopmap"
)

// Operational limits (documented in README.md, "Configuration"). The
// middleware here runs around every route; routes.go lists the order.

// DefaultMaxBodyBytes caps a request body when Limits.MaxBodyBytes is 0,
// on routes that do not raise it with allowBody.
const DefaultMaxBodyBytes = 64 << 10

// Limits protect the server from overload and from slow or greedy
// clients. Zero fields are off, except MaxBodyBytes; cmd/coopmap sets
// every one from its flags.
type Limits struct {
	// RequestTimeout is the deadline of a request's context: the store
	// queries behind it are cancelled when it passes, and the answer is a
	// 503 problem. Downloads get DownloadTimeout instead.
	RequestTimeout time.Duration
	// DownloadTimeout is the deadline of a download's or an upload's
	// context (isLong); its read and write deadlines are set to it too, as
	// http.Server's ReadTimeout and WriteTimeout would otherwise cut it
	// off (downloads then push the write deadline on as the client keeps
	// reading).
	DownloadTimeout time.Duration
	// MaxInflight caps the requests served at once. One more is answered
	// at once with 503 and Retry-After rather than queued; /healthz,
	// /readyz and /metrics are never shed.
	MaxInflight int
	// MaxBodyBytes caps a request body (0: DefaultMaxBodyBytes) on every
	// route; the routes that take larger bodies (the write API, uploads)
	// raise it with allowBody. Reading more fails with
	// *http.MaxBytesError.
	MaxBodyBytes int64
	// SearchRate, RouteRate, DownloadRate and TileRate cap the requests
	// one client address may make per minute to /search and /nearest, to
	// /route, to downloads and to vector tiles; one more is answered 429
	// with Retry-After.
	SearchRate, RouteRate, DownloadRate, TileRate int
}

// guards holds the server's load-shedding state, shared by every
// Handler the server makes.
type guards struct {
	inflight chan struct{} // nil: no limit
	// Rate limiters by class; nil: no limit.
	search, route, download, tile func(http.Handler) http.Handler
}

// rateWindow is the rate limiters' window: rates are per minute.
const rateWindow = time.Minute

// newGuards returns the guards for lim, counting what they shed in m.
func newGuards(lim Limits, m *metrics) *guards {
	g := &guards{}
	if lim.MaxInflight > 0 {
		g.inflight = make(chan struct{}, lim.MaxInflight)
	}
	g.search = rateLimiter("search", "/search and /nearest", lim.SearchRate, m)
	g.route = rateLimiter("route", "/route", lim.RouteRate, m)
	g.download = rateLimiter("download", "downloads", lim.DownloadRate, m)
	g.tile = rateLimiter("tile", "vector tiles", lim.TileRate, m)
	return g
}

// rateLimiter returns middleware allowing each client address perMinute
// requests a minute (a sliding window), or a pass-through when perMinute
// is 0. what names the endpoints in the 429 problem.
func rateLimiter(class, what string, perMinute int, m *metrics) func(http.Handler) http.Handler {
	if perMinute <= 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	limited := func(w http.ResponseWriter, r *http.Request) {
		m.shed.WithLabelValues("rate_" + class).Inc()
		// httprate has set Retry-After (the window) and X-RateLimit-*.
		writeProblem(w, Problem{Type: "https://coopmap.org/problems/rate-limited", Title: "Too many requests", Status: http.StatusTooManyRequests,
			Detail: fmt.Sprintf("more than %d requests a minute to %s from one address; try again later", perMinute, what)})
	}
	return httprate.Limit(perMinute, rateWindow, httprate.WithKeyFuncs(clientKey), httprate.WithLimitHandler(limited))
}

// clientKey is the rate limiters' key: the client's address (after
// middleware.RealIP), an IPv6 address cut to its /64.
func clientKey(r *http.Request) (string, error) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return httprate.CanonicalizeIP(host), nil
}

// unshed reports whether a request is exempt from load shedding: the
// probes and metrics, which must answer most when the server is busiest.
func unshed(r *http.Request) bool {
	switch r.URL.Path {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}

// shed answers 503 with Retry-After at once when Limits.MaxInflight
// requests are already being served, instead of queueing without bound.
func (s *Server) shed(next http.Handler) http.Handler {
	if s.guards.inflight == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if unshed(r) {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case s.guards.inflight <- struct{}{}:
			defer func() { <-s.guards.inflight }()
			next.ServeHTTP(w, r)
		default:
			s.metrics.shed.WithLabelValues("max_inflight").Inc()
			w.Header().Set("Retry-After", "1")
			writeProblem(w, Problem{Type: "https://coopmap.org/problems/busy", Title: "Busy", Status: http.StatusServiceUnavailable,
				Detail: fmt.Sprintf("the server is answering %d requests at once, its limit; try again in a moment", cap(s.guards.inflight))})
		}
	})
}

// isLong reports whether r may rightly take minutes: a download, which
// streams for as long as the collection takes
// (/collections/{collection}/download), or a file upload to re-import a
// collection (/collections/{collection}/import).
func isLong(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, "/collections/") && strings.Count(p, "/") == 3 &&
		(strings.HasSuffix(p, "/download") || strings.HasSuffix(p, "/import"))
}

// deadline gives a request's context its deadline: Limits.RequestTimeout,
// or Limits.DownloadTimeout for a long request (isLong), whose read and
// write deadlines it also moves past the server's ReadTimeout and
// WriteTimeout.
func (s *Server) deadline(next http.Handler) http.Handler {
	lim := s.cfg.Limits
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := lim.RequestTimeout
		if isLong(r) {
			d = lim.DownloadTimeout
			if d > 0 {
				// An error means the writer cannot have deadlines
				// (a test recorder); the context still bounds it.
				rc := http.NewResponseController(w)
				_ = rc.SetReadDeadline(time.Now().Add(d))
				_ = rc.SetWriteDeadline(time.Now().Add(d))
			}
		}
		if d <= 0 {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// limitBody caps every request body at Limits.MaxBodyBytes. It wraps the
// server's own ResponseWriter, so it must run before any middleware wraps
// that: http.MaxBytesReader then also closes the connection after the
// answer, rather than reading the rest of an oversized body.
func (s *Server) limitBody(next http.Handler) http.Handler {
	limit := s.cfg.Limits.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			b := &lazyLimit{w: w, body: r.Body, limit: limit}
			r.Body = b
			r = r.WithContext(context.WithValue(r.Context(), bodyLimitKey{}, b))
		}
		next.ServeHTTP(w, r)
	})
}

// bodyLimitKey is the context key of a request's *lazyLimit.
type bodyLimitKey struct{}

// lazyLimit is a request body whose http.MaxBytesReader is made at the
// first Read, so a route can raise the limit (allowBody) before reading.
type lazyLimit struct {
	w     http.ResponseWriter
	body  io.ReadCloser
	limit int64
	r     io.ReadCloser
}

func (l *lazyLimit) Read(p []byte) (int, error) {
	if l.r == nil {
		l.r = http.MaxBytesReader(l.w, l.body, l.limit)
	}
	return l.r.Read(p)
}

func (l *lazyLimit) Close() error { return l.body.Close() }

// allowBody returns middleware that lets a route's handlers read bodies of
// up to n bytes (the write API, uploads) instead of Limits.MaxBodyBytes;
// the handlers may cap them lower themselves.
func allowBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if b, ok := r.Context().Value(bodyLimitKey{}).(*lazyLimit); ok && b.r == nil {
				b.limit = n
			}
			next.ServeHTTP(w, r)
		})
	}
}

// securityHeaders sets the headers every response carries: no MIME
// sniffing, no full URLs in Referer, and a Content-Security-Policy that
// allows nothing. HTML pages replace the policy with their own
// (htmlHeaders, pageHeaders), so a page that forgets to stays inert.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}

// ValidateFrameAncestors checks a Content-Security-Policy frame-ancestors
// source list (Config.FrameAncestors): space-separated *, 'self', 'none',
// a scheme (https:) or a host source (https://example.org,
// *.example.org). The error is CodeInvalid naming frame_ancestors; it
// keeps anything that could end the directive out of the header.
func ValidateFrameAncestors(list string) error {
	srcs := strings.Fields(list)
	if len(srcs) == 0 {
		return coopmap.Invalidf("frame_ancestors", "is empty; use * (any site), 'none', or the sites that may embed the map")
	}
	for _, src := range srcs {
		switch {
		case src == "*" || src == "'self'" || src == "'none'":
			if src == "'none'" && len(srcs) > 1 {
				return coopmap.Invalidf("frame_ancestors", "'none' cannot be combined with other sources")
			}
		case strings.ContainsAny(src, ";,'\"\\<>") || !printableASCII(src):
			return coopmap.Invalidf("frame_ancestors", "%q is not a CSP source", clipParam(src))
		}
	}
	return nil
}

// printableASCII reports whether s is visible ASCII only.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// observe logs one line per request and records its metrics: the route
// pattern (not the path, so the metrics stay bounded), status, bytes and
// duration. Query strings are never logged (they may carry tokens or
// what someone searched for), nor headers; the client's address only with
// Config.LogClientAddr.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inflight.Inc()
		defer s.metrics.inflight.Dec()
		id := middleware.GetReqID(r.Context())
		if id != "" {
			w.Header().Set("X-Request-Id", id)
		}
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		defer func() {
			// Also when a download is aborted by panicking with
			// http.ErrAbortHandler, which recoverPanics passes on.
			d := time.Since(start)
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK // nothing written: net/http sends 200
			}
			route := routePattern(r)
			s.metrics.request(r.Method, route, status, ww.BytesWritten(), d)
			attrs := []slog.Attr{
				slog.String("method", r.Method), slog.String("route", route), slog.String("path", r.URL.Path),
				slog.Int("status", status), slog.Int("bytes", ww.BytesWritten()),
				slog.Float64("duration_ms", float64(d.Microseconds())/1000), slog.String("request_id", id),
			}
			if s.cfg.LogClientAddr {
				attrs = append(attrs, slog.String("client", r.RemoteAddr))
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
		}()
		next.ServeHTTP(ww, r)
	})
}

// routePattern is the chi route a request matched, such as
// /collections/{collection}/items/{id}: "/" for the map at the root
// (served before routing) and "unmatched" for a 404 or 405.
func routePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	if r.URL.Path == "/" {
		return "/"
	}
	return "unmatched"
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

// routeTimer wraps the handler of a route computation (/route,
// /route.gpx) to count and time it by outcome: ok, or the error's code.
func (s *Server) routeTimer(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		start := time.Now()
		err := h(w, r)
		outcome := "ok"
		if err != nil {
			outcome = string(coopmap.ErrorCode(err))
			if outcome == "" {
				outcome = "error"
			}
		}
		s.metrics.routeDone(outcome, time.Since(start))
		return err
	}
}
