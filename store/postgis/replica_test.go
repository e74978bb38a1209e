package postgis_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"

	"github.com/coopmap/coopmap"
	"github.com/coopmap/coopmap/store/postgis"
	"github.com/coopmap/coopmap/store/postgis/postgistest"
	"github.com/coopmap/coopmap/store/storetest"
)

// openMigrated opens dsn with opts, migrated, closed when tb ends.
func openMigrated(tb testing.TB, dsn string, opts postgis.Options) *postgis.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := postgis.OpenWith(ctx, dsn, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestReplicatedContract runs the contract suite on a Replicated whose
// "replica" is a second pool on the primary's own schema: with no lag,
// it must behave exactly like one store.
func TestReplicatedContract(t *testing.T) {
	postgistest.DSN(t)
	storetest.Run(t, func(tb testing.TB) coopmap.Store {
		dsn := postgistest.Schema(tb)
		primary := openMigrated(tb, dsn, postgis.Options{})
		replica := openMigrated(tb, dsn, postgis.Options{})
		return postgis.NewReplicated(primary, replica)
	})
}

// TestReplicatedRoutes uses two databases (two schemas on one server,
// two connection strings) that do not replicate, so where each call went
// shows: writes land in the primary, reads come from the replica, and the
// methods Replicated does not list (a write API's, say) go to the primary.
func TestReplicatedRoutes(t *testing.T) {
	ctx := context.Background()
	primary := openMigrated(t, postgistest.Schema(t), postgis.Options{})
	replica := openMigrated(t, postgistest.Schema(t), postgis.Options{})
	r := postgis.NewReplicated(primary, replica)

	src := coopmap.Source{ID: "p", Title: "P", Kind: coopmap.KindCoops, Licence: coopmap.Licence{ID: "CC0-1.0"}, Attribution: "test"}
	feats := func(yield func(coopmap.Feature, error) bool) {
		yield(coopmap.Feature{ID: "p.1", SourceID: "p", Name: "One", Precision: coopmap.PrecisionExact, Geometry: orb.Point{-0.1, 51.5}}, nil)
	}
	if _, err := r.ReplaceSource(ctx, src, feats); err != nil {
		t.Fatal(err)
	}
	if got, err := primary.Sources(ctx); err != nil || len(got) != 1 {
		t.Errorf("primary after a write through Replicated: %v %v; want the source", got, err)
	}
	if got, err := r.Sources(ctx); err != nil || len(got) != 0 {
		t.Errorf("Replicated.Sources = %v %v; want the replica's (none)", got, err)
	}
	if _, err := r.Feature(ctx, "p.1"); coopmap.ErrorCode(err) != coopmap.CodeNotFound {
		t.Errorf("Replicated.Feature = %v; want not found (read from the replica)", err)
	}
	if page, err := r.Features(ctx, coopmap.Query{}); err != nil || len(page.Features) != 0 {
		t.Errorf("Replicated.Features = %v %v; want the replica's (none)", page.Features, err)
	}
	// The primary's own methods come through the embedding.
	if err := r.CheckSchema(ctx); err != nil {
		t.Errorf("CheckSchema: %v", err)
	}
	if r.Primary() != primary {
		t.Error("Primary is not the primary")
	}
	// Each pool is reported.
	var pools []string
	for _, p := range r.PoolStats() {
		pools = append(pools, p.Pool)
	}
	if !slices.Equal(pools, []string{"primary", "replica"}) {
		t.Errorf("PoolStats pools %v", pools)
	}
	if err := r.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// TestReplicatedPingNamesTheReplica checks that a replica that cannot
// serve makes the store not ready, saying which database it is.
func TestReplicatedPingNamesTheReplica(t *testing.T) {
	ctx := context.Background()
	primary := openMigrated(t, postgistest.Schema(t), postgis.Options{})
	down, err := postgis.Open(ctx, "postgres://coopmap@127.0.0.1:1/coopmap?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	r := postgis.NewReplicated(primary, down)
	defer r.Replica.Close()
	if err := r.Ping(ctx); err == nil || !strings.Contains(err.Error(), "read replica") {
		t.Errorf("Ping with the replica down = %v; want an error naming the read replica", err)
	}
}

// TestStatementTimeout checks Options.StatementTimeout on the pool's
// connections: SHOW reports it, the server cancels a longer query, and a
// statement_timeout in the DSN wins.
func TestStatementTimeout(t *testing.T) {
	ctx := context.Background()
	dsn := postgistest.Schema(t)
	s := openMigrated(t, dsn, postgis.Options{StatementTimeout: 250 * time.Millisecond})
	// Several times, so more than one pooled connection is checked.
	for range 3 {
		if err := postgis.ExecForTest(ctx, s, `DO $$ BEGIN
			IF current_setting('statement_timeout') <> '250ms' THEN
				RAISE EXCEPTION 'statement_timeout is %', current_setting('statement_timeout');
			END IF; END $$`); err != nil {
			t.Fatal(err)
		}
	}
	err := postgis.ExecForTest(ctx, s, `SELECT pg_sleep(5)`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" { // query_canceled
		t.Errorf("a 5 s query with a 250 ms statement_timeout: %v; want query_canceled", err)
	}

	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("statement_timeout", "7000")
	u.RawQuery = q.Encode()
	s2 := openMigrated(t, u.String(), postgis.Options{StatementTimeout: time.Second})
	if err := postgis.ExecForTest(ctx, s2, `DO $$ BEGIN
		IF current_setting('statement_timeout') <> '7s' THEN
			RAISE EXCEPTION 'statement_timeout is %', current_setting('statement_timeout');
		END IF; END $$`); err != nil {
		t.Errorf("the DSN's statement_timeout: %v", err)
	}
}

// TestLongWritesOutlastStatementTimeout checks that migrations (which
// openMigrated runs) and an import are not cut off by a statement_timeout
// shorter than their statements: they lift it. The timeout is 10 ms:
// shorter than the import's bulk writes of 20,000 records by far, and
// longer than the BEGIN and SET that lift it take on a loaded machine (at
// 1 ms, a CI run under -race once had a migration's first statements cut
// off before they could lift it).
func TestLongWritesOutlastStatementTimeout(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, postgistest.Schema(t), postgis.Options{StatementTimeout: 10 * time.Millisecond})
	src := coopmap.Source{ID: "big", Title: "Big", Kind: coopmap.KindCoops, Licence: coopmap.Licence{ID: "CC0-1.0"}, Attribution: "test"}
	feats := func(yield func(coopmap.Feature, error) bool) {
		for i := range 20000 {
			f := coopmap.Feature{ID: "big." + strconv.Itoa(i), SourceID: "big", Name: "Co-op " + strconv.Itoa(i), Precision: coopmap.PrecisionExact,
				Geometry: orb.Point{-1 + float64(i%1000)/1000, 51 + float64(i/1000)/100}}
			if !yield(f, nil) {
				return
			}
		}
	}
	res, err := s.ReplaceSource(ctx, src, feats)
	if err != nil {
		t.Fatalf("import under a 10 ms statement_timeout: %v", err)
	}
	if res.Added != 20000 {
		t.Errorf("added %d; want 20000", res.Added)
	}
}
