// Package store is the one database implementation of the domain packages'
// Store interfaces. The same SQL, written with $N placeholders, runs on the
// embedded SQLite database and on PostgreSQL; only the DDL (in each engine's
// migrations) and a few error codes differ.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/store/postgres"
	"github.com/open-notebook/open-notebook/internal/store/sqlite"
)

// Engine names a database engine.
type Engine string

// Engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is an open database. It is safe for concurrent use.
type DB struct {
	engine Engine
	read   pool // SQLite: a read-only pool; PostgreSQL: the same pool as write
	write  pool // SQLite: one connection, transactions take the lock at BEGIN

	statements *atomic.Int64 // statements sent outside transactions, for tests and diagnostics

	isUnique     func(error) bool
	isForeignKey func(error) bool
}

// FileName is the SQLite database file inside the data directory.
const FileName = "open-notebook.db"

// Open opens the database named by url (PostgreSQL), or the SQLite database
// in dataDir when url is empty, and applies pending migrations.
func Open(ctx context.Context, url, dataDir string, logger *slog.Logger) (*DB, error) {
	if url != "" {
		db, err := postgres.Open(ctx, url, logger, riverMigrations(Postgres))
		if err != nil {
			return nil, err
		}
		return newDB(Postgres, db, db, postgres.IsUniqueViolation, postgres.IsForeignKeyViolation), nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	read, write, err := sqlite.Open(ctx, filepath.Join(dataDir, FileName), logger, riverMigrations(SQLite))
	if err != nil {
		return nil, err
	}
	return newDB(SQLite, read, write, sqlite.IsUniqueViolation, sqlite.IsForeignKeyViolation), nil
}

func newDB(e Engine, read, write *sql.DB, isUnique, isForeignKey func(error) bool) *DB {
	n := new(atomic.Int64)
	rp := pool{DB: read, n: n, stmts: new(sync.Map), detachRows: e == SQLite}
	wp := rp
	if write != read {
		wp = pool{DB: write, n: n, stmts: new(sync.Map)}
	}
	return &DB{engine: e, read: rp, write: wp, statements: n, isUnique: isUnique, isForeignKey: isForeignKey}
}

// pool is a connection pool that prepares each statement once and reuses
// it (SQLite would otherwise parse the SQL on every call), and counts the
// statements it runs, so tests can prove that an endpoint costs a constant
// number of queries. The cache is bounded by the SQL texts in this package.
type pool struct {
	*sql.DB
	n     *atomic.Int64
	stmts *sync.Map // SQL text → *sql.Stmt
	// detachRows runs single-row reads without the caller's cancellation.
	// Set for SQLite's read pool: such a read of a local file takes
	// microseconds (WAL readers do not wait for the writer, and any wait is
	// bounded by busy_timeout), while a cancellable context costs two
	// goroutines per statement (database/sql's and the driver's watchers),
	// about a fifth of the read. Reads of many rows keep their
	// cancellation; on PostgreSQL every read does, as a network can hang.
	detachRows bool
}

func (p pool) stmt(ctx context.Context, q string) *sql.Stmt {
	if s, ok := p.stmts.Load(q); ok {
		return s.(*sql.Stmt)
	}
	s, err := p.DB.PrepareContext(ctx, q)
	if err != nil {
		return nil // the unprepared call below reports the error
	}
	if prev, loaded := p.stmts.LoadOrStore(q, s); loaded {
		s.Close()
		return prev.(*sql.Stmt)
	}
	return s
}

func (p pool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	p.n.Add(1)
	if s := p.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, q, args...)
}

func (p pool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	p.n.Add(1)
	if p.detachRows {
		ctx = context.WithoutCancel(ctx)
	}
	if s := p.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, q, args...)
}

func (p pool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	p.n.Add(1)
	if s := p.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return p.DB.ExecContext(ctx, q, args...)
}

func (p pool) close() error {
	p.stmts.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
	return p.DB.Close()
}

// Statements reports how many statements have run outside transactions.
func (db *DB) Statements() int64 { return db.statements.Load() }

// Engine reports which engine db runs on.
func (db *DB) Engine() Engine { return db.engine }

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

// Close closes the pools. On SQLite it first checkpoints the WAL so the
// database file is complete on its own.
func (db *DB) Close() error {
	var errs []error
	if db.engine == SQLite {
		if _, err := db.write.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, db.read.close())
	}
	errs = append(errs, db.write.close())
	return errors.Join(errs...)
}

// querier runs statements: a pool, or the transaction of the context.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// txKey carries a transaction in a context; the DB is part of the key, so
// a transaction of one database is never used for another.
type txKey struct{ db *DB }

func (db *DB) txOf(ctx context.Context) *sql.Tx {
	tx, _ := ctx.Value(txKey{db}).(*sql.Tx)
	return tx
}

// r returns what reads run on: the context's transaction, so a change and
// what it reads back agree, else the read pool.
func (db *DB) r(ctx context.Context) querier {
	if tx := db.txOf(ctx); tx != nil {
		return tx
	}
	return db.read
}

// w returns what writes run on: the context's transaction, else the write
// pool.
func (db *DB) w(ctx context.Context) querier {
	if tx := db.txOf(ctx); tx != nil {
		return tx
	}
	return db.write
}

// InTx runs fn in one write transaction, committing when it returns nil.
// Every store method called with the context fn receives takes part in
// the transaction, so a domain change and the audit entry that records it
// are stored together or not at all. Inside a transaction, InTx joins it.
// On SQLite the transaction holds the one writer connection: fn must do
// nothing but database work, and quickly.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		return fn(context.WithValue(ctx, txKey{db}, tx))
	})
}

// tx runs fn in a write transaction, committing when it returns nil, or in
// the context's transaction when there is one.
func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if tx := db.txOf(ctx); tx != nil {
		return fn(tx)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Unreachable reports whether err means the database could not be reached
// or the connection to it was lost, rather than that a statement failed.
// Such a failure ends by itself: the pools drop broken connections and open
// new ones once the database answers again.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	if postgres.IsConnectionLost(err) || sqlite.IsUnavailable(err) {
		return true
	}
	// A connection that breaks in the middle of a statement surfaces from
	// the driver as the bare network error or end of stream.
	var netErr *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &netErr)
}

// conflict turns a unique-constraint failure into an apperr Conflict with
// msg; other errors pass through.
func (db *DB) conflict(err error, msg string) error {
	if err != nil && db.isUnique(err) {
		return apperr.Wrap(apperr.Conflict, msg, err)
	}
	return err
}

// micros converts a time to the stored form, Unix microseconds.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros converts a stored time back, in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

func fromNullMicros(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}
