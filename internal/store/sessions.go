package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/auth"
)

var errSessionNotFound = apperr.New(apperr.NotFound, "Session not found")

// CreateSession implements auth.Store.
func (db *DB) CreateSession(ctx context.Context, s *auth.Session, secretHash string) error {
	_, err := db.w(ctx).ExecContext(ctx, `INSERT INTO sessions (id, secret_hash, client_ip, user_agent, created, last_seen, expires)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.ID, secretHash, s.ClientIP, s.UserAgent, micros(s.Created), micros(s.LastSeen), micros(s.Expires))
	return err
}

// SessionBySecret implements auth.Store.
func (db *DB) SessionBySecret(ctx context.Context, secretHash string) (*auth.Session, error) {
	var (
		s                          auth.Session
		created, lastSeen, expires int64
		revoked                    sql.NullInt64
	)
	err := db.r(ctx).QueryRowContext(ctx, `SELECT id, client_ip, user_agent, created, last_seen, expires, revoked
		FROM sessions WHERE secret_hash = $1`, secretHash).
		Scan(&s.ID, &s.ClientIP, &s.UserAgent, &created, &lastSeen, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errSessionNotFound
	}
	if err != nil {
		return nil, err
	}
	s.Created, s.LastSeen, s.Expires, s.Revoked = fromMicros(created), fromMicros(lastSeen), fromMicros(expires), fromNullMicros(revoked)
	return &s, nil
}

// TouchSession implements auth.Store. It never moves last use backwards,
// whichever replica writes last.
func (db *DB) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := db.w(ctx).ExecContext(ctx, `UPDATE sessions SET last_seen = $2 WHERE id = $1 AND last_seen < $2`, id, micros(at))
	return err
}

// RevokeSession implements auth.Store.
func (db *DB) RevokeSession(ctx context.Context, id string, at time.Time) error {
	res, err := db.w(ctx).ExecContext(ctx, `UPDATE sessions SET revoked = $2 WHERE id = $1 AND revoked IS NULL`, id, micros(at))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return err
		}
		return errSessionNotFound
	}
	return nil
}

// RevokeAllSessions implements auth.Store: it revokes the sessions that are
// still usable and returns how many.
func (db *DB) RevokeAllSessions(ctx context.Context, at time.Time) (int, error) {
	res, err := db.w(ctx).ExecContext(ctx, `UPDATE sessions SET revoked = $1 WHERE revoked IS NULL AND expires > $1`, micros(at))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DeleteSessionsExpiredBefore implements auth.Store.
func (db *DB) DeleteSessionsExpiredBefore(ctx context.Context, t time.Time) error {
	_, err := db.w(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE expires < $1`, micros(t))
	return err
}
