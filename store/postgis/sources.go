package postgis

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopmap/coopmap"
)

// sourceColumns are the columns scanSource reads, in its order.
const sourceColumns = `id, title, description, kind, licence_id, licence_name, licence_url,
	attribution, owner, origin, retrieved_at, updated_at, feature_count, version`

// scanSource reads one row of sourceColumns.
func scanSource(row pgx.Row) (coopmap.Source, error) {
	var (
		src       coopmap.Source
		kind      string
		retrieved *time.Time
	)
	err := row.Scan(&src.ID, &src.Title, &src.Description, &kind, &src.Licence.ID, &src.Licence.Name, &src.Licence.URL,
		&src.Attribution, &src.Owner, &src.Origin, &retrieved, &src.UpdatedAt, &src.FeatureCount, &src.Version)
	if err != nil {
		return coopmap.Source{}, err
	}
	src.Kind = coopmap.Kind(kind)
	if retrieved != nil {
		src.RetrievedAt = retrieved.UTC()
	}
	src.UpdatedAt = src.UpdatedAt.UTC()
	return src, nil
}

const (
	sourcesSQL = `SELECT ` + sourceColumns + ` FROM sources ORDER BY id`
	sourceSQL  = `SELECT ` + sourceColumns + ` FROM sources WHERE id = $1`
)

// Sources returns every source, ordered by id. The error is the context's
// when ctx ends first, or a database error.
func (s *Store) Sources(ctx context.Context) ([]coopmap.Source, error) {
	rows, err := s.pool.Query(ctx, sourcesSQL)
	if err != nil {
		return nil, fmt.Errorf("postgis: sources: %w", ctxErr(ctx, err))
	}
	srcs, err := pgx.CollectRows(rows, rowTo(scanSource))
	if err != nil {
		return nil, fmt.Errorf("postgis: sources: %w", ctxErr(ctx, err))
	}
	return srcs, nil
}

