package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/coopmap/coopmap"
)

const tokenUsage = `Usage:
  coopmap token create --name NAME --scope SCOPE [--scope SCOPE…] [--expires 90d]
  coopmap token list
  coopmap token revoke ID|NAME

API tokens authorise the write API (docs/API.md, "Write API"): a request
sends one as "Authorization: Bearer TOKEN". create prints the new token on
stdout, once: only its SHA-256 digest is stored, so it cannot be shown
again. list shows every token without secrets; revoke stops a token at
once. The name is recorded as the author of every change made with it.

Scopes:
  admin                 every write
  source:ID:write       edit, delete, restore and re-import the records of
                        source ID, and its metadata
  source:ID:moderate    list, accept and reject suggestions for source ID
  tours:write           create, update and delete bike tours

Flags:
`

// tokenCommand runs "coopmap token SUBCOMMAND".
func tokenCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "create", "list", "revoke":
	case "-h", "--help", "help":
		fmt.Fprint(stdout, tokenUsage)
		return flag.ErrHelp
	default:
		fmt.Fprint(stderr, tokenUsage)
		return errUsage
	}
	var (
		c       Config
		name    string
		scopes  multiFlag
		expires string
	)
	fs := newFlagSet("token "+sub, stderr, getenv, &c)
	fs.Usage = func() { fmt.Fprint(fs.Output(), tokenUsage); fs.PrintDefaults() }
	if sub == "create" {
		fs.StringVar(&name, "name", "", "who or what holds the token, unique; recorded as the author of its changes (required)")
		fs.Var(&scopes, "scope", "a scope the token holds, repeatable (at least one)")
		fs.StringVar(&expires, "expires", "never", "lifetime: Nd (days), a Go duration such as 12h, or never")
	}
	var ref string
	if sub == "revoke" {
		if err := fs.Parse(args[1:]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return errUsage
		}
		if fs.NArg() != 1 {
			fmt.Fprintln(stderr, "coopmap token revoke: give one token ID or NAME")
			return errUsage
		}
		ref = fs.Arg(0)
	} else if err := parse(fs, args[1:]); err != nil {
		return err
	}
	var lifetime time.Duration
	if sub == "create" {
		if name == "" || len(scopes) == 0 {
			fmt.Fprintln(stderr, "coopmap token create: --name and at least one --scope are required")
			return errUsage
		}
		var err error
		if lifetime, err = parseLifetime(expires); err != nil {
			return err
		}
	}
	st, err := openLogged(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	ts, ok := st.(coopmap.TokenStore)
	if !ok {
		return fmt.Errorf("store %s keeps no tokens", redact(c.DB))
	}
	now := time.Now().UTC()
	switch sub {
	case "create":
		return createToken(ctx, ts, name, scopes, now, lifetime, stdout, stderr)
	case "revoke":
		t, err := ts.RevokeToken(ctx, ref, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %s (%s): revoked at %s\n", t.ID, t.Name, t.RevokedAt.Format(time.RFC3339))
		return nil
	}
	list, err := ts.Tokens(ctx)
	if err != nil {
		return err
	}
	return printTokens(stdout, list, now)
}

// createToken makes and stores a token, printing the secret alone on
// stdout (so scripts can capture it) and what it is on stderr.
func createToken(ctx context.Context, ts coopmap.TokenStore, name string, scopes []string, now time.Time, lifetime time.Duration, stdout, stderr io.Writer) error {
	secret, hash, id, err := coopmap.NewToken()
	if err != nil {
		return err
	}
	t := coopmap.Token{ID: id, Name: name, Scopes: scopes, Hash: hash, CreatedAt: now}
	if lifetime > 0 {
		t.ExpiresAt = now.Add(lifetime)
	}
	if t, err = ts.CreateToken(ctx, t); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "token %s (%s): created with %s, %s.\nThis is the only time it is shown: store it now.\n",
		t.ID, t.Name, strings.Join(t.Scopes, ", "), expiry(t))
	fmt.Fprintln(stdout, secret)
	return nil
}

// expiry says when a token expires.
func expiry(t coopmap.Token) string {
	if t.ExpiresAt.IsZero() {
		return "never expires"
	}
	return "expires " + t.ExpiresAt.Format(time.RFC3339)
}

// parseLifetime reads --expires: "never", N followed by d for days, or a
// Go duration. It must be positive.
func parseLifetime(s string) (time.Duration, error) {
	if s == "never" || s == "" {
		return 0, nil
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days > 100*366 {
			return 0, fmt.Errorf("--expires %q: want Nd (days), a duration such as 12h, or never", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("--expires %q: want Nd (days), a duration such as 12h, or never", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("--expires %q: must be in the future", s)
	}
	return d, nil
}

// printTokens writes the token list as a table, without secrets or
// digests.
func printTokens(w io.Writer, list []coopmap.Token, now time.Time) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "no tokens; create one with coopmap token create")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tEXPIRES\tLAST USED\tSTATE")
	day := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format(time.DateOnly)
	}
	for _, t := range list {
		state := "active"
		switch {
		case !t.RevokedAt.IsZero():
			state = "revoked " + day(t.RevokedAt)
		case !t.Active(now):
			state = "expired"
		}
		exp := day(t.ExpiresAt)
		if t.ExpiresAt.IsZero() {
			exp = "never"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, strings.Join(t.Scopes, ","), day(t.CreatedAt), exp, day(t.LastUsedAt), state)
	}
	return tw.Flush()
}
