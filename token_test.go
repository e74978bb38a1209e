package coopmap_test

import (
	"strings"
	"testing"
	"time"

	"github.com/coopmap/coopmap"
)

func TestScopes(t *testing.T) {
	for _, s := range []string{"admin", "tours:write", "source:coops-uk:write", "source:coops-uk:moderate", coopmap.SourceWriteScope("a1")} {
		if err := coopmap.ValidateScope(s); err != nil {
			t.Errorf("ValidateScope(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", "Admin", "source:coops-uk", "source::write", "source:Coops:write", "source:coops-uk:delete", "source:a:b:write", "tours:read", " admin"} {
		if err := coopmap.ValidateScope(s); coopmap.ErrorCode(err) != coopmap.CodeInvalid || coopmap.ErrorField(err) != "scope" {
			t.Errorf("ValidateScope(%q) = %v; want invalid scope", s, err)
		}
	}
	tok := coopmap.Token{Scopes: []string{coopmap.SourceWriteScope("a")}}
	if !tok.Allows("source:a:write") || tok.Allows("source:a:moderate") || tok.Allows("source:b:write") || tok.Allows("admin") {
		t.Error("a source token's scopes leak")
	}
	admin := coopmap.Token{Scopes: []string{coopmap.ScopeAdmin}}
	if !admin.Allows("source:x:moderate") || !admin.Allows(coopmap.ScopeToursWrite) {
		t.Error("admin does not allow everything")
	}
}

func TestNewToken(t *testing.T) {
	secret, hash, id, err := coopmap.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "cm_") || len(secret) != 46 || !coopmap.WellFormedToken(secret) || !coopmap.ValidSlug(id) {
		t.Fatalf("NewToken = %q, id %q", secret, id)
	}
	if !coopmap.TokenMatches(hash, secret) || coopmap.TokenMatches(hash, secret[:45]+"A") || coopmap.TokenMatches(nil, secret) {
		t.Fatal("TokenMatches does not tell the secret apart")
	}
	other, _, id2, _ := coopmap.NewToken()
	if other == secret || id2 == id {
		t.Fatal("two tokens are the same")
	}
	for _, bad := range []string{"", "cm_", "cm_short", "xx_" + secret[3:], secret + "A", secret[:45] + "!"} {
		if coopmap.WellFormedToken(bad) {
			t.Errorf("WellFormedToken(%q) = true", bad)
		}
	}
}

func TestTokenActive(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		tok  coopmap.Token
		want bool
	}{
		{coopmap.Token{}, true},
		{coopmap.Token{ExpiresAt: now.Add(time.Second)}, true},
		{coopmap.Token{ExpiresAt: now}, false},
		{coopmap.Token{RevokedAt: now.Add(-time.Hour)}, false},
	} {
		if got := c.tok.Active(now); got != c.want {
			t.Errorf("%+v.Active = %v; want %v", c.tok, got, c.want)
		}
	}
}
