// Package sqlite opens the embedded SQLite database and applies its
// migrations.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"runtime"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// pragmas apply to every connection. busy_timeout comes first so the
// connection already waits on a busy database while WAL is being switched
// on; foreign keys are off by default in SQLite and must be enabled per
// connection; NORMAL synchronous is durable against process crashes in WAL
// mode, which is what a server needs (only an OS crash can lose the tail).
var pragmas = []string{
	"busy_timeout(10000)",
	"journal_mode(WAL)",
	"synchronous(NORMAL)",
	"foreign_keys(ON)",
	"temp_store(MEMORY)",
}

// Open opens the database file at path as two pools: a single-connection
// writer whose transactions take the write lock at BEGIN (so a read-then-
// write transaction cannot fail with SQLITE_BUSY halfway), and a read-only
// pool for concurrent readers. It applies pending migrations.
func Open(ctx context.Context, path string, logger *slog.Logger, goMigrations ...*goose.Migration) (read, write *sql.DB, err error) {
	write, err = sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := migrate(ctx, write, logger, goMigrations); err != nil {
		write.Close()
		return nil, nil, err
	}
	read, err = sql.Open("sqlite", dsn(path, false))
	if err != nil {
		write.Close()
		return nil, nil, err
	}
	n := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxIdleTime(0)
	return read, write, nil
}

func dsn(path string, writer bool) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if writer {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

func migrate(ctx context.Context, db *sql.DB, logger *slog.Logger, goMigrations []*goose.Migration) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithSlog(logger), goose.WithGoMigrations(goMigrations...))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

// IsUniqueViolation reports a UNIQUE or PRIMARY KEY constraint failure.
func IsUniqueViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// IsUnavailable reports an error that says the database file cannot be
// opened or read (a missing or unmounted volume, a failing disk), not that
// a statement failed.
func IsUnavailable(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code()&0xff == sqlite3.SQLITE_CANTOPEN || e.Code()&0xff == sqlite3.SQLITE_IOERR)
}

// IsForeignKeyViolation reports a FOREIGN KEY constraint failure.
func IsForeignKeyViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
