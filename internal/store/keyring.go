package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"time"

	"github.com/open-notebook/open-notebook/internal/credential"
)

// InitKeyring implements credential.VaultStore. The insert is a no-op when
// a state exists, so the first replica to start decides the salt.
func (db *DB) InitKeyring(ctx context.Context, st credential.KeyringState) (credential.KeyringState, error) {
	_, err := db.w(ctx).ExecContext(ctx, `INSERT INTO keyring (id, salt, kdf_memory, kdf_time, kdf_threads, check_kid, updated)
		VALUES (1, $1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
		base64.StdEncoding.EncodeToString(st.Salt), st.Params.Memory, st.Params.Time, st.Params.Threads,
		null(st.CheckKID), micros(time.Now()))
	if err != nil {
		return credential.KeyringState{}, err
	}
	var (
		salt     string
		out      credential.KeyringState
		threads  int
		checkKID sql.NullString
	)
	err = db.w(ctx).QueryRowContext(ctx, `SELECT salt, kdf_memory, kdf_time, kdf_threads, check_kid FROM keyring WHERE id = 1`).
		Scan(&salt, &out.Params.Memory, &out.Params.Time, &threads, &checkKID)
	if err != nil {
		return credential.KeyringState{}, err
	}
	if out.Salt, err = base64.StdEncoding.DecodeString(salt); err != nil {
		return credential.KeyringState{}, err
	}
	out.Params.Threads = uint8(threads)
	out.CheckKID = checkKID.String
	return out, nil
}

// SetCheckKID implements credential.VaultStore.
func (db *DB) SetCheckKID(ctx context.Context, kid string) error {
	_, err := db.w(ctx).ExecContext(ctx, `UPDATE keyring SET check_kid = $1, updated = $2 WHERE id = 1`, kid, micros(time.Now()))
	return err
}
