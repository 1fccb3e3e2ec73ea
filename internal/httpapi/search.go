package httpapi

import (
	"net/http"

	"github.com/open-notebook/open-notebook/internal/apperr"
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
		{method: "POST", path: "/api/search", summary: "Keyword search over sources and notes", tag: "search",
			in: searchIn{}, out: searchOut{}, handle: s.search},
	}
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	var in searchIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Query == nil {
		return apperr.InvalidFields(missing("query"))
	}
	q := notebook.SearchQuery{Text: *in.Query, Limit: 100, Sources: true, Notes: true}
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > notebook.MaxSearchLimit {
			return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "limit"}, Type: "less_than_equal",
				Msg: "Input should be between 1 and 1000", Input: *in.Limit})
		}
		q.Limit = *in.Limit
	}
	if in.MinimumScore != nil && (*in.MinimumScore < 0 || *in.MinimumScore > 1) {
		return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "minimum_score"}, Type: "less_than_equal",
			Msg: "Input should be between 0 and 1", Input: *in.MinimumScore})
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
	switch typ {
	case "text":
		hits, err = s.deps.Content.Search(r.Context(), q)
	case "vector":
		min := 0.2
		if in.MinimumScore != nil {
			min = *in.MinimumScore
		}
		hits, err = s.deps.Content.VectorSearch(r.Context(), notebook.VectorQuery{Text: q.Text, Limit: q.Limit,
			Sources: q.Sources, Notes: q.Notes, MinimumScore: min})
	default:
		return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "type"}, Type: "literal_error",
			Msg: "Input should be 'text' or 'vector'", Input: typ})
	}
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			return apperr.Wrap(apperr.Internal, "Search failed", err)
		}
		return err
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
	writeJSON(w, http.StatusOK, out)
	return nil
}
