package httpapi

import (
	"context"

	"github.com/open-notebook/open-notebook/internal/notebook"
)

type searchIn struct {
	Query         *string  `json:"query" required:"true"`
	Type          *string  `json:"type" default:"text" enum:"text,vector"`
	Limit         *int     `json:"limit" default:"100" minimum:"1" maximum:"1000"`
	SearchSources *bool    `json:"search_sources" default:"true"`
	SearchNotes   *bool    `json:"search_notes" default:"true"`
	MinimumScore  *float64 `json:"minimum_score" default:"0.2" minimum:"0" maximum:"1"`
}

// searchHitOut is one result: text search reports relevance, vector
// search similarity, as the original does.
type searchHitOut struct {
	ID         string   `json:"id"`
	ParentID   string   `json:"parent_id"`
	Title      string   `json:"title"`
	Relevance  *float64 `json:"relevance,omitempty"`
	Similarity *float64 `json:"similarity,omitempty"`
	Matches    []string `json:"matches"`
}

type searchOut struct {
	Results    []searchHitOut `json:"results"`
	TotalCount int            `json:"total_count"`
	SearchType string         `json:"search_type"`
}

func (s *Server) searchRoutes() []route {
	return []route{
		endpoint(op{Method: "POST", Path: "/api/search", Summary: "Search sources and notes by keyword (text) or meaning (vector)", Tag: "search", Access: Read, Failure: "Search failed"},
			s.search),
	}
}

func (s *Server) search(ctx context.Context, in searchIn) (searchOut, error) {
	q := notebook.SearchQuery{Text: *in.Query, Limit: 100, Sources: true, Notes: true}
	if in.Limit != nil {
		q.Limit = *in.Limit
	}
	if in.SearchSources != nil {
		q.Sources = *in.SearchSources
	}
	if in.SearchNotes != nil {
		q.Notes = *in.SearchNotes
	}
	typ := "text"
	if in.Type != nil {
		typ = *in.Type
	}
	var (
		hits []notebook.SearchHit
		err  error
	)
	if typ == "vector" {
		min := 0.2
		if in.MinimumScore != nil {
			min = *in.MinimumScore
		}
		hits, err = s.app.Search.Vector(ctx, notebook.VectorQuery{Text: q.Text, Limit: q.Limit,
			Sources: q.Sources, Notes: q.Notes, MinimumScore: min})
	} else {
		hits, err = s.app.Search.Text(ctx, q)
	}
	if err != nil {
		return searchOut{}, err
	}
	out := searchOut{Results: make([]searchHitOut, len(hits)), TotalCount: len(hits), SearchType: typ}
	for i, h := range hits {
		score := h.Relevance
		out.Results[i] = searchHitOut{ID: h.ID, ParentID: h.ParentID, Title: h.Title, Matches: h.Matches}
		if typ == "vector" {
			out.Results[i].Similarity = &score
		} else {
			out.Results[i].Relevance = &score
		}
	}
	return out, nil
}
