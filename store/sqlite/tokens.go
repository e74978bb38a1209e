package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/coopmap/coopmap"
)

var _ coopmap.TokenStore = (*Store)(nil)

const tokenColumns = `id, name, hash, scopes, created_at, expires_at, revoked_at, last_used_at`

func scanToken(sc scanner) (coopmap.Token, error) {
	var (
		t      coopmap.Token
		scopes string
	)
	err := sc.Scan(&t.ID, &t.Name, &t.Hash, &scopes, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt},
		timeCol{&t.RevokedAt}, timeCol{&t.LastUsedAt})
	if err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
		return t, fmt.Errorf("token %q: stored scopes: %w", t.ID, err)
	}
	return t, nil
}

// CreateToken stores a new token. The error is CodeInvalid naming the
// field for a token that fails Token.Validate, CodeConflict for a taken
// id, name or hash, or the database's or ctx's.
func (s *Store) CreateToken(ctx context.Context, t coopmap.Token) (coopmap.Token, error) {
	t.CreatedAt, t.ExpiresAt = storeTime(t.CreatedAt), zeroOrStored(t.ExpiresAt)
	t.RevokedAt, t.LastUsedAt = zeroOrStored(t.RevokedAt), zeroOrStored(t.LastUsedAt)
	if err := t.Validate(); err != nil {
		return coopmap.Token{}, err
	}
	scopes, err := json.Marshal(t.Scopes)
	if err != nil {
		return coopmap.Token{}, fmt.Errorf("sqlite: create token: %w", err)
	}
	const ins = `INSERT INTO coopmap_tokens (` + tokenColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	_, err = s.w.ExecContext(ctx, ins, t.ID, t.Name, t.Hash, string(scopes), timeArg(t.CreatedAt),
		timeArg(t.ExpiresAt), timeArg(t.RevokedAt), timeArg(t.LastUsedAt))
	if isUnique(err) {
		return coopmap.Token{}, coopmap.Errorf(coopmap.CodeConflict, "a token with id %q or name %q exists", t.ID, t.Name)
	}
	if err != nil {
		return coopmap.Token{}, dbError(ctx, "create token", err)
	}
	return t, nil
}

// TokenByHash returns the token with the digest. The error is CodeNotFound
// when there is none, or the database's or ctx's.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (coopmap.Token, error) {
	const sel = `SELECT ` + tokenColumns + ` FROM coopmap_tokens WHERE hash = ?`
	t, err := scanToken(s.r.QueryRowContext(ctx, sel, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return coopmap.Token{}, coopmap.NotFoundf("no such token")
	}
	if err != nil {
		return coopmap.Token{}, dbError(ctx, "token", err)
	}
	return t, nil
}

// Tokens returns every token by creation time, then id. It fails only
// when the database does, or with ctx's error.
func (s *Store) Tokens(ctx context.Context) ([]coopmap.Token, error) {
	const sel = `SELECT ` + tokenColumns + ` FROM coopmap_tokens ORDER BY created_at, id`
	rows, err := s.r.QueryContext(ctx, sel)
	if err != nil {
		return nil, dbError(ctx, "list tokens", err)
	}
	out, err := collectRows(rows, scanToken)
	if err != nil {
		return nil, dbError(ctx, "list tokens", err)
	}
	return out, nil
}

// RevokeToken revokes the token whose id, or else name, is ref. The error
// is CodeNotFound when neither matches, or the database's or ctx's.
func (s *Store) RevokeToken(ctx context.Context, ref string, at time.Time) (coopmap.Token, error) {
	// The id wins over a name that happens to equal another token's id.
	const upd = `UPDATE coopmap_tokens SET revoked_at = coalesce(revoked_at, ?)
		WHERE id = coalesce((SELECT id FROM coopmap_tokens WHERE id = ?), (SELECT id FROM coopmap_tokens WHERE name = ?))
		RETURNING ` + tokenColumns
	t, err := scanToken(s.w.QueryRowContext(ctx, upd, timeArg(at), ref, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return coopmap.Token{}, coopmap.NotFoundf("no token has id or name %q", ref)
	}
	if err != nil {
		return coopmap.Token{}, dbError(ctx, "revoke token", err)
	}
	return t, nil
}

// TouchToken sets the token's last use. The error is CodeNotFound for an
// unknown id, or the database's or ctx's.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	const upd = `UPDATE coopmap_tokens SET last_used_at = ? WHERE id = ?`
	res, err := s.w.ExecContext(ctx, upd, timeArg(at), id)
	if err != nil {
		return dbError(ctx, "touch token", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return coopmap.NotFoundf("no token has id %q", id)
	}
	return nil
}

// zeroOrStored returns the zero time as is and any other as stored.
func zeroOrStored(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return storeTime(t)
}
