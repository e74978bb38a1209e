package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/coopmap/coopmap"
)

// runToken runs "coopmap token ARGS…" in-process.
func runToken(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"token"}, args...), &out, &errb, noEnv)
	return code, out.String(), errb.String()
}

// send makes an HTTP request with a bearer token and returns the status
// and body.
func send(t *testing.T, method, u, token, contentType string, body []byte, header ...string) (int, string) {
	t.Helper()
	q, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		q.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		q.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		q.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(q)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestTokenCommand drives coopmap token on each store: a token is printed
// once and works against a server on the same store (an edit with its
// name in the history, a re-import by upload through the CLI's parsers);
// the list shows no secret; bad scopes, names and lifetimes are refused;
// a revoked token stops working at once.
func TestTokenCommand(t *testing.T) {
	for _, s := range searchStores() {
		t.Run(s.name, func(t *testing.T) {
			db := s.db(t)
			if code, out, errs := runImport(t, append(newSource(db), tourCoops)...); code != 0 {
				t.Fatalf("import: exit %d %s %s", code, out, errs)
			}
			code, secret, errs := runToken(t, "create", "--db", db, "--name", "Co-operatives UK editors", "--scope", "source:coops-uk:write", "--scope", "source:coops-uk:moderate", "--expires", "90d")
			secret = strings.TrimSpace(secret)
			if code != 0 || !coopmap.WellFormedToken(secret) || !strings.Contains(errs, "only time it is shown") || !strings.Contains(errs, "expires ") {
				t.Fatalf("create: exit %d, stdout %q, stderr %s", code, secret, errs)
			}
			for _, c := range []struct {
				args []string
				code int
				says string
			}{
				{[]string{"create", "--db", db, "--name", "Co-operatives UK editors", "--scope", "admin"}, 1, "exists"},
				{[]string{"create", "--db", db, "--name", "x", "--scope", "source:coops-uk:delete"}, 1, "scope"},
				{[]string{"create", "--db", db, "--name", "x", "--scope", "source:Bad Slug:write"}, 1, "scope"},
				{[]string{"create", "--db", db, "--name", "x"}, 2, "--scope"},
				{[]string{"create", "--db", db, "--scope", "admin"}, 2, "--name"},
				{[]string{"create", "--db", db, "--name", "x", "--scope", "admin", "--expires", "soon"}, 1, "--expires"},
				{[]string{"create", "--db", db, "--name", "x", "--scope", "admin", "--expires", "-3h"}, 1, "--expires"},
				{[]string{"revoke", "--db", db}, 2, "ID or NAME"},
				{[]string{"revoke", "--db", db, "nobody"}, 1, "nobody"},
				{[]string{"frobnicate"}, 2, "Usage"},
			} {
				code, out, errs := runToken(t, c.args...)
				if code != c.code || !strings.Contains(out+errs, c.says) {
					t.Errorf("token %v: exit %d (want %d), output %q%q; want it to say %q", c.args, code, c.code, out, errs, c.says)
				}
			}
			code, admin, _ := runToken(t, "create", "--db", db, "--name", "admin", "--scope", "admin")
			admin = strings.TrimSpace(admin)
			if code != 0 {
				t.Fatal("create admin")
			}

			code, list, _ := runToken(t, "list", "--db", db)
			if code != 0 || !strings.Contains(list, "Co-operatives UK editors") || !strings.Contains(list, "source:coops-uk:write,source:coops-uk:moderate") ||
				!strings.Contains(list, "active") || strings.Contains(list, secret) || strings.Contains(list, admin) || strings.Contains(list, "cm_") {
				t.Fatalf("list: exit %d\n%s", code, list)
			}

			base, _, logs := startServer(t, Config{DB: db})
			item := base + "/collections/coops-uk/items/coops-uk.R035956"
			status, body := send(t, "PATCH", item, secret, "application/json", []byte(`{"properties":{"sector":"Retail"}}`), "If-Match", `W/"v1"`)
			if status != 200 || !strings.Contains(body, `"sector":"Retail"`) {
				t.Fatalf("PATCH with the new token: %d %s", status, body)
			}
			_, hist := send(t, "GET", item+"/history", "", "", nil)
			if !strings.Contains(hist, `"by":"Co-operatives UK editors"`) {
				t.Fatalf("history does not name the token: %s", hist)
			}
			csv, err := os.ReadFile(tourCoops)
			if err != nil {
				t.Fatal(err)
			}
			status, body = send(t, "POST", base+"/collections/coops-uk/import?name=coops.csv", secret, "text/csv", csv)
			var rep map[string]any
			if status != 200 || json.Unmarshal([]byte(body), &rep) != nil || rep["read"] != 9.0 || rep["updated"] != 1.0 {
				t.Fatalf("re-import by upload: %d %s", status, body)
			}
			status, _ = send(t, "POST", base+"/tours", secret, "application/json", []byte(`{}`))
			if status != 403 {
				t.Fatalf("a source token creating a tour: %d; want 403", status)
			}

			code, out, _ := runToken(t, "revoke", "--db", db, "Co-operatives UK editors")
			if code != 0 || !strings.Contains(out, "revoked") {
				t.Fatalf("revoke: exit %d %s", code, out)
			}
			status, _ = send(t, "PATCH", item, secret, "application/json", []byte(`{"properties":{"sector":"Food"}}`), "If-Match", `W/"v3"`)
			if status != 401 {
				t.Fatalf("PATCH with the revoked token: %d; want 401", status)
			}
			_, list, _ = runToken(t, "list", "--db", db)
			if !strings.Contains(list, "revoked ") || !strings.Contains(list, "admin") {
				t.Fatalf("list after revoking:\n%s", list)
			}
			if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), admin) {
				t.Fatal("a token reached the server's log")
			}
		})
	}
}

// TestParseLifetime covers --expires.
func TestParseLifetime(t *testing.T) {
	for in, want := range map[string]string{"never": "0s", "": "0s", "90d": "2160h0m0s", "12h": "12h0m0s", "1d": "24h0m0s"} {
		d, err := parseLifetime(in)
		if err != nil || d.String() != want {
			t.Errorf("parseLifetime(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, in := range []string{"0d", "-1d", "0s", "x", "d", "99999999d", "3w"} {
		if _, err := parseLifetime(in); err == nil {
			t.Errorf("parseLifetime(%q) accepted", in)
		}
	}
}

// TestWriteFlags covers --cors-write-origins and the write API's limits.
func TestWriteFlags(t *testing.T) {
	w := WriteFlags{CORSOrigins: " https://editor.example.org, http://localhost:5173 ", SuggestionLimit: 1, SuggestionWindow: 1, MaxImportBytes: 1}
	if o, err := w.origins(); err != nil || strings.Join(o, " ") != "https://editor.example.org http://localhost:5173" || w.validate() != nil {
		t.Fatalf("origins = %v, %v", o, err)
	}
	for _, bad := range []string{"*", "editor.example.org", "https://editor.example.org/path", "ftp://x", "https://*.example.org"} {
		if _, err := (WriteFlags{CORSOrigins: bad}).origins(); err == nil {
			t.Errorf("--cors-write-origins %q accepted", bad)
		}
	}
	if (WriteFlags{SuggestionLimit: 0, SuggestionWindow: 1, MaxImportBytes: 1}).validate() == nil {
		t.Error("--suggestion-limit 0 accepted")
	}
}
