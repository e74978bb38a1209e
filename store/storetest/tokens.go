package storetest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
)

// tokenStore returns s as a coopmap.TokenStore, failing the test when it
// is not one: both stores must keep tokens.
func tokenStore(t *testing.T, s coopmap.Store) coopmap.TokenStore {
	t.Helper()
	return capability[coopmap.TokenStore](t, s)
}

// NewTestToken returns a valid token with the name and scopes, created at
// created, and its secret; it is not stored.
func NewTestToken(tb testing.TB, name string, created time.Time, scopes ...string) (coopmap.Token, string) {
	tb.Helper()
	secret, hash, id, err := coopmap.NewToken()
	if err != nil {
		tb.Fatal(err)
	}
	return coopmap.Token{ID: id, Name: name, Scopes: scopes, Hash: hash, CreatedAt: created}, secret
}

// testTokens covers the TokenStore contract: tokens round-trip by their
// digest, only the digest is kept, names are unique, bad tokens are
// refused naming the field, revoking works by id or name and keeps the
// first revocation time, and last use is recorded.
func testTokens(t *testing.T, s coopmap.Store) {
	ts := tokenStore(t, s)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 123_000_000, time.UTC)

	a, secretA := NewTestToken(t, "Co-operatives UK editors", t0, coopmap.SourceWriteScope("coops-uk"), coopmap.SourceModerateScope("coops-uk"))
	a.ExpiresAt = t0.Add(90 * 24 * time.Hour)
	got, err := ts.CreateToken(ctx, a)
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	b, _ := NewTestToken(t, "admin", t0.Add(time.Second), coopmap.ScopeAdmin)
	if _, err := ts.CreateToken(ctx, b); err != nil {
		t.Fatalf("CreateToken(admin): %v", err)
	}

	back, err := ts.TokenByHash(ctx, coopmap.HashToken(secretA))
	if err != nil {
		t.Fatalf("TokenByHash: %v", err)
	}
	if back.ID != a.ID || back.Name != a.Name || !slices.Equal(back.Scopes, a.Scopes) || !back.CreatedAt.Equal(t0) ||
		!back.ExpiresAt.Equal(a.ExpiresAt) || !back.RevokedAt.IsZero() || !back.LastUsedAt.IsZero() || !bytes.Equal(back.Hash, a.Hash) {
		t.Fatalf("TokenByHash = %+v; want %+v (created %+v)", back, a, got)
	}
	if !coopmap.TokenMatches(back.Hash, secretA) || coopmap.TokenMatches(back.Hash, secretA+"x") {
		t.Fatal("TokenMatches does not tell the secret from another")
	}
	_, err = ts.TokenByHash(ctx, coopmap.HashToken("cm_not-a-token"))
	wantCode(t, err, coopmap.CodeNotFound, "")

	// Names are unique; bad tokens are refused, naming the field.
	dup, _ := NewTestToken(t, a.Name, t0, coopmap.ScopeAdmin)
	_, err = ts.CreateToken(ctx, dup)
	wantCode(t, err, coopmap.CodeConflict, "")
	for _, c := range []struct {
		edit  func(*coopmap.Token)
		field string
	}{
		{func(t *coopmap.Token) { t.Scopes = []string{"source:coops-uk:delete"} }, "scope"},
		{func(t *coopmap.Token) { t.Scopes = []string{"source:Not A Slug:write"} }, "scope"},
		{func(t *coopmap.Token) { t.Scopes = nil }, "scopes"},
		{func(t *coopmap.Token) { t.Scopes = []string{"admin", "admin"} }, "scope"},
		{func(t *coopmap.Token) { t.Name = "" }, "name"},
		{func(t *coopmap.Token) { t.Name = "tab\there" }, "name"},
		{func(t *coopmap.Token) { t.Hash = []byte("short") }, "hash"},
		{func(t *coopmap.Token) { t.ExpiresAt = t.CreatedAt.Add(-time.Hour) }, "expires_at"},
	} {
		bad, _ := NewTestToken(t, "bad", t0, coopmap.ScopeToursWrite)
		c.edit(&bad)
		_, err := ts.CreateToken(ctx, bad)
		wantCode(t, err, coopmap.CodeInvalid, c.field)
	}

	list, err := ts.Tokens(ctx)
	if err != nil {
		t.Fatalf("Tokens: %v", err)
	}
	if len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
		t.Fatalf("Tokens = %+v; want %s then %s", list, a.ID, b.ID)
	}

	// Revoke by name, then again by id: the first time stays.
	r1, err := ts.RevokeToken(ctx, a.Name, t0.Add(time.Hour))
	if err != nil || r1.ID != a.ID || !r1.RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("RevokeToken(name) = %+v, %v", r1, err)
	}
	if r1.Active(t0.Add(2 * time.Hour)) {
		t.Fatal("a revoked token is active")
	}
	r2, err := ts.RevokeToken(ctx, a.ID, t0.Add(2*time.Hour))
	if err != nil || !r2.RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("RevokeToken(id) again = %+v, %v; want the first revocation time kept", r2, err)
	}
	if back, err := ts.TokenByHash(ctx, a.Hash); err != nil || back.RevokedAt.IsZero() {
		t.Fatalf("revoked token reads back as %+v, %v", back, err)
	}
	_, err = ts.RevokeToken(ctx, "nobody", t0)
	wantCode(t, err, coopmap.CodeNotFound, "")

	if err := ts.TouchToken(ctx, b.ID, t0.Add(3*time.Hour)); err != nil {
		t.Fatalf("TouchToken: %v", err)
	}
	if back, err := ts.TokenByHash(ctx, b.Hash); err != nil || !back.LastUsedAt.Equal(t0.Add(3*time.Hour)) || !back.Active(t0.Add(4*time.Hour)) {
		t.Fatalf("touched token reads back as %+v, %v", back, err)
	}
	wantCode(t, ts.TouchToken(ctx, "tnobody", t0), coopmap.CodeNotFound, "")
}
