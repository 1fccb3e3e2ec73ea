package store

import (
	"context"
	"database/sql"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// riverSchemaVersion is the version of River's own schema this build
// needs. River's tables are created by the application's migrations, as
// migration riverMigration, so they are applied under the same lock as the
// rest of the schema (replicas starting together never race) and a River
// upgrade is a new, visible migration here.
const (
	riverSchemaVersion = 8
	riverMigration     = 7
)

// riverMigrations returns the Go migration that creates River's tables on
// engine.
func riverMigrations(e Engine) *goose.Migration {
	up := &rivermigrate.MigrateOpts{TargetVersion: riverSchemaVersion}
	down := &rivermigrate.MigrateOpts{TargetVersion: -1}
	if e == SQLite {
		// One transaction on goose's connection: the SQLite writer pool
		// has only that one.
		return goose.NewGoMigration(riverMigration,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				_, err := migrator(e, nil).MigrateTx(ctx, tx, rivermigrate.DirectionUp, up)
				return err
			}},
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				_, err := migrator(e, nil).MigrateTx(ctx, tx, rivermigrate.DirectionDown, down)
				return err
			}})
	}
	// Each of River's versions runs in its own transaction (PostgreSQL
	// cannot use an enum value in the transaction that added it), still
	// under the migration lock goose holds.
	return goose.NewGoMigration(riverMigration,
		&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error {
			_, err := migrator(e, db).Migrate(ctx, rivermigrate.DirectionUp, up)
			return err
		}},
		&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error {
			_, err := migrator(e, db).Migrate(ctx, rivermigrate.DirectionDown, down)
			return err
		}})
}

func migrator(e Engine, db *sql.DB) *rivermigrate.Migrator[*sql.Tx] {
	var driver riverdriver.Driver[*sql.Tx]
	if e == SQLite {
		driver = riversqlite.New(db)
	} else {
		driver = riverdatabasesql.New(db)
	}
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		panic(err) // only for a line name that does not exist: a programming error
	}
	return m
}

// TxOf returns the transaction of ctx (see InTx), or nil, so the job queue
// can insert a job in the transaction that creates the row it serves.
func (db *DB) TxOf(ctx context.Context) *sql.Tx { return db.txOf(ctx) }

// WritePool is the pool writes go through: on SQLite its one connection, so
// the job queue shares the single writer instead of competing with it (and
// no SQLITE_BUSY can arise between them); on PostgreSQL the shared pool.
func (db *DB) WritePool() *sql.DB { return db.write.DB }
