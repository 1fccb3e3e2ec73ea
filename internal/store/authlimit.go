package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// AuthFailures implements ratelimit.FailureStore.
func (db *DB) AuthFailures(ctx context.Context, client string) (int, time.Time, error) {
	var (
		count int
		start int64
	)
	err := db.r(ctx).QueryRowContext(ctx, `SELECT failures, window_start FROM auth_failures WHERE client = $1`, client).Scan(&count, &start)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, err
	}
	return count, fromMicros(start), nil
}

// AddAuthFailure implements ratelimit.FailureStore with one upsert, which
// both engines apply atomically: replicas failing the same client at the
// same moment each see their own increment.
func (db *DB) AddAuthFailure(ctx context.Context, client string, now, expired time.Time) (int, time.Time, error) {
	var (
		count int
		start int64
	)
	err := db.w(ctx).QueryRowContext(ctx, `INSERT INTO auth_failures (client, window_start, failures) VALUES ($1, $2, 1)
		ON CONFLICT (client) DO UPDATE SET
			failures = CASE WHEN auth_failures.window_start <= $3 THEN 1 ELSE auth_failures.failures + 1 END,
			window_start = CASE WHEN auth_failures.window_start <= $3 THEN $2 ELSE auth_failures.window_start END
		RETURNING failures, window_start`, client, micros(now), micros(expired)).Scan(&count, &start)
	if err != nil {
		return 0, time.Time{}, err
	}
	return count, fromMicros(start), nil
}

// DeleteAuthFailuresBefore implements ratelimit.FailureStore.
func (db *DB) DeleteAuthFailuresBefore(ctx context.Context, t time.Time) error {
	_, err := db.w(ctx).ExecContext(ctx, `DELETE FROM auth_failures WHERE window_start <= $1`, micros(t))
	return err
}
