package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/open-notebook/open-notebook/internal/auth"
	"github.com/open-notebook/open-notebook/internal/config"
)

const tokenUsage = `usage: open-notebook token create --scope read|write|admin [--expires 30d|never] [--name NAME]
       open-notebook token list
       open-notebook token revoke TOKEN_ID`

// defaultTokenLifetime is how long a token made without --expires lasts.
const defaultTokenLifetime = "30d"

// tokenCmd manages API tokens directly in the database, so an operator can
// issue the first token without the server running or a password at hand.
// Each change is recorded in the audit log with the actor "cli".
func tokenCmd(ctx context.Context, args []string, env config.Env, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(tokenUsage)
	}
	sub, args := args[0], args[1:]
	var (
		nt      auth.NewToken
		scope   string
		expires string
	)
	switch sub {
	case "create":
		fs := flag.NewFlagSet("token create", flag.ContinueOnError)
		fs.SetOutput(stderr)
		fs.StringVar(&scope, "scope", "", "read, write or admin (required)")
		// The same default as the web UI's: a forgotten token stops working
		// on its own.
		fs.StringVar(&expires, "expires", defaultTokenLifetime, "lifetime such as 30d, 12h or 90m, or never")
		fs.StringVar(&nt.Name, "name", "", "what the token is for")
		if err := fs.Parse(args); err != nil {
			return errors.New(tokenUsage)
		}
		if scope == "" {
			return errors.New("--scope is required: read, write or admin\n" + tokenUsage)
		}
		var err error
		if nt.Scope, err = auth.ParseScope(scope); err != nil {
			return fmt.Errorf("--scope: %w", err)
		}
		if expires != "never" {
			if nt.Lifetime, err = auth.ParseLifetime(expires); err != nil {
				return fmt.Errorf("--expires: %w", err)
			}
		}
	case "list":
	case "revoke":
		if len(args) != 1 {
			return errors.New(tokenUsage)
		}
	default:
		return fmt.Errorf("unknown token command %q\n%s", sub, tokenUsage)
	}

	ctx, a, err := open(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer a.Close()

	switch sub {
	case "create":
		secret, t, err := a.Auth.CreateToken(ctx, nt)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret)
		fmt.Fprintf(stderr, "created %s (scope %s, %s); the token above is shown only once\n", t.ID, t.Scope, expiry(t))
	case "list":
		ts, err := a.Auth.Tokens(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tCREATED\tEXPIRES\tLAST USED\tSTATUS")
		for i := range ts {
			t := &ts[i]
			used := "never"
			if t.LastUsed != nil {
				used = t.LastUsed.Format(time.RFC3339) + " from " + t.LastUsedIP
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Scope, t.Created.Format(time.RFC3339),
				expiry(t), used, status(t, time.Now()))
		}
		return tw.Flush()
	case "revoke":
		t, err := a.Auth.RevokeToken(ctx, args[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s\n", t.ID)
	}
	return nil
}

func expiry(t *auth.Token) string {
	if t.Expires == nil {
		return "never expires"
	}
	return "expires " + t.Expires.Format(time.RFC3339)
}

func status(t *auth.Token, now time.Time) string {
	switch {
	case t.Revoked != nil:
		return "revoked " + t.Revoked.Format(time.RFC3339)
	case t.Expires != nil && !now.Before(*t.Expires):
		return "expired"
	}
	return "active"
}
