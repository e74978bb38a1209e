package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestBusyTimeout checks that Options.BusyTimeout reaches every
// connection, reading and writing, and that the default stays.
func TestBusyTimeout(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		opt  time.Duration
		want int
	}{{0, int(DefaultBusyTimeout.Milliseconds())}, {1500 * time.Millisecond, 1500}} {
		s, err := OpenWith(ctx, filepath.Join(t.TempDir(), "busy.gpkg"), Options{BusyTimeout: c.opt})
		if err != nil {
			t.Fatal(err)
		}
		var r, w int
		if err := s.r.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&r); err != nil {
			t.Fatal(err)
		}
		if err := s.w.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&w); err != nil {
			t.Fatal(err)
		}
		if r != c.want || w != c.want {
			t.Errorf("BusyTimeout %v: read %d ms, write %d ms; want %d", c.opt, r, w, c.want)
		}
		if got := s.PoolStats(); len(got) != 2 || got[0].Pool != "read" || got[1].Pool != "write" || got[1].MaxOpen != 1 {
			t.Errorf("PoolStats = %+v", got)
		}
		s.Close()
	}
	if _, err := OpenWith(ctx, filepath.Join(t.TempDir(), "neg.gpkg"), Options{BusyTimeout: -time.Second}); err == nil {
		t.Error("a negative busy timeout was accepted")
	}
}