// Source returns one source. The error is CodeNotFound when there is no
// source with that id, the context's error when ctx ends first, or a
// database error.
func (s *Store) Source(ctx context.Context, id string) (coopmap.Source, error) {
	src, err := scanSource(s.pool.QueryRow(ctx, sourceSQL, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return coopmap.Source{}, fmt.Errorf("postgis: %w", coopmap.NotFoundf("there is no source %q", id))
	}
	if err != nil {
		return coopmap.Source{}, fmt.Errorf("postgis: source %q: %w", id, ctxErr(ctx, err))
	}
	return src, nil
}

const deleteSourceSQL = `DELETE FROM sources WHERE id = $1`

// DeleteSource deletes a source; its features and tours go with it (ON
// DELETE CASCADE). The error is CodeNotFound when there is no such source,
// the context's error when ctx ends first, or a database error.
func (s *Store) DeleteSource(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, deleteSourceSQL, id)
	if err != nil {
		return fmt.Errorf("postgis: delete source %q: %w", id, ctxErr(ctx, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgis: %w", coopmap.NotFoundf("there is no source %q", id))
	}
	return nil
}

const (
	// insertSourceSQL creates the source row if it is missing, so that a
	// first import has a row to lock; RETURNING yields a row only when it
	// inserted. A concurrent first import of the same id waits here for
	// the other transaction to end.
	insertSourceSQL = `INSERT INTO sources (id, title, description, kind, licence_id, licence_name, licence_url,
		attribution, owner, origin, retrieved_at, updated_at, feature_count, version)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, 1)
	ON CONFLICT (id) DO NOTHING
	RETURNING true`

	// lockSourceSQL takes the row lock that serialises every write to a
	// source: replaces, and tour writes, which lock it the same way.
	lockSourceSQL = `SELECT ` + sourceColumns + ` FROM sources WHERE id = $1 FOR UPDATE`

	// updateSourceSQL stores new metadata and contents: a new version.
	updateSourceSQL = `UPDATE sources SET title = $2, description = $3, licence_id = $4, licence_name = $5,
		licence_url = $6, attribution = $7, owner = $8, origin = $9, retrieved_at = $10,
		updated_at = $11, feature_count = $12, version = version + 1
	WHERE id = $1`

	// setFeatureCountSQL completes a first import: the row inserted above
	// already carries version 1.
	setFeatureCountSQL = `UPDATE sources SET feature_count = $2 WHERE id = $1`
)

// sameMetadata reports whether a stored source and an incoming one have the
// same caller-set fields. RetrievedAt must already be normalised.
func sameMetadata(a, b coopmap.Source) bool {
	return a.Title == b.Title && a.Description == b.Description && a.Licence == b.Licence &&
		a.Attribution == b.Attribution && a.Owner == b.Owner && a.Origin == b.Origin &&
		a.RetrievedAt.Equal(b.RetrievedAt)
}

// ReplaceSource stores src and makes features its complete contents, in one
// transaction that holds the source's row lock, so concurrent replaces of
// one source apply one after the other.
//
// Features are validated as they arrive and streamed with COPY into a
// temporary staging table, so memory stays flat however many there are;
// set-based statements then insert, update (content hash differs: version
// + 1) and delete against the stored features. The source's version and
// update time move only when its metadata or features changed.
//
// Errors, after which nothing has changed: CodeInvalid naming the field for
// an invalid source or feature ("features[12].geometry"), a feature of
// another source ("features[3].source_id"), a repeated id
// ("features[7].id", at its second occurrence), or any feature for a tours
// source ("features"); CodeConflict when src changes an existing source's
// kind or a feature id belongs to another source; the iterator's first
// error, wrapped; the context's error when ctx ends first; a database
// error; CodeInvalid "by" or "note" for an invalid Change in ctx, by
// which the versions it writes are made (coopmap.ImportChange).
func (s *Store) ReplaceSource(ctx context.Context, src coopmap.Source, features iter.Seq2[coopmap.Feature, error]) (coopmap.ReplaceResult, error) {
	res, err := s.replaceSource(ctx, src, features)
	if err != nil {
		return coopmap.ReplaceResult{}, fmt.Errorf("postgis: replace source %q: %w", src.ID, ctxErr(ctx, err))
	}
	return res, nil
}

func (s *Store) replaceSource(ctx context.Context, src coopmap.Source, features iter.Seq2[coopmap.Feature, error]) (coopmap.ReplaceResult, error) {
	if err := src.Validate(); err != nil {
		return coopmap.ReplaceResult{}, err
	}
	ch, err := coopmap.ImportChange(ctx)
	if err != nil {
		return coopmap.ReplaceResult{}, err
	}
	src.RetrievedAt = storedTime(src.RetrievedAt)
	next, stop := pull(features)
	defer stop()
	if src.Kind == coopmap.KindTours {
		// Checked before touching the database: it needs no state.
		if _, err, ok := next(); ok {
			if err != nil {
				return coopmap.ReplaceResult{}, fmt.Errorf("reading features: %w", err)
			}
			return coopmap.ReplaceResult{}, coopmap.Invalidf("features", "a tours source holds tours, not features: create tours one by one")
		}
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return coopmap.ReplaceResult{}, err
	}
	defer rollback(ctx, tx)
	// An import may wait for another's lock and run for minutes; ctx
	// bounds it, not the pool's statement_timeout.
	if _, err := tx.Exec(ctx, noStatementTimeoutSQL); err != nil {
		return coopmap.ReplaceResult{}, err
	}

	var created bool
	err = tx.QueryRow(ctx, insertSourceSQL, src.ID, src.Title, src.Description, string(src.Kind),
		src.Licence.ID, src.Licence.Name, src.Licence.URL, src.Attribution, src.Owner, src.Origin,
		timePtr(src.RetrievedAt), now()).Scan(&created)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return coopmap.ReplaceResult{}, err
	}
	old, err := scanSource(tx.QueryRow(ctx, lockSourceSQL, src.ID))
	if err != nil {
		return coopmap.ReplaceResult{}, err
	}
	if old.Kind != src.Kind {
		return coopmap.ReplaceResult{}, coopmap.Errorf(coopmap.CodeConflict,
			"source %q holds %s; its kind cannot change to %s (delete it first)", src.ID, old.Kind, src.Kind)
	}

	t := now() // after the lock: a replace that waited is recorded as later
	res := coopmap.ReplaceResult{}
	count := old.FeatureCount // a tours source counts its tours, which a replace keeps
	if src.Kind != coopmap.KindTours {
		if res, err = replaceFeatures(ctx, tx, src.ID, next, t, ch); err != nil {
			return coopmap.ReplaceResult{}, err
		}
		count = res.Added + res.Updated + res.Unchanged
	}

	switch {
	case created:
		if count != old.FeatureCount {
			if _, err := tx.Exec(ctx, setFeatureCountSQL, src.ID, count); err != nil {
				return coopmap.ReplaceResult{}, err
			}
		}
	case res.Changed() || !sameMetadata(old, src):
		_, err := tx.Exec(ctx, updateSourceSQL, src.ID, src.Title, src.Description, src.Licence.ID, src.Licence.Name,
			src.Licence.URL, src.Attribution, src.Owner, src.Origin, timePtr(src.RetrievedAt), t, count)
		if err != nil {
			return coopmap.ReplaceResult{}, err
		}
	}
	if op := coopmap.ImportMetaOp(created, !sameMetadata(old, src)); op != "" {
		if err := recordSourceMeta(ctx, tx, src.ID, op, ch, t); err != nil {
			return coopmap.ReplaceResult{}, err
		}
	}
	if res.Source, err = scanSource(tx.QueryRow(ctx, sourceSQL, src.ID)); err != nil {
		return coopmap.ReplaceResult{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return coopmap.ReplaceResult{}, err
	}
	return res, nil
}
