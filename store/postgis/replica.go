package postgis

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/coopmap/coopmap"
)

var (
	_ coopmap.Store         = (*Replicated)(nil)
	_ coopmap.TileReader    = (*Replicated)(nil)
	_ coopmap.TileRenderer  = (*Replicated)(nil)
	_ coopmap.ExtentReader  = (*Replicated)(nil)
	_ coopmap.StatsReporter = (*Replicated)(nil)
)

// Replicated is a store over a primary database and a read replica of it
// (a streaming standby): the read methods of coopmap.Reader and the
// optional read interfaces (tiles, extents) go to the replica, everything
// else to the primary. The primary is embedded, so every other method of
// *Store (writes, migrations, and the optional interfaces stores gain
// later) goes to the primary without being listed here: a method added to
// *Store is safe by default, and only read-only methods that should be
// offloaded need a line below.
//
// Reads lag writes by the replica's replay delay: a caller that must read
// its own write has the value the write method returned, or reads the
// Primary.
type Replicated struct {
	*Store
	// Replica answers the reads.
	Replica *Store
}

// NewReplicated returns a store writing to primary and reading from
// replica. Close closes both.
func NewReplicated(primary, replica *Store) *Replicated {
	return &Replicated{Store: primary, Replica: replica}
}

// Primary returns the store writes go to.
func (r *Replicated) Primary() *Store { return r.Store }

// Close closes both stores' connections. It always returns nil.
func (r *Replicated) Close() error {
	return errors.Join(r.Store.Close(), r.Replica.Close())
}

// Ping reports whether both databases can serve (reachable, current
// schema); the error names the one that cannot.
func (r *Replicated) Ping(ctx context.Context) error {
	if err := r.Store.Ping(ctx); err != nil {
		return fmt.Errorf("primary: %w", err)
	}
	if err := r.Replica.Ping(ctx); err != nil {
		return fmt.Errorf("read replica: %w", err)
	}
	return nil
}

// PoolStats reports the primary's pool as "primary" and the replica's as
// "replica".
func (r *Replicated) PoolStats() []coopmap.PoolStats {
	return []coopmap.PoolStats{r.Store.poolStats("primary"), r.Replica.poolStats("replica")}
}

// Sources reads from the replica; see coopmap.Reader.
func (r *Replicated) Sources(ctx context.Context) ([]coopmap.Source, error) {
	return r.Replica.Sources(ctx)
}

// Source reads from the replica; see coopmap.Reader.
func (r *Replicated) Source(ctx context.Context, id string) (coopmap.Source, error) {
	return r.Replica.Source(ctx, id)
}

// Features reads from the replica; see coopmap.Reader.
func (r *Replicated) Features(ctx context.Context, q coopmap.Query) (coopmap.Page, error) {
	return r.Replica.Features(ctx, q)
}

// Feature reads from the replica; see coopmap.Reader.
func (r *Replicated) Feature(ctx context.Context, id string) (coopmap.Feature, error) {
	return r.Replica.Feature(ctx, id)
}

// SourceFeatures reads from the replica; see coopmap.Reader.
func (r *Replicated) SourceFeatures(ctx context.Context, sourceID string) iter.Seq2[coopmap.Feature, error] {
	return r.Replica.SourceFeatures(ctx, sourceID)
}

// Tours reads from the replica; see coopmap.Reader.
func (r *Replicated) Tours(ctx context.Context, sourceID string) ([]coopmap.Tour, error) {
	return r.Replica.Tours(ctx, sourceID)
}

// Tour reads from the replica; see coopmap.Reader.
func (r *Replicated) Tour(ctx context.Context, id string) (coopmap.Tour, error) {
	return r.Replica.Tour(ctx, id)
}

// TileFeatures reads from the replica; see coopmap.TileReader.
func (r *Replicated) TileFeatures(ctx context.Context, q coopmap.TileQuery) iter.Seq2[coopmap.Feature, error] {
	return r.Replica.TileFeatures(ctx, q)
}

// RenderTile renders on the replica; see coopmap.TileRenderer.
func (r *Replicated) RenderTile(ctx context.Context, spec coopmap.TileSpec) ([]byte, error) {
	return r.Replica.RenderTile(ctx, spec)
}

// SourceExtent reads from the replica; see coopmap.ExtentReader.
func (r *Replicated) SourceExtent(ctx context.Context, sourceID string) (coopmap.Extent, error) {
	return r.Replica.SourceExtent(ctx, sourceID)
}
