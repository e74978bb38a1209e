package postgis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/postgis"
	"github.com/coopmap/coopmap/store/postgis/postgistest"
)

// TestUnavailable checks which driver errors mean "the database is not
// there" (a 503 for the client) and which are the query's own (logged as
// internal), on real failures.
func TestUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	down, err := postgis.Open(ctx, "postgres://coopmap@127.0.0.1:1/coopmap?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	_, err = down.Sources(ctx)
	if err == nil {
		t.Fatal("Sources on a database that is down succeeded")
	}
	if got := postgis.Unavailable(err); coopmap.ErrorCode(got) != coopmap.CodeUnavailable {
		t.Errorf("connection refused: %v; want CodeUnavailable", got)
	}

	dsn := postgistest.Schema(t)
	st, err := postgis.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// A connection the server ends (as on a restart: SQLSTATE 57P01).
	err = postgis.ExecForTest(ctx, st, "SELECT pg_terminate_backend(pg_backend_pid())")
	if err == nil {
		t.Fatal("a terminated backend reported no error")
	}
	if got := postgis.Unavailable(err); coopmap.ErrorCode(got) != coopmap.CodeUnavailable {
		t.Errorf("terminated connection (%v): %v; want CodeUnavailable", err, got)
	}
	// The query's own errors stay internal.
	err = postgis.ExecForTest(ctx, st, "SELECT * FROM no_such_table")
	if got := postgis.Unavailable(err); err == nil || coopmap.ErrorCode(got) != "" {
		t.Errorf("undefined table: %v; want an internal error", got)
	}
	// A caller's deadline is the caller's, not the database's.
	dctx, dcancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer dcancel()
	err = postgis.ExecForTest(dctx, st, "SELECT pg_sleep(5)")
	if got := postgis.Unavailable(err); err == nil || coopmap.ErrorCode(got) != "" || !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("deadline: %v; want DeadlineExceeded, not CodeUnavailable", got)
	}
	if postgis.Unavailable(nil) != nil {
		t.Error("Unavailable(nil) != nil")
	}
}
