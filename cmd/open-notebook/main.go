// Command open-notebook is the Open Notebook server: one binary that serves
// the API on an embedded SQLite database by default, or on PostgreSQL.
//
// Usage:
//
//	open-notebook [serve]   run the server (the default)
//	open-notebook worker    run only the background workers
//	open-notebook migrate   apply database migrations and exit
//	open-notebook rotate-key
//	open-notebook import-provider-config FILE
//	open-notebook hash-password
//	open-notebook token create|list|revoke
//	open-notebook audit verify|export
//	open-notebook version   print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/open-notebook/open-notebook/internal/app"
	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/config"
	"github.com/open-notebook/open-notebook/internal/httpapi"
	"github.com/open-notebook/open-notebook/internal/update"
)

// version is the release; builds may override it with
// -ldflags "-X main.version=1.2.3".
var version = "0.1.0"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process globals, so tests can drive it.
func run(ctx context.Context, args []string, env config.Env, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, env, stderr)
	case "worker":
		err = worker(ctx, env, stderr)
	case "migrate":
		err = migrate(ctx, env, stdout, stderr)
	case "rotate-key":
		err = rotateKey(ctx, env, stdout, stderr)
	case "import-provider-config":
		err = importProviderConfig(ctx, args, env, stdout, stderr)
	case "hash-password":
		err = hashPassword(os.Stdin, stdout, stderr)
	case "token":
		err = tokenCmd(ctx, args, env, stdout, stderr)
	case "audit":
		err = auditCmd(ctx, args, env, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "open-notebook", version)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "open-notebook: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "open-notebook:", err)
		return 1
	}
	return 0
}

const usage = `Usage: open-notebook [command]

Commands:
  serve     run the server and its background workers (default)
  worker    run only the background workers (OPEN_NOTEBOOK_WORKERS of
            them), beside API-only servers with OPEN_NOTEBOOK_WORKERS=0
  migrate   apply database migrations and exit
  rotate-key
            re-seal every stored secret under OPEN_NOTEBOOK_ENCRYPTION_KEY
            (old keys in OPEN_NOTEBOOK_ENCRYPTION_KEY_PREVIOUS); safe while
            servers run, resumable
  import-provider-config FILE
            import the original's legacy provider configuration (JSON)
  hash-password
            read a password from standard input and print its Argon2id
            hash, for OPEN_NOTEBOOK_PASSWORD
  token create --scope read|write|admin [--expires 30d|never] [--name NAME]
  token list
  token revoke TOKEN_ID
            manage API tokens in the database (works offline)
  audit verify
            check the audit log's hash chain; report the first broken link
  audit export [--output FILE]
            write the audit log as JSON Lines
  version   print the version

Configuration comes from the environment; see README.md.
`

// setup loads the configuration and builds the logger it asks for.
func setup(env config.Env, stderr io.Writer) (*config.Config, *slog.Logger, error) {
	boot := slog.New(slog.NewTextHandler(stderr, nil))
	cfg, err := config.Load(env, boot)
	if err != nil {
		return nil, nil, err
	}
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(stderr, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(stderr, opts)
	}
	return cfg, slog.New(h), nil
}

// open loads the configuration and builds the application, for serve and
// every command. Commands act as the actor "cli" in the audit log.
func open(ctx context.Context, env config.Env, stderr io.Writer) (context.Context, *app.App, error) {
	cfg, logger, err := setup(env, stderr)
	if err != nil {
		return ctx, nil, err
	}
	a, err := app.Open(ctx, cfg, app.Options{Env: env, Logger: logger})
	if err != nil {
		return ctx, nil, err
	}
	return audit.WithActor(ctx, "cli", "local"), a, nil
}

func migrate(ctx context.Context, env config.Env, stdout, stderr io.Writer) error {
	cfg, logger, err := setup(env, stderr)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, app.Options{Env: env, Logger: logger})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrations applied (%s)\n", a.DB.Engine())
	return a.Close()
}

// checkExposure refuses to serve an unprotected API beyond this machine
// unless the operator explicitly accepts it.
func checkExposure(cfg *config.Config) error {
	if cfg.Password.Empty() && !config.IsLoopback(cfg.Listen) && !cfg.AllowNoPassword {
		return fmt.Errorf("refusing to listen on %s without a password: anyone who can reach it could use "+
			"your provider keys. Set OPEN_NOTEBOOK_PASSWORD (or OPEN_NOTEBOOK_PASSWORD_FILE), listen on "+
			"127.0.0.1 with OPEN_NOTEBOOK_LISTEN, or set OPEN_NOTEBOOK_ALLOW_NO_PASSWORD=true", cfg.Listen)
	}
	return nil
}

func serve(ctx context.Context, env config.Env, stderr io.Writer) error {
	cfg, logger, err := setup(env, stderr)
	if err != nil {
		return err
	}
	if err := checkExposure(cfg); err != nil {
		return err
	}
	if cfg.CORSWildcard && !config.IsLoopback(cfg.Listen) {
		logger.Warn("CORS_ORIGINS is not set: any web origin may call the API (without credentials). Set CORS_ORIGINS to your UI's origin to restrict it.")
	}

	a, err := app.Open(ctx, cfg, app.Options{Env: env, Logger: logger})
	if err != nil {
		return err
	}
	defer func() {
		if err := a.Close(); err != nil {
			logger.Error("closing the database", "error", err)
		}
	}()
	// Jobs started here may outlive a signal: Close gives them time to
	// finish, and a job cut short runs again later.
	if err := a.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	a.LoadVectors(ctx)
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return err
	}
	opts := httpapi.Options{Version: version}
	if cfg.VersionCheck {
		opts.Latest = update.NewChecker(a.HTTPClient(10*time.Second), cfg.VersionCheckURL, time.Now)
	}
	api, err := httpapi.New(a, opts)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return &config.Error{Var: "OPEN_NOTEBOOK_LISTEN", Msg: err.Error()}
	}
	// Slow clients: headers must arrive within ReadHeaderTimeout, and a
	// body or response that stalls for OPEN_NOTEBOOK_SLOW_CLIENT_TIMEOUT is
	// dropped (httpapi's guard), so large uploads still work.
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         tlsCfg,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "addr", ln.Addr().String(), "database", string(a.DB.Engine()),
		"auth", !cfg.Password.Empty(), "tls", tlsCfg != nil, "workers", cfg.Workers, "version", version)

	errc := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			errc <- srv.ServeTLS(api.Listener(ln), "", "")
			return
		}
		errc <- srv.Serve(api.Listener(ln))
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// worker runs the background workers without the API, until a signal.
func worker(ctx context.Context, env config.Env, stderr io.Writer) error {
	cfg, logger, err := setup(env, stderr)
	if err != nil {
		return err
	}
	if cfg.Workers == 0 {
		return &config.Error{Var: "OPEN_NOTEBOOK_WORKERS", Msg: "must be at least 1 for the worker command"}
	}
	a, err := app.Open(ctx, cfg, app.Options{Env: env, Logger: logger})
	if err != nil {
		return err
	}
	if err := a.Start(context.WithoutCancel(ctx)); err != nil {
		return errors.Join(err, a.Close())
	}
	logger.Info("running jobs", "workers", cfg.Workers, "database", string(a.DB.Engine()))
	<-ctx.Done()
	logger.Info("stopping: letting running jobs finish")
	return a.Close()
}
