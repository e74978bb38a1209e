package coopmap

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// API tokens authorise writes: every write endpoint names the scope it
// needs, and a request carries one token as "Authorization: Bearer …".

// The scopes a token may hold besides the per-source ones
// (SourceWriteScope, SourceModerateScope).
const (
	// ScopeAdmin allows every write.
	ScopeAdmin = "admin"
	// ScopeToursWrite allows creating, updating and deleting tours.
	ScopeToursWrite = "tours:write"
)

// TokenPrefix starts every token secret, so a leaked one is recognisable
// (secret scanners, logs) and a bearer value without it is rejected before
// any lookup means anything.
const TokenPrefix = "cm_"

// tokenSecretBytes is the entropy of a token secret: 256 bits.
const tokenSecretBytes = 32

// tokenSecretLen is the length of a token secret: the prefix and the
// unpadded base64url of tokenSecretBytes.
var tokenSecretLen = len(TokenPrefix) + base64.RawURLEncoding.EncodedLen(tokenSecretBytes)

// MaxTokenName bounds a token's name, in bytes.
const MaxTokenName = 100

// MaxTokenScopes bounds the scopes of one token.
const MaxTokenScopes = 100

// SourceWriteScope returns the scope that allows editing the records and
// metadata of the source, and re-importing it.
func SourceWriteScope(sourceID string) string { return "source:" + sourceID + ":write" }

// SourceModerateScope returns the scope that allows listing, accepting and
// rejecting the suggestions made for the source.
func SourceModerateScope(sourceID string) string { return "source:" + sourceID + ":moderate" }

// ValidateScope checks that s is a scope coopmap knows: admin, tours:write,
// or source:{id}:write or source:{id}:moderate with a valid source slug.
// The source need not exist yet. The error is CodeInvalid naming "scope".
func ValidateScope(s string) error {
	switch s {
	case ScopeAdmin, ScopeToursWrite:
		return nil
	}
	if rest, ok := strings.CutPrefix(s, "source:"); ok {
		id, action, ok := strings.Cut(rest, ":")
		if ok && ValidSlug(id) && (action == "write" || action == "moderate") {
			return nil
		}
	}
	return Invalidf("scope", "%q is not a scope; use admin, tours:write, source:ID:write or source:ID:moderate", clip(s))
}

// Token is an API token as stored: never the secret itself, only its
// digest (Hash). Times are UTC; a zero ExpiresAt never expires, a zero
// RevokedAt is not revoked, a zero LastUsedAt was never used.
type Token struct {
	// ID is a short random public identifier, for listing and revoking.
	ID string `json:"id"`
	// Name says who or what holds the token; it is unique, and recorded
	// as the author of every change made with the token.
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	// Hash is HashToken of the secret. Stores set it on read; it is never
	// sent to clients.
	Hash       []byte    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// Validate checks a token before it is stored: an id, a name of printable
// text of at most MaxTokenName bytes, one to MaxTokenScopes known scopes
// without repeats, a SHA-256 hash, and an expiry after its creation. The
// error is CodeInvalid naming the field.
func (t Token) Validate() error {
	if t.ID == "" || !ValidSlug(t.ID) {
		return Invalidf("id", "token id %q is not a slug", clip(t.ID))
	}
	if strings.TrimSpace(t.Name) == "" {
		return Invalidf("name", "is required")
	}
	if err := checkStrings(field{"name", t.Name, MaxTokenName}); err != nil {
		return err
	}
	for _, r := range t.Name {
		if r < ' ' || r == 0x7f {
			return Invalidf("name", "contains a control character")
		}
	}
	if len(t.Scopes) == 0 {
		return Invalidf("scopes", "a token needs at least one scope")
	}
	if len(t.Scopes) > MaxTokenScopes {
		return Invalidf("scopes", "%d scopes; the limit is %d", len(t.Scopes), MaxTokenScopes)
	}
	seen := make(map[string]bool, len(t.Scopes))
	for _, s := range t.Scopes {
		if err := ValidateScope(s); err != nil {
			return err
		}
		if seen[s] {
			return Invalidf("scope", "%q is given twice", clip(s))
		}
		seen[s] = true
	}
	if len(t.Hash) != sha256.Size {
		return Invalidf("hash", "must be a SHA-256 digest")
	}
	if t.CreatedAt.IsZero() {
		return Invalidf("created_at", "is required")
	}
	if !t.ExpiresAt.IsZero() && !t.ExpiresAt.After(t.CreatedAt) {
		return Invalidf("expires_at", "must be after the token is created")
	}
	return nil
}

// Active reports whether the token may be used at now: not revoked and not
// expired.
func (t Token) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// Allows reports whether the token holds scope, or admin, which allows
// everything. It does not check Active.
func (t Token) Allows(scope string) bool {
	for _, s := range t.Scopes {
		if s == ScopeAdmin || s == scope {
			return true
		}
	}
	return false
}

// NewToken returns a fresh token secret ("cm_" and 43 characters of
// base64url over 32 random bytes from crypto/rand), its HashToken, and a
// random public id. The secret is shown to its holder once and never
// stored. The error is crypto/rand's, which does not happen on supported
// systems.
func NewToken() (secret string, hash []byte, id string, err error) {
	var b [tokenSecretBytes + 6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, "", err
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:tokenSecretBytes])
	return secret, HashToken(secret), "t" + hex.EncodeToString(b[tokenSecretBytes:]), nil
}

// HashToken returns the digest a token is stored and looked up by: SHA-256
// of the secret. A secret of 256 random bits cannot be guessed or
// brute-forced from its digest, so it needs no slow, salted password hash
// (bcrypt, argon2): those protect low-entropy passwords, and would make
// every API request pay for a deliberately slow computation. A plain digest
// also lets the store find the token by an index on the hash.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// WellFormedToken reports whether secret has the shape NewToken gives:
// the prefix followed by 43 base64url characters.
func WellFormedToken(secret string) bool {
	if len(secret) != tokenSecretLen || !strings.HasPrefix(secret, TokenPrefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(secret[len(TokenPrefix):])
	return err == nil
}

// TokenMatches reports, in time independent of where they differ, whether
// stored (a Token.Hash) is the digest of secret. Stores find a token by
// its digest; this re-check keeps a store that matched loosely from
// authorising the wrong token.
func TokenMatches(stored []byte, secret string) bool {
	return subtle.ConstantTimeCompare(stored, HashToken(secret)) == 1
}

// TokenStore is an optional Store capability: keeping API tokens. Without
// it the server has no tokens, so every write endpoint answers 401 and
// reads work as before.
type TokenStore interface {
	// CreateToken stores t (which must pass Token.Validate) and returns it
	// as stored. Errors: CodeInvalid naming the field, CodeConflict when
	// the id, name or hash is taken.
	CreateToken(ctx context.Context, t Token) (Token, error)
	// TokenByHash returns the token whose Hash is hash, revoked or expired
	// ones too. Errors: CodeNotFound.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	// Tokens returns every token, revoked and expired ones too, ordered by
	// creation time then id.
	Tokens(ctx context.Context) ([]Token, error)
	// RevokeToken marks the token whose id or, failing that, name is ref
	// as revoked at at, and returns it. Revoking a revoked token keeps its
	// first revocation time. Errors: CodeNotFound.
	RevokeToken(ctx context.Context, ref string, at time.Time) (Token, error)
	// TouchToken records that the token with the id was used at at.
	// Errors: CodeNotFound.
	TouchToken(ctx context.Context, id string, at time.Time) error
}
