package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/coopmap/coopmap/web"
)

// serve parses the serve flags and runs the server until ctx ends.
func serve(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	var c Config
	fs := newFlagSet("serve", stderr, getenv, &c)
	fs.StringVar(&c.Addr, "addr", envOr(getenv, "COOPMAP_ADDR", "127.0.0.1:8080"), "listen address (env COOPMAP_ADDR)")
	fs.BoolVar(&c.Migrate, "migrate", envBool(getenv, "COOPMAP_MIGRATE"), "bring an outdated PostGIS schema up to date instead of refusing to start (env COOPMAP_MIGRATE)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", envDuration(getenv, "COOPMAP_SHUTDOWN_TIMEOUT", 30*time.Second), "how long in-flight requests get to finish on SIGTERM/SIGINT (env COOPMAP_SHUTDOWN_TIMEOUT)")
	if err := parse(fs, args); err != nil {
		return err
	}
	log, err := newLogger(stderr, c.LogFormat, c.LogLevel)
	if err != nil {
		return err
	}
	return serveWith(ctx, c, log, nil)
}

// serveWith opens the store and serves until ctx ends, then shuts down
// gracefully: the listener closes at once and in-flight requests get
// c.ShutdownTimeout to finish. onListen, if set, learns the bound address.
func serveWith(ctx context.Context, c Config, log *slog.Logger, onListen func(net.Addr)) error {
	store, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer store.Close()

	srv := &http.Server{
		Handler:           web.New(store, log, web.Config{}).Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("serving", "addr", "http://"+ln.Addr().String(), "db", redact(c.DB))
	if onListen != nil {
		onListen(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", c.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}
