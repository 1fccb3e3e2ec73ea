package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/config"
)

const auditUsage = `usage: open-notebook audit verify
       open-notebook audit export [--output FILE]`

// auditCmd verifies the audit log's chain or exports it as JSON Lines.
func auditCmd(ctx context.Context, args []string, env config.Env, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(auditUsage)
	}
	sub, args := args[0], args[1:]
	var output string
	switch sub {
	case "verify":
		if len(args) != 0 {
			return errors.New(auditUsage)
		}
	case "export":
		fs := flag.NewFlagSet("audit export", flag.ContinueOnError)
		fs.SetOutput(stderr)
		fs.StringVar(&output, "output", "", "write to FILE instead of standard output")
		if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
			return errors.New(auditUsage)
		}
	default:
		return fmt.Errorf("unknown audit command %q\n%s", sub, auditUsage)
	}

	ctx, a, err := open(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	log := a.Audit

	if sub == "verify" {
		rep, err := log.Verify(ctx)
		if err != nil {
			return err
		}
		if !rep.OK {
			fmt.Fprintf(stdout, "audit log BROKEN at entry %d: %s\n(the %d entries before it are intact)\n", rep.BrokenAt, rep.Problem, rep.Entries)
			return fmt.Errorf("the audit log's chain is broken at entry %d", rep.BrokenAt)
		}
		fmt.Fprintf(stdout, "audit log intact: %d entries, head %s\n", rep.Entries, rep.Head)
		return nil
	}

	n, err := exportAudit(ctx, log, output, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d audit entries\n", n)
	return nil
}

// exportAudit writes the log to the file named output, or to stdout when
// output is empty.
func exportAudit(ctx context.Context, log *audit.Log, output string, stdout io.Writer) (int64, error) {
	if output == "" {
		return log.Export(ctx, stdout)
	}
	f, err := os.OpenFile(output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := log.Export(ctx, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}
