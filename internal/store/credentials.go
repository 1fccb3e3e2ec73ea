package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/credential"
)

var errCredentialNotFound = apperr.New(apperr.NotFound, "Credential not found")

const credentialColumns = `id, name, provider, modalities, api_key, api_key_hint, base_url, endpoint, api_version,
	endpoint_llm, endpoint_embedding, endpoint_stt, endpoint_tts, project, location, credentials_path, config,
	last_tested_at, last_test_status, created, updated`

// credentialSelect reads credentials with their model counts in the same
// query, so listing never costs a query per credential.
const credentialSelect = `SELECT ` + credentialColumns + `,
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
	if r.NumCtx != nil {
		bag["num_ctx"] = *r.NumCtx
	}
	if len(bag) > 0 {
		b, err := json.Marshal(bag)
		if err != nil {
			return nil, err
		}
		config = sql.NullString{String: string(b), Valid: true}
	}
	return []any{r.ID, r.Name, r.Provider, string(modalities), null(r.APIKey), null(r.APIKeyHint), null(r.BaseURL),
		null(r.Endpoint), null(r.APIVersion), null(r.EndpointLLM), null(r.EndpointEmbedding), null(r.EndpointSTT),
		null(r.EndpointTTS), null(r.Project), null(r.Location), null(r.CredentialsPath), config,
		nullMicros(r.LastTestedAt), null(r.LastTestStatus), micros(r.Created), micros(r.Updated)}, nil
}

// null stores "" as NULL, as the original stores empty optional fields.
func null(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func scanCredential(s scanner) (*credential.Record, error) {
	var (
		r                                                               credential.Record
		modalities                                                      string
		key, hint, base, endpoint, version, llm, emb, stt, tts, project sql.NullString
		location, path, config, status                                  sql.NullString
		tested                                                          sql.NullInt64
		created, updated                                                int64
	)
	err := s.Scan(&r.ID, &r.Name, &r.Provider, &modalities, &key, &hint, &base, &endpoint, &version, &llm, &emb, &stt,
		&tts, &project, &location, &path, &config, &tested, &status, &created, &updated, &r.ModelCount)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(modalities), &r.Modalities); err != nil {
		return nil, err
	}
	r.APIKey, r.APIKeyHint, r.BaseURL, r.Endpoint, r.APIVersion = key.String, hint.String, base.String, endpoint.String, version.String
	r.EndpointLLM, r.EndpointEmbedding, r.EndpointSTT, r.EndpointTTS = llm.String, emb.String, stt.String, tts.String
	r.Project, r.Location, r.CredentialsPath, r.LastTestStatus = project.String, location.String, path.String, status.String
	r.LastTestedAt, r.Created, r.Updated = fromNullMicros(tested), fromMicros(created), fromMicros(updated)
	if config.Valid {
		if err := json.Unmarshal([]byte(config.String), &r.Extra); err != nil {
			return nil, err
		}
		if n, ok := r.Extra["num_ctx"].(float64); ok {
			v := int(n)
			r.NumCtx = &v
		}
		delete(r.Extra, "num_ctx")
		if len(r.Extra) == 0 {
			r.Extra = nil
		}
	}
	return &r, nil
}

const insertCredential = `INSERT INTO credentials (` + credentialColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`

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

// UpdateCredential implements credential.Store. The provider, creation
// time and last test result are not changed by an update.
func (db *DB) UpdateCredential(ctx context.Context, r *credential.Record) error {
	args, err := credentialArgs(r)
	if err != nil {
		return err
	}
	// args follow credentialColumns: keep id (0), then name (1) and
	// modalities through config (3..16), and updated (20).
	res, err := db.w(ctx).ExecContext(ctx, `UPDATE credentials SET name = $2, modalities = $3, api_key = $4,
		api_key_hint = $5, base_url = $6, endpoint = $7, api_version = $8, endpoint_llm = $9, endpoint_embedding = $10,
		endpoint_stt = $11, endpoint_tts = $12, project = $13, location = $14, credentials_path = $15, config = $16,
		updated = $17 WHERE id = $1`, append(append([]any{args[0], args[1]}, args[3:17]...), args[20])...)
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
