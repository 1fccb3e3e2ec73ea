package store

import (
	"context"
	"database/sql"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/model"
)

// RegisterModels stores the models that are not registered yet, in one
// transaction, and returns how many it created and how many existing ones
// it linked. A model exists when one with the same provider and name (both
// case-insensitively) and type does; the unique index decides, so
// concurrent registrations and repeats within ms never create a duplicate.
// A model with a CredentialID links an existing model of its identity to
// that credential when the existing one has none; a model linked to
// another credential keeps it.
func (db *DB) RegisterModels(ctx context.Context, ms []model.Model) (created, linked int, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		created, linked = 0, 0
		// A sync registers hundreds of models: parse each statement once.
		insert, err := tx.PrepareContext(ctx, `INSERT INTO models (`+modelColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer insert.Close()
		link, err := tx.PrepareContext(ctx, `UPDATE models SET credential_id = $1, updated = $2
			WHERE lower(provider) = lower($3) AND lower(name) = lower($4) AND type = $5 AND credential_id IS NULL`)
		if err != nil {
			return err
		}
		defer link.Close()
		for _, m := range ms {
			res, err := insert.ExecContext(ctx, m.ID, m.Name, m.Provider, m.Type, null(m.CredentialID),
				micros(m.Created), micros(m.Updated))
			if err != nil {
				if db.isForeignKey(err) {
					return apperr.Newf(apperr.NotFound, "Credential %s not found", m.CredentialID)
				}
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				created++
				continue
			}
			if m.CredentialID == "" {
				continue
			}
			res, err = link.ExecContext(ctx, m.CredentialID, micros(m.Updated), m.Provider, m.Name, m.Type)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			linked += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return created, linked, nil
}
