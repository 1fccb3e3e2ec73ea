package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/open-notebook/open-notebook/internal/settings"
)

const contentSettingsKey = "content_settings"

// ContentSettings implements settings.Store.
func (db *DB) ContentSettings(ctx context.Context) (settings.Content, bool, error) {
	var raw string
	err := db.r(ctx).QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, contentSettingsKey).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return settings.Content{}, false, nil
	}
	if err != nil {
		return settings.Content{}, false, err
	}
	var c settings.Content
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return settings.Content{}, false, err
	}
	return c, true, nil
}

// SaveContentSettings implements settings.Store.
func (db *DB) SaveContentSettings(ctx context.Context, c settings.Content) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = db.w(ctx).ExecContext(ctx,
		`INSERT INTO settings (key, value) VALUES ($1, $2)
		 ON CONFLICT (key) DO UPDATE SET value = excluded.value`, contentSettingsKey, string(raw))
	return err
}
