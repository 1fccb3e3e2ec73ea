package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/open-notebook/open-notebook/internal/audit"
)

const auditColumns = `seq, at, actor, client_ip, action, target, outcome, details, prev_hash, hash`

// AppendAudit implements audit.Store. The first statement moves the chain
// head, which locks its one row until commit: on PostgreSQL a concurrent
// append (from any replica) waits there and then sees this entry as its
// predecessor; on SQLite the single writer already serializes. Either way
// the chain never forks.
func (db *DB) AppendAudit(ctx context.Context, e *audit.Entry, seal func(*audit.Entry)) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash`).
			Scan(&e.Seq, &e.PrevHash); err != nil {
			return err
		}
		seal(e)
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			e.Seq, micros(e.Time), e.Actor, e.ClientIP, e.Action, e.Target, e.Outcome, string(e.Details), e.PrevHash, e.Hash); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE audit_head SET hash = $1 WHERE id = 1`, e.Hash)
		return err
	})
}

// AuditHead implements audit.Store.
func (db *DB) AuditHead(ctx context.Context) (int64, string, error) {
	var (
		seq  int64
		hash string
	)
	err := db.r(ctx).QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash)
	return seq, hash, err
}

// AuditEntries implements audit.Store.
func (db *DB) AuditEntries(ctx context.Context, after int64, limit int) ([]audit.Entry, error) {
	return db.queryAudit(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
}

// ListAudit implements audit.Store.
func (db *DB) ListAudit(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Target != "" {
		add("target = ?", f.Target)
	}
	if !f.Since.IsZero() {
		add("at >= ?", micros(f.Since))
	}
	if !f.Until.IsZero() {
		add("at < ?", micros(f.Until))
	}
	if f.Before > 0 {
		add("seq < ?", f.Before)
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	q += ` ORDER BY seq DESC LIMIT $` + strconv.Itoa(len(args))
	return db.queryAudit(ctx, q, args...)
}

func (db *DB) queryAudit(ctx context.Context, q string, args ...any) ([]audit.Entry, error) {
	rows, err := db.r(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []audit.Entry{}
	for rows.Next() {
		var (
			e       audit.Entry
			at      int64
			details string
		)
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.ClientIP, &e.Action, &e.Target, &e.Outcome, &details, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		e.Time, e.Details = fromMicros(at), []byte(details)
		out = append(out, e)
	}
	return out, rows.Err()
}
