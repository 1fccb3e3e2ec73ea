package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/credential"
	"github.com/open-notebook/open-notebook/internal/provider"
)

var errCredentialNotFound = apperr.New(apperr.NotFound, "Credential not found")

// credentialColumns are the credential columns in order: the settings'
// columns are named as the settings are (provider.SettingNames), and
// num_ctx lives in the config bag, as in the original.
var credentialColumns = `id, name, provider, modalities, api_key, api_key_hint, ` +
	strings.Join(credentialSettings, ", ") + `, config, last_tested_at, last_test_status, created, updated`

// credentialSettings are the settings' names, listed once: a credential is
// scanned on every request that names one.
var credentialSettings = provider.SettingNames()

// credentialSelect reads credentials with their model counts in the same
// query, so listing never costs a query per credential.
var credentialSelect = `SELECT ` + credentialColumns + `,
	(SELECT COUNT(*) FROM models m WHERE m.credential_id = c.id) AS model_count
	FROM credentials c`

func credentialArgs(r *credential.Record) ([]any, error) {
	modalities, err := json.Marshal(r.Modalities)
	if err != nil {
		return nil, err
	}
	var config sql.NullString
	bag := map[string]any{}
	for k, v := range r.Extra {
		bag[k] = v
	}
	if r.NumCtx > 0 {
		bag["num_ctx"] = r.NumCtx
	}
	if len(bag) > 0 {
		b, err := json.Marshal(bag)
		if err != nil {
			return nil, err
		}
		config = sql.NullString{String: string(b), Valid: true}
	}
	args := []any{r.ID, r.Name, r.Provider, string(modalities), null(r.APIKey), null(r.APIKeyHint)}
	for _, name := range provider.SettingNames() {
		args = append(args, null(r.Get(name)))
	}
	return append(args, config, nullMicros(r.LastTestedAt), null(r.LastTestStatus), micros(r.Created), micros(r.Updated)), nil
}

// null stores "" as NULL, as the original stores empty optional fields.
func null(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func scanCredential(s scanner) (*credential.Record, error) {
	// One allocation holds the record and every scan destination: each
	// local passed to Scan would otherwise be a heap allocation of its own,
	// and a credential is read on every request that names one.
	var v struct {
		r                         credential.Record
		modalities                string
		key, hint, config, status sql.NullString
		tested                    sql.NullInt64
		created, updated          int64
		dst                       [32]any // room for every column
	}
	r := &v.r
	settings := make([]sql.NullString, len(credentialSettings))
	dst := append(v.dst[:0], &r.ID, &r.Name, &r.Provider, &v.modalities, &v.key, &v.hint)
	for i := range settings {
		dst = append(dst, &settings[i])
	}
	dst = append(dst, &v.config, &v.tested, &v.status, &v.created, &v.updated, &r.ModelCount)
	if err := s.Scan(dst...); err != nil {
		return nil, err
	}
	if v.modalities == "[]" {
		r.Modalities = []string{}
	} else if err := json.Unmarshal([]byte(v.modalities), &r.Modalities); err != nil {
		return nil, err
	}
	for i, name := range credentialSettings {
		if settings[i].Valid {
			r.Set(name, settings[i].String)
		}
	}
	r.APIKey, r.APIKeyHint, r.LastTestStatus = v.key.String, v.hint.String, v.status.String
	r.LastTestedAt, r.Created, r.Updated = fromNullMicros(v.tested), fromMicros(v.created), fromMicros(v.updated)
	if v.config.Valid {
		if err := json.Unmarshal([]byte(v.config.String), &r.Extra); err != nil {
			return nil, err
		}
		if n, ok := r.Extra["num_ctx"].(float64); ok {
			r.NumCtx = int(n)
		}
		delete(r.Extra, "num_ctx")
		if len(r.Extra) == 0 {
			r.Extra = nil
		}
	}
	return r, nil
}

var insertCredential = `INSERT INTO credentials (` + credentialColumns + `) VALUES (` + placeholders(1, 21) + `)`

// placeholders renders $from, ..., $to.
func placeholders(from, to int) string {
	ps := make([]string, 0, to-from+1)
	for i := from; i <= to; i++ {
		ps = append(ps, "$"+strconv.Itoa(i))
	}
	return strings.Join(ps, ", ")
}

// CreateCredential implements credential.Store.
func (db *DB) CreateCredential(ctx context.Context, r *credential.Record) error {
	args, err := credentialArgs(r)
	if err != nil {
		return err
	}
	_, err = db.w(ctx).ExecContext(ctx, insertCredential, args...)
	return db.conflict(err, "Credential already exists")
}

// CreateCredentialLinking implements credential.Store.
func (db *DB) CreateCredentialLinking(ctx context.Context, r *credential.Record) (int, error) {
	args, err := credentialArgs(r)
	if err != nil {
		return 0, err
	}
	var linked int64
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, insertCredential, args...); err != nil {
			return db.conflict(err, "Credential already exists")
		}
		res, err := tx.ExecContext(ctx, `UPDATE models SET credential_id = $1, updated = $3
			WHERE lower(provider) = lower($2) AND credential_id IS NULL`, r.ID, r.Provider, micros(r.Updated))
		if err != nil {
			return err
		}
		linked, err = res.RowsAffected()
		return err
	})
	r.ModelCount = int(linked)
	return int(linked), err
}

