// Package perf holds the product's performance report: one benchmark that
// measures every figure the README and docs/performance.md quote, side by
// side in one run on one machine, and prints them as a table.
//
//	go test -run '^$' -bench Report -benchtime 1x -timeout 60m ./internal/perf
//
// With OPEN_NOTEBOOK_TEST_POSTGRES_URL set, the database figures are
// measured on PostgreSQL too. OPEN_NOTEBOOK_PERF_OUT names a file to write
// the table to as well. Everything listens on 127.0.0.1 and every load is
// bounded in time.
package perf
