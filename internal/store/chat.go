package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/open-notebook/open-notebook/internal/notebook"
)

const chatSessionColumns = `c.id, c.notebook_id, c.source_id, c.title, c.model_override, c.context_indicators, c.created, c.updated,
	(SELECT COUNT(*) FROM chat_messages m WHERE m.session_id = c.id)`

func scanChatSession(sc scanner) (*notebook.ChatSession, error) {
	var (
		s                         notebook.ChatSession
		nb, src, model, indicated sql.NullString
		created, updated          int64
	)
	if err := sc.Scan(&s.ID, &nb, &src, &s.Title, &model, &indicated, &created, &updated, &s.MessageCount); err != nil {
		return nil, err
	}
	s.NotebookID, s.SourceID, s.ModelOverride = nb.String, src.String, model.String
	s.Created, s.Updated = fromMicros(created), fromMicros(updated)
	if indicated.Valid {
		var ind notebook.ContextIndicators
		if json.Unmarshal([]byte(indicated.String), &ind) == nil {
			s.Indicators = &ind
		}
	}
	return &s, nil
}

func indicatorsJSON(ind *notebook.ContextIndicators) any {
	if ind == nil {
		return nil
	}
	b, _ := json.Marshal(ind)
	return string(b)
}

// CreateChatSession implements notebook.ChatStore.
func (db *DB) CreateChatSession(ctx context.Context, s *notebook.ChatSession) error {
	_, err := db.w(ctx).ExecContext(ctx, `INSERT INTO chat_sessions
		(id, notebook_id, source_id, title, model_override, context_indicators, created, updated)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, s.ID, null(s.NotebookID), null(s.SourceID), s.Title,
		null(s.ModelOverride), indicatorsJSON(s.Indicators), micros(s.Created), micros(s.Updated))
	return err
}

// ChatSession implements notebook.ChatStore.
func (db *DB) ChatSession(ctx context.Context, id string) (*notebook.ChatSession, error) {
	s, err := scanChatSession(db.r(ctx).QueryRowContext(ctx, `SELECT `+chatSessionColumns+` FROM chat_sessions c WHERE c.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notebook.ErrChatSessionNotFound()
	}
	return s, err
}

// ListChatSessions implements notebook.ChatStore.
func (db *DB) ListChatSessions(ctx context.Context, f notebook.ChatSessionFilter) ([]notebook.ChatSession, error) {
	q, arg := `WHERE c.notebook_id = $1 ORDER BY c.updated DESC, c.id`, f.NotebookID
	if f.SourceID != "" {
		q, arg = `WHERE c.source_id = $1 ORDER BY c.created DESC, c.id`, f.SourceID
	}
	rows, err := db.r(ctx).QueryContext(ctx, `SELECT `+chatSessionColumns+` FROM chat_sessions c `+q, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []notebook.ChatSession{}
	for rows.Next() {
		s, err := scanChatSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *s)
	}
	return out, rows.Err()
}

// UpdateChatSession implements notebook.ChatStore.
func (db *DB) UpdateChatSession(ctx context.Context, s *notebook.ChatSession) error {
	res, err := db.w(ctx).ExecContext(ctx, `UPDATE chat_sessions SET title = $2, model_override = $3,
		context_indicators = $4, updated = $5 WHERE id = $1`, s.ID, s.Title, null(s.ModelOverride),
		indicatorsJSON(s.Indicators), micros(s.Updated))
	return affected(res, err, notebook.ErrChatSessionNotFound())
}

// DeleteChatSession implements notebook.ChatStore; its messages go with it.
func (db *DB) DeleteChatSession(ctx context.Context, id string) error {
	res, err := db.w(ctx).ExecContext(ctx, `DELETE FROM chat_sessions WHERE id = $1`, id)
	return affected(res, err, notebook.ErrChatSessionNotFound())
}

// AppendChatMessage implements notebook.ChatStore. The message takes the
// next place in its session within one transaction, so two messages never
// share one.
func (db *DB) AppendChatMessage(ctx context.Context, m *notebook.ChatMessage) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO chat_messages (id, session_id, seq, role, content, model_id, created)
			SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6 FROM chat_messages WHERE session_id = $2`,
			m.ID, m.SessionID, m.Role, m.Content, null(m.ModelID), micros(m.Created))
		if err != nil && db.isForeignKey(err) {
			return notebook.ErrChatSessionNotFound()
		}
		return err
	})
}

// ChatMessages implements notebook.ChatStore.
func (db *DB) ChatMessages(ctx context.Context, sessionID string) ([]notebook.ChatMessage, error) {
	rows, err := db.r(ctx).QueryContext(ctx, `SELECT id, session_id, role, content, model_id, created
		FROM chat_messages WHERE session_id = $1 ORDER BY seq`, sessionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []notebook.ChatMessage{}
	for rows.Next() {
		var (
			m       notebook.ChatMessage
			model   sql.NullString
			created int64
		)
		if err := rows.Scan(&m.ID, &m.SessionID, &m.Role, &m.Content, &model, &created); err != nil {
			return nil, err
		}
		m.ModelID, m.Created = model.String, fromMicros(created)
		out = append(out, m)
	}
	return out, rows.Err()
}
