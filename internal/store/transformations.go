package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/open-notebook/open-notebook/internal/notebook"
)

const transformationColumns = `id, name, title, description, prompt, apply_default, model_id, created, updated`

func scanTransformation(sc scanner) (*notebook.Transformation, error) {
	var (
		t                notebook.Transformation
		model            sql.NullString
		created, updated int64
	)
	if err := sc.Scan(&t.ID, &t.Name, &t.Title, &t.Description, &t.Prompt, &t.ApplyDefault, &model, &created, &updated); err != nil {
		return nil, err
	}
	t.ModelID, t.Created, t.Updated = model.String, fromMicros(created), fromMicros(updated)
	return &t, nil
}

// CreateTransformation implements notebook.TransformationStore.
func (db *DB) CreateTransformation(ctx context.Context, t *notebook.Transformation) error {
	_, err := db.w(ctx).ExecContext(ctx, `INSERT INTO transformations (`+transformationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, t.ID, t.Name, t.Title, t.Description, t.Prompt, t.ApplyDefault,
		null(t.ModelID), micros(t.Created), micros(t.Updated))
	return err
}

// Transformation implements notebook.TransformationStore.
func (db *DB) Transformation(ctx context.Context, id string) (*notebook.Transformation, error) {
	t, err := scanTransformation(db.r(ctx).QueryRowContext(ctx, `SELECT `+transformationColumns+` FROM transformations WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notebook.ErrTransformationNotFound()
	}
	return t, err
}

// ListTransformations implements notebook.TransformationStore.
func (db *DB) ListTransformations(ctx context.Context) ([]notebook.Transformation, error) {
	rows, err := db.r(ctx).QueryContext(ctx, `SELECT `+transformationColumns+` FROM transformations ORDER BY name, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []notebook.Transformation{}
	for rows.Next() {
		t, err := scanTransformation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// UpdateTransformation implements notebook.TransformationStore.
func (db *DB) UpdateTransformation(ctx context.Context, t *notebook.Transformation) error {
	res, err := db.w(ctx).ExecContext(ctx, `UPDATE transformations SET name = $2, title = $3, description = $4, prompt = $5,
		apply_default = $6, model_id = $7, updated = $8 WHERE id = $1`, t.ID, t.Name, t.Title, t.Description, t.Prompt,
		t.ApplyDefault, null(t.ModelID), micros(t.Updated))
	return affected(res, err, notebook.ErrTransformationNotFound())
}

// DeleteTransformation implements notebook.TransformationStore.
func (db *DB) DeleteTransformation(ctx context.Context, id string) error {
	res, err := db.w(ctx).ExecContext(ctx, `DELETE FROM transformations WHERE id = $1`, id)
	return affected(res, err, notebook.ErrTransformationNotFound())
}

// DefaultPrompt implements notebook.TransformationStore.
func (db *DB) DefaultPrompt(ctx context.Context) (string, error) {
	var s string
	err := db.r(ctx).QueryRowContext(ctx, `SELECT transformation_instructions FROM default_prompts WHERE id = 1`).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return s, err
}

// SetDefaultPrompt implements notebook.TransformationStore.
func (db *DB) SetDefaultPrompt(ctx context.Context, instructions string) error {
	_, err := db.w(ctx).ExecContext(ctx, `INSERT INTO default_prompts (id, transformation_instructions) VALUES (1, $1)
		ON CONFLICT (id) DO UPDATE SET transformation_instructions = excluded.transformation_instructions`, instructions)
	return err
}

const insightColumns = `id, source_id, transformation_id, insight_type, content, created, updated`

func scanInsight(sc scanner) (*notebook.Insight, error) {
	var (
		in               notebook.Insight
		tr               sql.NullString
		created, updated int64
	)
	if err := sc.Scan(&in.ID, &in.SourceID, &tr, &in.Type, &in.Content, &created, &updated); err != nil {
		return nil, err
	}
	in.TransformationID, in.Created, in.Updated = tr.String, fromMicros(created), fromMicros(updated)
	return &in, nil
}

// CreateInsight implements notebook.InsightStore.
func (db *DB) CreateInsight(ctx context.Context, in *notebook.Insight) (bool, error) {
	var created bool
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO insights (`+insightColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (id) DO NOTHING`, in.ID, in.SourceID, null(in.TransformationID), in.Type, in.Content,
			micros(in.Created), micros(in.Updated))
		if err != nil {
			if db.isForeignKey(err) {
				return notebook.ErrSourceNotFound()
			}
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		created = true
		return db.indexDocument(ctx, tx, "insight", in.ID, in.Type, in.Content)
	})
	return created, err
}

// Insight implements notebook.InsightStore and notebook.ContentReader.
func (db *DB) Insight(ctx context.Context, id string) (*notebook.Insight, error) {
	in, err := scanInsight(db.r(ctx).QueryRowContext(ctx, `SELECT `+insightColumns+` FROM insights WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notebook.ErrInsightNotFound()
	}
	return in, err
}

// SourceInsights implements notebook.InsightStore.
func (db *DB) SourceInsights(ctx context.Context, sourceID string) ([]notebook.Insight, error) {
	rows, err := db.r(ctx).QueryContext(ctx, `SELECT `+insightColumns+` FROM insights WHERE source_id = $1 ORDER BY created, id`, sourceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []notebook.Insight{}
	for rows.Next() {
		in, err := scanInsight(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *in)
	}
	return out, rows.Err()
}

// DeleteInsight implements notebook.InsightStore.
func (db *DB) DeleteInsight(ctx context.Context, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM insights WHERE id = $1`, id)
		if err := affected(res, err, notebook.ErrInsightNotFound()); err != nil {
			return err
		}
		if err := deleteEmbeddings(ctx, tx, id); err != nil {
			return err
		}
		return db.unindex(ctx, tx, id)
	})
}

// EmbeddableOwners implements notebook.ContentReader.
func (db *DB) EmbeddableOwners(ctx context.Context, kind string, embedded bool) ([]string, error) {
	table, text := map[string][2]string{
		"source": {"sources", "full_text"}, "note": {"notes", "content"}, "insight": {"insights", "content"},
	}[kind][0], map[string]string{"source": "full_text", "note": "content", "insight": "content"}[kind]
	if table == "" {
		return nil, nil
	}
	q := `SELECT id FROM ` + table + ` WHERE trim(` + text + `) <> ''`
	if embedded {
		q += ` AND EXISTS (SELECT 1 FROM embeddings e WHERE e.owner_id = ` + table + `.id)`
	}
	rows, err := db.r(ctx).QueryContext(ctx, q+` ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
