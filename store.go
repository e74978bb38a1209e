package coopmap

import (
	"context"
	"iter"
	"time"
)

// Reader is the read side of a store. Every method returns an error with
// CodeNotFound for a missing id, CodeInvalid for a bad query, and the
// context's error when ctx ends first.
type Reader interface {
	// Sources returns every source, ordered by id.
	Sources(ctx context.Context) ([]Source, error)
	// Source returns one source.
	Source(ctx context.Context, id string) (Source, error)
	// Features returns one page of the features matching q, with the exact
	// number matched.
	Features(ctx context.Context, q Query) (Page, error)
	// Feature returns one feature by id.
	Feature(ctx context.Context, id string) (Feature, error)
	// SourceFeatures streams every feature of a source in id order without
	// holding them all in memory. A missing source yields one not-found
	// error. The caller may stop early.
	SourceFeatures(ctx context.Context, sourceID string) iter.Seq2[Feature, error]
	// Tours returns the tours of a source ("" for all), ordered by id,
	// with stops resolved as Tour does. A missing source is not found; a
	// source of another kind has no tours.
	Tours(ctx context.Context, sourceID string) ([]Tour, error)
	// Tour returns one tour. Stops that reference a record get that
	// record's current name and location; a stop whose record no longer
	// exists is marked Unresolved.
	Tour(ctx context.Context, id string) (Tour, error)
}

// ReplaceResult reports what a ReplaceSource changed.
type ReplaceResult struct {
	// Source is the source as stored, with its new count and version.
	Source Source
	// Added, Updated, Unchanged and Removed count features by what
	// happened to them, comparing content (Feature.Hash).
	Added, Updated, Unchanged, Removed int
}

// Changed reports whether the replace changed any feature.
func (r ReplaceResult) Changed() bool { return r.Added+r.Updated+r.Removed > 0 }

// Writer is the write side of a store. Writes are serialised by the store;
// each is all-or-nothing.
type Writer interface {
	// ReplaceSource stores src and makes features its complete contents,
	// atomically: when features yields an error, a feature is invalid, or
	// ctx ends, nothing changes and the previous version stays intact.
	// Features keep their ids, versions and update times when their
	// content is unchanged, so an identical replace changes nothing.
	// Errors: CodeInvalid naming the field ("features[12].geometry"),
	// CodeConflict when src changes an existing source's kind or a
	// feature's id belongs to another source ("features[12].id").
	// The versions it writes are attributed to the Change ctx carries
	// (WithChange), which must be valid (CodeInvalid naming "by" or
	// "note"); see ImportChange.
	ReplaceSource(ctx context.Context, src Source, features iter.Seq2[Feature, error]) (ReplaceResult, error)
	// DeleteSource deletes a source with its features and tours.
	DeleteSource(ctx context.Context, id string) error
	// CreateTour stores a new tour in an existing tours source and
	// returns it with version 1. Errors: CodeConflict for a taken id,
	// CodeInvalid for a bad value, a missing source or a stop that
	// references no record.
	CreateTour(ctx context.Context, t Tour) (Tour, error)
	// UpdateTour replaces a tour whose stored version equals t.Version and
	// returns it with the next version. A tour stays in its source.
	// Errors: CodeNotFound, CodeConflict when t.Version is stale,
	// CodeInvalid as for CreateTour or for a changed SourceID.
	UpdateTour(ctx context.Context, t Tour) (Tour, error)
	// DeleteTour deletes a tour.
	DeleteTour(ctx context.Context, id string) error
}

// Store is a complete coopmap store: the embedded GeoPackage store or the
// PostGIS store.
type Store interface {
	Reader
	Writer
	// Ping reports whether the store can serve: reachable, with a current
	// schema.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// PoolStats is a snapshot of one database connection pool of a store,
// for metrics.
type PoolStats struct {
	// Pool names the pool within its store: "read" and "write" for the
	// GeoPackage, "primary" and "replica" for PostGIS.
	Pool string
	// MaxOpen is the pool's size limit; Open the connections it holds,
	// InUse those lent out and Idle those waiting to be.
	MaxOpen, Open, InUse, Idle int
	// WaitCount counts the times a caller had to wait for a connection
	// and WaitDuration the time spent waiting, since the pool opened.
	WaitCount    int64
	WaitDuration time.Duration
}

// StatsReporter is implemented by stores that can report their connection
// pools. It is optional: without it a server exports no pool metrics.
type StatsReporter interface {
	// PoolStats returns one snapshot per pool. It never blocks on the
	// database.
	PoolStats() []PoolStats
}
