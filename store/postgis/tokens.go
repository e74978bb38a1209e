package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopmap/coopmap"
)

var _ coopmap.TokenStore = (*Store)(nil)

// tokenColumns are the columns scanToken reads, in its order.
const tokenColumns = `id, name, hash, scopes, created_at, expires_at, revoked_at, last_used_at`

// scanToken reads one row of tokenColumns.
func scanToken(row pgx.Row) (coopmap.Token, error) {
	var (
		t                      coopmap.Token
		expires, revoked, used *time.Time
	)
	if err := row.Scan(&t.ID, &t.Name, &t.Hash, &t.Scopes, &t.CreatedAt, &expires, &revoked, &used); err != nil {
		return coopmap.Token{}, err
	}
	t.CreatedAt = t.CreatedAt.UTC()
	for _, p := range []struct {
		from *time.Time
		to   *time.Time
	}{{expires, &t.ExpiresAt}, {revoked, &t.RevokedAt}, {used, &t.LastUsedAt}} {
		if p.from != nil {
			*p.to = p.from.UTC()
		}
	}
	return t, nil
}

const (
	createTokenSQL = `INSERT INTO tokens (` + tokenColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	tokenByHashSQL = `SELECT ` + tokenColumns + ` FROM tokens WHERE hash = $1`
	tokensSQL      = `SELECT ` + tokenColumns + ` FROM tokens ORDER BY created_at, id`
	// The id wins over a name that happens to equal another token's id.
	revokeTokenSQL = `UPDATE tokens SET revoked_at = coalesce(revoked_at, $1)
		WHERE id = coalesce((SELECT id FROM tokens WHERE id = $2), (SELECT id FROM tokens WHERE name = $2))
		RETURNING ` + tokenColumns
	touchTokenSQL = `UPDATE tokens SET last_used_at = $1 WHERE id = $2`
)

// CreateToken stores a new token. The error is CodeInvalid naming the
// field for a token that fails Token.Validate, CodeConflict for a taken
// id, name or hash, the context's error when ctx ends first, or a
// database error.
func (s *Store) CreateToken(ctx context.Context, t coopmap.Token) (coopmap.Token, error) {
	t.CreatedAt, t.ExpiresAt = storedTime(t.CreatedAt), storedTime(t.ExpiresAt)
	t.RevokedAt, t.LastUsedAt = storedTime(t.RevokedAt), storedTime(t.LastUsedAt)
	if err := t.Validate(); err != nil {
		return coopmap.Token{}, err
	}
	_, err := s.pool.Exec(ctx, createTokenSQL, t.ID, t.Name, t.Hash, t.Scopes, t.CreatedAt,
		timePtr(t.ExpiresAt), timePtr(t.RevokedAt), timePtr(t.LastUsedAt))
	if uniqueViolation(err) {
		return coopmap.Token{}, coopmap.Errorf(coopmap.CodeConflict, "a token with id %q or name %q exists", t.ID, t.Name)
	}
	if err != nil {
		return coopmap.Token{}, fmt.Errorf("postgis: create token: %w", ctxErr(ctx, err))
	}
	return t, nil
}

// TokenByHash returns the token with the digest. The error is CodeNotFound
// when there is none, the context's error when ctx ends first, or a
// database error.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (coopmap.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, tokenByHashSQL, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return coopmap.Token{}, coopmap.NotFoundf("no such token")
	}
	if err != nil {
		return coopmap.Token{}, fmt.Errorf("postgis: token: %w", ctxErr(ctx, err))
	}
	return t, nil
}

// Tokens returns every token by creation time, then id. The error is the
// context's when ctx ends first, or a database error.
func (s *Store) Tokens(ctx context.Context) ([]coopmap.Token, error) {
	rows, err := s.pool.Query(ctx, tokensSQL)
	if err != nil {
		return nil, fmt.Errorf("postgis: tokens: %w", ctxErr(ctx, err))
	}
	ts, err := pgx.CollectRows(rows, rowTo(scanToken))
	if err != nil {
		return nil, fmt.Errorf("postgis: tokens: %w", ctxErr(ctx, err))
	}
	if ts == nil {
		ts = []coopmap.Token{}
	}
	return ts, nil
}

// RevokeToken revokes the token whose id, or else name, is ref. The error
// is CodeNotFound when neither matches, the context's error when ctx ends
// first, or a database error.
func (s *Store) RevokeToken(ctx context.Context, ref string, at time.Time) (coopmap.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, revokeTokenSQL, storedTime(at), ref))
	if errors.Is(err, pgx.ErrNoRows) {
		return coopmap.Token{}, coopmap.NotFoundf("no token has id or name %q", ref)
	}
	if err != nil {
		return coopmap.Token{}, fmt.Errorf("postgis: revoke token: %w", ctxErr(ctx, err))
	}
	return t, nil
}

// TouchToken sets the token's last use. The error is CodeNotFound for an
// unknown id, the context's error when ctx ends first, or a database
// error.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, touchTokenSQL, storedTime(at), id)
	if err != nil {
		return fmt.Errorf("postgis: touch token: %w", ctxErr(ctx, err))
	}
	if tag.RowsAffected() == 0 {
		return coopmap.NotFoundf("no token has id %q", id)
	}
	return nil
}
