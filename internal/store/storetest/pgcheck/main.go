// Command pgcheck exits non-zero when the PostgreSQL named by
// OPEN_NOTEBOOK_TEST_POSTGRES_URL does not answer, so CI fails early with a
// clear message instead of skipping the PostgreSQL tests.
package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func main() {
	url := os.Getenv("OPEN_NOTEBOOK_TEST_POSTGRES_URL")
	if url == "" {
		fmt.Fprintln(os.Stderr, "OPEN_NOTEBOOK_TEST_POSTGRES_URL is not set")
		os.Exit(1)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "invalid URL:", err)
		os.Exit(1)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var version string
	if err := db.QueryRowContext(ctx, "SHOW server_version").Scan(&version); err != nil {
		fmt.Fprintln(os.Stderr, "PostgreSQL does not answer:", err)
		os.Exit(1)
	}
	fmt.Println("PostgreSQL", version)
}
