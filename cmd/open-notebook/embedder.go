package main

import (
	"context"

	"github.com/open-notebook/open-notebook/internal/ai"
	"github.com/open-notebook/open-notebook/internal/model"
	"github.com/open-notebook/open-notebook/internal/notebook"
)

// defaultEmbedder embeds notebook text with the default embedding model
// through the AI layer.
type defaultEmbedder struct {
	models *model.Service
	ai     *ai.Service
}

// Embed implements notebook.Embedder.
func (e defaultEmbedder) Embed(ctx context.Context, texts []string) ([][]float64, string, error) {
	m, ok, err := e.models.ResolveDefault(ctx, "embedding")
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", notebook.ErrNoEmbeddingModel()
	}
	vectors, err := e.ai.Embed(ctx, ai.ModelID(m.ID), texts)
	return vectors, m.ID, err
}
