package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/model"
)

var errModelNotFound = apperr.New(apperr.NotFound, "Model not found")

const modelColumns = `id, name, provider, type, credential_id, created, updated`

func scanModel(s scanner) (*model.Model, error) {
	var (
		m                model.Model
		cred             sql.NullString
		created, updated int64
	)
	if err := s.Scan(&m.ID, &m.Name, &m.Provider, &m.Type, &cred, &created, &updated); err != nil {
		return nil, err
	}
	m.CredentialID, m.Created, m.Updated = cred.String, fromMicros(created), fromMicros(updated)
	return &m, nil
}

func (db *DB) queryModels(ctx context.Context, q string, args ...any) ([]model.Model, error) {
	rows, err := db.r(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []model.Model{}
	for rows.Next() {
		m, err := scanModel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *m)
	}
	return out, rows.Err()
}

// CreateModel implements model.Store.
func (db *DB) CreateModel(ctx context.Context, m *model.Model) error {
	_, err := db.w(ctx).ExecContext(ctx, `INSERT INTO models (`+modelColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		m.ID, m.Name, m.Provider, m.Type, null(m.CredentialID), micros(m.Created), micros(m.Updated))
	if err != nil && db.isForeignKey(err) {
		return apperr.Newf(apperr.Invalid, "Credential %s not found", m.CredentialID)
	}
	return db.conflict(err, "Model already exists")
}

// Model implements model.Store.
func (db *DB) Model(ctx context.Context, id string) (*model.Model, error) {
	m, err := scanModel(db.r(ctx).QueryRowContext(ctx, `SELECT `+modelColumns+` FROM models WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errModelNotFound
	}
	return m, err
}

// ListModels implements model.Store.
func (db *DB) ListModels(ctx context.Context, typ string) ([]model.Model, error) {
	if typ == "" {
		return db.queryModels(ctx, `SELECT `+modelColumns+` FROM models ORDER BY provider, lower(name), type, id`)
	}
	return db.queryModels(ctx, `SELECT `+modelColumns+` FROM models WHERE type = $1 ORDER BY provider, lower(name), id`, typ)
}

// ModelsByProvider implements model.Store.
func (db *DB) ModelsByProvider(ctx context.Context, provider string) ([]model.Model, error) {
	return db.queryModels(ctx, `SELECT `+modelColumns+` FROM models WHERE lower(provider) = lower($1)
		ORDER BY type, lower(name), id`, provider)
}

// DeleteModel implements model.Store.
func (db *DB) DeleteModel(ctx context.Context, id string) error {
	res, err := db.w(ctx).ExecContext(ctx, `DELETE FROM models WHERE id = $1`, id)
	return affected(res, err, errModelNotFound)
}

// Defaults implements model.Store.
func (db *DB) Defaults(ctx context.Context) (map[string]string, error) {
	rows, err := db.r(ctx).QueryContext(ctx, `SELECT slot, model_id FROM default_models WHERE model_id IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var slot, id string
		if err := rows.Scan(&slot, &id); err != nil {
			return nil, err
		}
		out[slot] = id
	}
	return out, rows.Err()
}

// SetDefaults implements model.Store.
func (db *DB) SetDefaults(ctx context.Context, slots map[string]string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for slot, id := range slots {
			_, err := tx.ExecContext(ctx, `INSERT INTO default_models (slot, model_id) VALUES ($1, $2)
				ON CONFLICT (slot) DO UPDATE SET model_id = excluded.model_id`, slot, null(id))
			if err != nil && db.isForeignKey(err) {
				return apperr.Newf(apperr.Invalid, "Model %s not found", id)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// CredentialProvider implements model.Store.
func (db *DB) CredentialProvider(ctx context.Context, id string) (string, error) {
	var p string
	err := db.r(ctx).QueryRowContext(ctx, `SELECT provider FROM credentials WHERE id = $1`, id).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errCredentialNotFound
	}
	return p, err
}
