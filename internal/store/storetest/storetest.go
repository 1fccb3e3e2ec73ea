// Package storetest opens real databases for tests: a fresh SQLite file
// always, and a fresh PostgreSQL schema when OPEN_NOTEBOOK_TEST_POSTGRES_URL
// is set. Every test gets its own database, so tests may run in parallel
// and runs never collide.
package storetest

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/open-notebook/open-notebook/internal/record"
	"github.com/open-notebook/open-notebook/internal/store"
)

// PostgresURLVar names the variable that enables PostgreSQL tests.
const PostgresURLVar = "OPEN_NOTEBOOK_TEST_POSTGRES_URL"

// Engines returns the engines tests run on: SQLite always, PostgreSQL when
// the variable is set.
func Engines() []store.Engine {
	if os.Getenv(PostgresURLVar) != "" {
		return []store.Engine{store.SQLite, store.Postgres}
	}
	return []store.Engine{store.SQLite}
}

// Each runs fn as a subtest on every engine, each with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// Open returns a fresh, migrated database on engine, closed (and on
// PostgreSQL dropped) when the test ends.
func Open(t testing.TB, engine store.Engine) *store.DB {
	t.Helper()
	url, dir := URL(t, engine)
	db, err := store.Open(context.Background(), url, dir, Logger())
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// URL returns what store.Open needs for a fresh database on engine: a
// PostgreSQL URL whose search_path is a new schema, or an empty URL and a
// new data directory for SQLite.
func URL(t testing.TB, engine store.Engine) (dbURL, dataDir string) {
	t.Helper()
	if engine == store.SQLite {
		dir := t.TempDir()
		// A copy of a database migrated once: migrating each test's own
		// costs most of a second under the race detector.
		tmpl, err := sqliteTemplate()
		if err != nil {
			t.Fatalf("migrating the SQLite template: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, store.FileName), tmpl, 0o600); err != nil {
			t.Fatal(err)
		}
		return "", dir
	}
	base := os.Getenv(PostgresURLVar)
	if base == "" {
		t.Skip(PostgresURLVar + " is not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := "t_" + strings.TrimPrefix(record.NewID("x"), "x:")
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("PostgreSQL at %s: %v", PostgresURLVar, err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), ""
}

// sqliteTemplate is the file of a freshly migrated SQLite database, made
// once per test binary.
var sqliteTemplate = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "open-notebook-template-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(context.Background(), "", dir, Logger())
	if err != nil {
		return nil, err
	}
	// Closing checkpoints the write-ahead log into the file.
	if err := db.Close(); err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(dir, store.FileName))
})

// Logger discards log output.
func Logger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
