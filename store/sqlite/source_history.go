package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/coopmap/coopmap"
)

var _ coopmap.SourceHistory = (*Store)(nil)

// A source's metadata history is written in the transaction that changes
// the metadata, by copying the sources row after the change; see
// migrations/sqlite/0006_source_revisions.sql.

const (
	// recordSourceRevision copies the sources row of ?1 into its
	// metadata history as the next version, made by op ?2, by ?3 with
	// note ?4 at ?5.
	recordSourceRevision = `INSERT INTO source_revisions (source_id, version, op, changed_by, note, at,
		title, description, licence_id, licence_name, licence_url, attribution, owner, origin, retrieved_at)
	SELECT id, coalesce((SELECT max(version) FROM source_revisions WHERE source_id = ?1), 0) + 1, ?2, ?3, ?4, ?5,
		title, description, licence_id, licence_name, licence_url, attribution, owner, origin, retrieved_at
	FROM sources WHERE id = ?1`

	// sourceRevisionColumns are read by scanSourceVersion.
	sourceRevisionColumns = `source_id, version, op, changed_by, note, at, title, description, licence_id,
	licence_name, licence_url, attribution, owner, origin, retrieved_at`
)

// recordSourceMeta keeps the current metadata of source id as its next
// metadata version, made by op and c at now.
func recordSourceMeta(ctx context.Context, tx querier, id, op string, c coopmap.Change, now time.Time) error {
	if _, err := tx.ExecContext(ctx, recordSourceRevision, id, op, textArg(c.By), textArg(c.Note), timeArg(now)); err != nil {
		return fmt.Errorf("recording the metadata version: %w", err)
	}
	return nil
}

// scanSourceVersion reads one row of sourceRevisionColumns.
func scanSourceVersion(sc scanner) (coopmap.SourceVersion, error) {
	var v coopmap.SourceVersion
	m := &v.Meta
	err := sc.Scan(&v.SourceID, &v.Version, &v.Op, textCol{&v.By}, textCol{&v.Note}, timeCol{&v.At},
		textCol{&m.Title}, textCol{&m.Description}, &m.Licence.ID, textCol{&m.Licence.Name}, textCol{&m.Licence.URL},
		&m.Attribution, textCol{&m.Owner}, textCol{&m.Origin}, timeCol{&m.RetrievedAt})
	return v, err
}

// changeSourceMeta runs one metadata write to source id (verb names it in
// errors): it checks c, opens the write transaction, reads the source and
// hands it to next, which returns the source to store (checked); it then
// stores its metadata as the source's next version with the history row
// of op, and returns the source as stored.
func (s *Store) changeSourceMeta(ctx context.Context, verb, id, op string, c coopmap.Change, next func(tx *sql.Tx, old coopmap.Source) (coopmap.Source, error)) (coopmap.Source, error) {
	if err := c.Validate(); err != nil {
		return coopmap.Source{}, err
	}
	what := fmt.Sprintf("%s source %q", verb, id)
	fail := func(err error) (coopmap.Source, error) { return coopmap.Source{}, dbError(ctx, what, err) }
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	old, err := loadSource(ctx, tx, id)
	if err != nil {
		return fail(err)
	}
	src, err := next(tx, old)
	if err != nil {
		return fail(err)
	}
	now := storeTime(time.Now())
	if _, err := tx.ExecContext(ctx, updateSourceMetadata, textArg(src.Title), textArg(src.Description),
		src.Licence.ID, textArg(src.Licence.Name), textArg(src.Licence.URL), src.Attribution,
		textArg(src.Owner), textArg(src.Origin), timeArg(src.RetrievedAt), id); err != nil {
		return fail(err)
	}
	if err := bumpSource(ctx, tx, id, 0, now); err != nil {
		return fail(err)
	}
	if err := recordSourceMeta(ctx, tx, id, op, c, now); err != nil {
		return fail(err)
	}
	out, err := loadSource(ctx, tx, id)
	if err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return out, nil
}

// loadSourceVersion reads one kept metadata version; a missing one is
// coopmap.SourceVersionNotFound.
func loadSourceVersion(ctx context.Context, q querier, id string, version int64) (coopmap.SourceVersion, error) {
	const sel = `SELECT ` + sourceRevisionColumns + ` FROM source_revisions WHERE source_id = ? AND version = ?`
	v, err := scanSourceVersion(q.QueryRowContext(ctx, sel, id, version))
	if errors.Is(err, sql.ErrNoRows) {
		return v, coopmap.SourceVersionNotFound(id, version)
	}
	return v, err
}

// RevertSourceMeta makes a new metadata version equal to a kept one; see
// coopmap.SourceHistory.
func (s *Store) RevertSourceMeta(ctx context.Context, id string, version, ifVersion int64, c coopmap.Change) (coopmap.Source, error) {
	return s.changeSourceMeta(ctx, "revert", id, coopmap.OpRevert, c, func(tx *sql.Tx, old coopmap.Source) (coopmap.Source, error) {
		if err := coopmap.CheckVersion(id, old.Version, ifVersion); err != nil {
			return coopmap.Source{}, err
		}
		kept, err := loadSourceVersion(ctx, tx, id, version)
		if err != nil {
			return coopmap.Source{}, err
		}
		return coopmap.RevertedMeta(old, kept, ifVersion)
	})
}

// SourceMetaHistory returns a source's kept metadata versions, newest
// first; see coopmap.SourceHistory.
func (s *Store) SourceMetaHistory(ctx context.Context, id string) ([]coopmap.SourceVersion, error) {
	op := fmt.Sprintf("metadata history of source %q", id)
	tx, err := s.readSource(ctx, op, id)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	const q = `SELECT ` + sourceRevisionColumns + ` FROM source_revisions WHERE source_id = ? ORDER BY version DESC`
	rows, err := tx.QueryContext(ctx, q, id)
	if err != nil {
		return nil, dbError(ctx, op, err)
	}
	out, err := collectRows(rows, scanSourceVersion)
	if err != nil {
		return nil, dbError(ctx, op, err)
	}
	coopmap.FillSourceFields(out)
	return out, nil
}
