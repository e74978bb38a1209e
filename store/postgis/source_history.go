package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopmap/coopmap"
)

var _ coopmap.SourceHistory = (*Store)(nil)

// A source's metadata history is written in the transaction that changes
// the metadata, which holds the source's row lock (so numbering the next
// version by max + 1 is safe), by copying the sources row after the
// change; see migrations/postgis/0005_source_revisions.sql.

const (
	// recordSourceRevisionSQL copies the sources row of $1 into its
	// metadata history as the next version, made by op $2, by $3 with
	// note $4 at $5.
	recordSourceRevisionSQL = `INSERT INTO source_revisions (source_id, version, op, changed_by, note, at,
		title, description, licence_id, licence_name, licence_url, attribution, owner, origin, retrieved_at)
	SELECT id, coalesce((SELECT max(version) FROM source_revisions WHERE source_id = $1), 0) + 1, $2, $3, $4, $5,
		title, description, licence_id, licence_name, licence_url, attribution, owner, origin, retrieved_at
	FROM sources WHERE id = $1`

	// sourceRevisionColumns are read by scanSourceVersion.
	sourceRevisionColumns = `source_id, version, op, changed_by, note, at, title, description, licence_id,
	licence_name, licence_url, attribution, owner, origin, retrieved_at`

	sourceRevisionSQL = `SELECT ` + sourceRevisionColumns + ` FROM source_revisions
	WHERE source_id = $1 AND version = $2`

	sourceHistorySQL = `SELECT ` + sourceRevisionColumns + ` FROM source_revisions
	WHERE source_id = $1 ORDER BY version DESC`
)

// recordSourceMeta keeps the current metadata of source id as its next
// metadata version, made by op and c at t.
func recordSourceMeta(ctx context.Context, tx pgx.Tx, id, op string, c coopmap.Change, t time.Time) error {
	if _, err := tx.Exec(ctx, recordSourceRevisionSQL, id, op, c.By, c.Note, t); err != nil {
		return fmt.Errorf("recording the metadata version: %w", err)
	}
	return nil
}

// scanSourceVersion reads one row of sourceRevisionColumns.
func scanSourceVersion(row pgx.Row) (coopmap.SourceVersion, error) {
	var (
		v         coopmap.SourceVersion
		retrieved *time.Time
	)
	m := &v.Meta
	err := row.Scan(&v.SourceID, &v.Version, &v.Op, &v.By, &v.Note, &v.At, &m.Title, &m.Description,
		&m.Licence.ID, &m.Licence.Name, &m.Licence.URL, &m.Attribution, &m.Owner, &m.Origin, &retrieved)
	if err != nil {
		return v, err
	}
	v.At = v.At.UTC()
	if retrieved != nil {
		m.RetrievedAt = retrieved.UTC()
	}
	return v, nil
}

// changeSourceMeta runs one metadata write to source id (verb names it in
// errors): it checks c, locks and reads the source and hands it to next,
// which returns the source to store (checked); it then stores its
// metadata as the source's next version with the history row of op, and
// returns the source as stored.
func (s *Store) changeSourceMeta(ctx context.Context, verb, id, op string, c coopmap.Change, next func(tx pgx.Tx, old coopmap.Source) (coopmap.Source, error)) (coopmap.Source, error) {
	out, err := func() (coopmap.Source, error) {
		if err := c.Validate(); err != nil {
			return coopmap.Source{}, err
		}
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			return coopmap.Source{}, err
		}
		defer rollback(ctx, tx)
		old, err := lockSource(ctx, tx, id)
		if err != nil {
			return coopmap.Source{}, err
		}
		src, err := next(tx, old)
		if err != nil {
			return coopmap.Source{}, err
		}
		t := now()
		_, err = tx.Exec(ctx, updateSourceMetaSQL, id, src.Title, src.Description, src.Licence.ID, src.Licence.Name,
			src.Licence.URL, src.Attribution, src.Owner, src.Origin, timePtr(storedTime(src.RetrievedAt)), t)
		if err != nil {
			return coopmap.Source{}, err
		}
		if err := recordSourceMeta(ctx, tx, id, op, c, t); err != nil {
			return coopmap.Source{}, err
		}
		out, err := scanSource(tx.QueryRow(ctx, sourceSQL, id))
		if err != nil {
			return coopmap.Source{}, err
		}
		return out, tx.Commit(ctx)
	}()
	if err != nil {
		return coopmap.Source{}, fmt.Errorf("postgis: %s source %q: %w", verb, id, ctxErr(ctx, err))
	}
	return out, nil
}

// RevertSourceMeta makes a new metadata version equal to a kept one
// (coopmap.SourceHistory).
func (s *Store) RevertSourceMeta(ctx context.Context, id string, version, ifVersion int64, c coopmap.Change) (coopmap.Source, error) {
	return s.changeSourceMeta(ctx, "revert", id, coopmap.OpRevert, c, func(tx pgx.Tx, old coopmap.Source) (coopmap.Source, error) {
		if err := coopmap.CheckVersion(id, old.Version, ifVersion); err != nil {
			return coopmap.Source{}, err
		}
		kept, err := scanSourceVersion(tx.QueryRow(ctx, sourceRevisionSQL, id, version))
		if errors.Is(err, pgx.ErrNoRows) {
			return coopmap.Source{}, coopmap.SourceVersionNotFound(id, version)
		}
		if err != nil {
			return coopmap.Source{}, err
		}
		return coopmap.RevertedMeta(old, kept, ifVersion)
	})
}

// SourceMetaHistory returns a source's kept metadata versions, newest
// first (coopmap.SourceHistory). Errors: CodeNotFound for no such source,
// the context's error, a database error.
func (s *Store) SourceMetaHistory(ctx context.Context, id string) ([]coopmap.SourceVersion, error) {
	vs, err := func() ([]coopmap.SourceVersion, error) {
		tx, err := s.readSource(ctx, id)
		if err != nil {
			return nil, err
		}
		defer rollback(ctx, tx)
		rows, err := tx.Query(ctx, sourceHistorySQL, id)
		if err != nil {
			return nil, err
		}
		vs, err := pgx.CollectRows(rows, rowTo(scanSourceVersion))
		if err != nil {
			return nil, err
		}
		coopmap.FillSourceFields(vs)
		return vs, nil
	}()
	if err != nil {
		return nil, fmt.Errorf("postgis: metadata history of source %q: %w", id, ctxErr(ctx, err))
	}
	return vs, nil
}
