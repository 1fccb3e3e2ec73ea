// Package postgres opens a PostgreSQL database through pgx and applies its
// migrations. Several server replicas may share one database: migrations
// run under a session-level advisory lock so only one replica applies them.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/crc64"
	"io/fs"
	"log/slog"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Open connects to url, checks the connection and applies pending migrations.
func Open(ctx context.Context, url string, logger *slog.Logger, goMigrations ...*goose.Migration) (*sql.DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, errors.New("invalid PostgreSQL URL")
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot connect: %s", describe(err))
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		db.Close()
		return nil, err
	}
	// Replicas migrating the same schema take the same advisory lock; other
	// schemas (other deployments, parallel tests) do not wait on it.
	var where string
	if err := db.QueryRowContext(ctx, `SELECT current_database() || '.' || current_schema()`).Scan(&where); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot read the current schema: %s", describe(err))
	}
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(int64(crc64.Checksum([]byte(where), crc64.MakeTable(crc64.ECMA))>>1)),
		lock.WithLockTimeout(1, 300))
	if err != nil {
		db.Close()
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker), goose.WithSlog(logger),
		goose.WithGoMigrations(goMigrations...))
	if err == nil {
		_, err = p.Up(ctx)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return db, nil
}

// describe reduces a connection error to text that cannot contain the
// password from the URL: the server's own message, or the network error.
func describe(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Severity + ": " + pe.Message + " (SQLSTATE " + pe.Code + ")"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Error()
	}
	return "connection failed"
}

// IsUniqueViolation reports a unique_violation (23505).
func IsUniqueViolation(err error) bool { return code(err) == "23505" }

// IsForeignKeyViolation reports a foreign_key_violation (23503).
func IsForeignKeyViolation(err error) bool { return code(err) == "23503" }

// IsConnectionLost reports an error that says the server could not be
// reached or the connection to it broke, not that a statement failed:
// connecting failed, the server ended the session (admin_shutdown,
// crash_shutdown, cannot_connect_now) or reported a connection exception
// (class 08).
func IsConnectionLost(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	switch c := code(err); {
	case strings.HasPrefix(c, "08"), c == "57P01", c == "57P02", c == "57P03":
		return true
	}
	return false
}

func code(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
