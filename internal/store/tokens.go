package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/auth"
)

var errTokenNotFound = apperr.New(apperr.NotFound, "API token not found")

const tokenColumns = `id, name, scope, created, expires, last_used_at, last_used_ip, revoked`

// CreateToken implements auth.Store.
func (db *DB) CreateToken(ctx context.Context, t *auth.Token, secretHash string) error {
	_, err := db.w(ctx).ExecContext(ctx, `INSERT INTO api_tokens (id, secret_hash, name, scope, created, expires)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		t.ID, secretHash, t.Name, t.Scope.String(), micros(t.Created), nullMicros(t.Expires))
	return err
}

func scanToken(s scanner) (*auth.Token, error) {
	var (
		t                      auth.Token
		scope                  string
		created                int64
		expires, used, revoked sql.NullInt64
		usedIP                 sql.NullString
	)
	if err := s.Scan(&t.ID, &t.Name, &scope, &created, &expires, &used, &usedIP, &revoked); err != nil {
		return nil, err
	}
	var err error
	if t.Scope, err = auth.ParseScope(scope); err != nil {
		return nil, err
	}
	t.Created, t.Expires, t.LastUsed, t.Revoked = fromMicros(created), fromNullMicros(expires), fromNullMicros(used), fromNullMicros(revoked)
	t.LastUsedIP = usedIP.String
	return &t, nil
}

// TokenBySecret implements auth.Store.
func (db *DB) TokenBySecret(ctx context.Context, secretHash string) (*auth.Token, error) {
	t, err := scanToken(db.r(ctx).QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE secret_hash = $1`, secretHash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errTokenNotFound
	}
	return t, err
}

// Tokens implements auth.Store.
func (db *DB) Tokens(ctx context.Context) ([]auth.Token, error) {
	rows, err := db.r(ctx).QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY created DESC, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []auth.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// RevokeToken implements auth.Store. A revoked token keeps the time it was
// first revoked.
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time) (*auth.Token, error) {
	var t *auth.Token
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked = $2 WHERE id = $1 AND revoked IS NULL`, id, micros(at)); err != nil {
			return err
		}
		var err error
		t, err = scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return errTokenNotFound
		}
		return err
	})
	return t, err
}

// TouchToken implements auth.Store. It never moves last use backwards.
func (db *DB) TouchToken(ctx context.Context, id string, at time.Time, clientIP string) error {
	_, err := db.w(ctx).ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $2, last_used_ip = $3
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $2)`, id, micros(at), clientIP)
	return err
}