// Credential implements credential.Store.
func (db *DB) Credential(ctx context.Context, id string) (*credential.Record, error) {
	r, err := scanCredential(db.r(ctx).QueryRowContext(ctx, credentialSelect+` WHERE c.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errCredentialNotFound
	}
	return r, err
}

// ListCredentials implements credential.Store.
func (db *DB) ListCredentials(ctx context.Context, provider string) ([]credential.Record, error) {
	q, args := credentialSelect+` ORDER BY c.provider, c.created, c.id`, []any(nil)
	if provider != "" {
		q, args = credentialSelect+` WHERE lower(c.provider) = lower($1) ORDER BY c.created, c.id`, []any{provider}
	}
	rows, err := db.r(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []credential.Record{}
	for rows.Next() {
		r, err := scanCredential(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

var updateCredential = func() string {
	set := []string{"name = $2"}
	for i, col := range append(append([]string{"modalities", "api_key", "api_key_hint"}, provider.SettingNames()...), "config") {
		set = append(set, col+" = $"+strconv.Itoa(i+3))
	}
	return `UPDATE credentials SET ` + strings.Join(set, ", ") + `, updated = $17 WHERE id = $1`
}()

// UpdateCredential implements credential.Store. The provider, creation
// time and last test result are not changed by an update.
func (db *DB) UpdateCredential(ctx context.Context, r *credential.Record) error {
	args, err := credentialArgs(r)
	if err != nil {
		return err
	}
	// args follow credentialColumns: keep id (0), then name (1) and
	// modalities through config (3..16), and updated (20); provider (2)
	// and the last test (17, 18) are not changed by an update.
	res, err := db.w(ctx).ExecContext(ctx, updateCredential, append(append([]any{args[0], args[1]}, args[3:17]...), args[20])...)
	return affected(res, err, errCredentialNotFound)
}

// DeleteCredential implements credential.Store.
func (db *DB) DeleteCredential(ctx context.Context, id, migrateTo string) (int, error) {
	var deleted int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := micros(time.Now())
		if migrateTo != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE models SET credential_id = $2, updated = $3 WHERE credential_id = $1`,
				id, migrateTo, now); err != nil {
				if db.isForeignKey(err) {
					return apperr.Newf(apperr.Invalid, "Target credential %s not found", migrateTo)
				}
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, `DELETE FROM models WHERE credential_id = $1`, id)
			if err != nil {
				return err
			}
			if deleted, err = res.RowsAffected(); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM credentials WHERE id = $1`, id)
		return affected(res, err, errCredentialNotFound)
	})
	if err != nil {
		return 0, err
	}
	return int(deleted), nil
}

// CredentialCounts implements credential.Store.
func (db *DB) CredentialCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.r(ctx).QueryContext(ctx, `SELECT lower(provider), COUNT(*) FROM credentials GROUP BY lower(provider)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var p string
		var n int
		if err := rows.Scan(&p, &n); err != nil {
			return nil, err
		}
		out[p] = n
	}
	return out, rows.Err()
}

// SealedKeys implements credential.Store.
func (db *DB) SealedKeys(ctx context.Context) ([]credential.Sealed, error) {
	rows, err := db.r(ctx).QueryContext(ctx, `SELECT id, api_key FROM credentials WHERE api_key IS NOT NULL ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []credential.Sealed
	for rows.Next() {
		var s credential.Sealed
		if err := rows.Scan(&s.ID, &s.Value); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ReplaceKey implements credential.Store: a compare-and-set, so a rotation
// never overwrites a key changed since it was read.
func (db *DB) ReplaceKey(ctx context.Context, id, old, new string) (bool, error) {
	res, err := db.w(ctx).ExecContext(ctx, `UPDATE credentials SET api_key = $3 WHERE id = $1 AND api_key = $2`, id, old, new)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RecordTest implements credential.Store.
func (db *DB) RecordTest(ctx context.Context, id string, at time.Time, status string) error {
	res, err := db.w(ctx).ExecContext(ctx, `UPDATE credentials SET last_tested_at = $2, last_test_status = $3 WHERE id = $1`,
		id, micros(at), status)
	return affected(res, err, errCredentialNotFound)
}
