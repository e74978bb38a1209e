package postgis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/coopmap/coopmap"
)

// errDatabaseUnavailable is what a caller is told when the database cannot
// be reached, is starting or shutting down, or dropped the connection: the
// web layer answers it with 503 and Retry-After, so clients retry instead
// of treating it as a bug.
var errDatabaseUnavailable = coopmap.Errorf(coopmap.CodeUnavailable,
	"the database is unavailable (restarting or unreachable); try again shortly")

// unavailable returns err marked with coopmap.CodeUnavailable when it means
// the database could not be used at all, rather than that this query was
// wrong; other errors come back as they are. The driver's error stays in
// the chain for the log.
func unavailable(err error) error {
	if err == nil || errors.Is(err, coopmap.ErrUnavailable) || !connectionFailure(err) {
		return err
	}
	return fmt.Errorf("%w: %w", errDatabaseUnavailable, err)
}

// connectionFailure reports whether err says the connection to the
// database failed or went away, as opposed to an error in a statement.
func connectionFailure(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // the caller gave up; a deadline is no news about the database
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true // could not connect: refused, DNS, authentication while starting up
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"): // connection_exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
			return true
		case pe.Code == "53300": // too_many_connections
			return true
		}
		return false
	}
	if pgconn.SafeToRetry(err) {
		return true // failed before anything reached the server (a closed connection)
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}
