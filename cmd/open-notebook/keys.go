package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/open-notebook/open-notebook/internal/credential"
)

// rotateKey re-seals every stored secret under the current key. It is
// safe while servers run (one row per transaction, compare-and-set) and
// can be interrupted and run again.
func rotateKey(ctx context.Context, env func(string) (string, bool), stdout, stderr io.Writer) error {
	ctx, a, err := open(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	// A terminal gets one line rewritten in place; a log or a pipe gets
	// plain lines, about one per tenth of the work.
	tty, overwritten := isTerminal(stdout), false
	res, err := a.Credentials.RotateKey(ctx, func(done, total int) {
		switch {
		case tty:
			fmt.Fprintf(stdout, "\rre-sealing secrets: %d/%d", done, total)
			overwritten = true
		case done == total || done%max(total/10, 1) == 0:
			fmt.Fprintf(stdout, "re-sealing secrets: %d/%d\n", done, total)
		}
	})
	if overwritten {
		fmt.Fprintln(stdout)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-sealed %d, already current %d, changed meanwhile %d, undecryptable %d\n",
		res.Resealed, res.AlreadyCurrent, res.Changed, res.Undecryptable)
	if res.Undecryptable > 0 {
		return fmt.Errorf("%d secrets could not be opened with the configured keys: add the key that sealed them to OPEN_NOTEBOOK_ENCRYPTION_KEY_PREVIOUS and run rotate-key again", res.Undecryptable)
	}
	fmt.Fprintln(stdout, "every secret is sealed under the current key; OPEN_NOTEBOOK_ENCRYPTION_KEY_PREVIOUS can be removed")
	return nil
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// importProviderConfig imports the original's legacy provider configuration
// from a JSON file (the open_notebook:provider_configs record).
func importProviderConfig(ctx context.Context, args []string, env func(string) (string, bool), stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: open-notebook import-provider-config FILE")
	}
	raw, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var doc struct {
		Credentials map[string][]credential.LegacyCredential `json:"credentials"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || doc.Credentials == nil {
		return fmt.Errorf("%s is not the legacy provider configuration ({\"credentials\": {...}})", args[0])
	}
	ctx, a, err := open(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := a.Credentials.MigrateFromProviderConfig(ctx, doc.Credentials)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res.Message)
	for _, line := range []struct {
		label string
		items []string
	}{{"migrated", res.Migrated}, {"skipped", res.Skipped}, {"errors", res.Errors}} {
		if len(line.items) > 0 {
			fmt.Fprintf(stdout, "%s: %s\n", line.label, strings.Join(line.items, ", "))
		}
	}
	if len(res.Errors) > 0 {
		return fmt.Errorf("%d entries could not be imported", len(res.Errors))
	}
	return nil
}
