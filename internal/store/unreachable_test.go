package store_test

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/open-notebook/open-notebook/internal/store"
)

func TestUnreachableTellsALostDatabaseFromAFailedStatement(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"a connection cut mid-statement", io.ErrUnexpectedEOF, true},
		{"a refused connection", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true},
		{"a connection the pool found broken", fmt.Errorf("query: %w", driver.ErrBadConn), true},
		{"a transaction on a closed connection", sql.ErrConnDone, true},
		{"the server shutting down", &pgconn.PgError{Code: "57P01"}, true},
		{"the server starting", &pgconn.PgError{Code: "57P03"}, true},
		{"a connection exception", &pgconn.PgError{Code: "08006"}, true},
		{"a unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"a syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"no rows", sql.ErrNoRows, false},
		{"any other error", errors.New("boom"), false},
		{"no error", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := store.Unreachable(tc.err); got != tc.want {
				t.Fatalf("Unreachable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
