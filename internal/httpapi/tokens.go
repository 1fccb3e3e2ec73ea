package httpapi

import (
	"net/http"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/auth"
)

type tokenCreateIn struct {
	Name      *string `json:"name" maxLength:"100" description:"What the token is for"`
	Scope     *string `json:"scope" required:"true" enum:"read,write,admin" description:"read: GET endpoints; write: also changes and provider calls; admin: also tokens, sessions, audit, encryption, settings"`
	ExpiresIn *string `json:"expires_in" description:"Lifetime such as 30d, 12h or 90m; absent or null: never expires"`
}

type tokenIDIn struct {
	ID string `path:"token_id"`
}

type tokenOut struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Scope      string  `json:"scope" enum:"read,write,admin"`
	Created    string  `json:"created"`
	ExpiresAt  *string `json:"expires_at"`
	LastUsedAt *string `json:"last_used_at"`
	LastUsedIP *string `json:"last_used_ip"`
	RevokedAt  *string `json:"revoked_at"`
}

type tokenCreatedOut struct {
	Token string `json:"token" description:"The secret (onb_...): shown only in this response, stored only as a hash"`
	tokenOut
}

func (s *Server) tokenRoutes() []route {
	return []route{
		{method: "POST", path: "/api/auth/tokens", summary: "Create an API token (admin); the secret is shown once", tag: "auth",
			in: tokenCreateIn{}, out: tokenCreatedOut{}, status: http.StatusCreated, handle: s.createToken},
		{method: "GET", path: "/api/auth/tokens", summary: "List API tokens, revoked ones included (admin)", tag: "auth",
			out: []tokenOut{}, handle: s.listTokens},
		{method: "DELETE", path: "/api/auth/tokens/{token_id}", summary: "Revoke an API token (admin)", tag: "auth",
			in: tokenIDIn{}, out: tokenOut{}, handle: s.revokeToken},
	}
}

func toTokenOut(t *auth.Token) tokenOut {
	out := tokenOut{ID: t.ID, Name: t.Name, Scope: t.Scope.String(), Created: formatTime(t.Created)}
	if t.Expires != nil {
		out.ExpiresAt = optional(formatTime(*t.Expires))
	}
	if t.LastUsed != nil {
		out.LastUsedAt = optional(formatTime(*t.LastUsed))
		out.LastUsedIP = optional(t.LastUsedIP)
	}
	if t.Revoked != nil {
		out.RevokedAt = optional(formatTime(*t.Revoked))
	}
	return out
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var in tokenCreateIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Scope == nil {
		return apperr.InvalidFields(missing("scope"))
	}
	scope, err := auth.ParseScope(*in.Scope)
	if err != nil {
		return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "scope"}, Type: "enum",
			Msg: "Input should be 'read', 'write' or 'admin'", Input: *in.Scope})
	}
	nt := auth.NewToken{Scope: scope}
	if in.Name != nil {
		nt.Name = *in.Name
	}
	if in.ExpiresIn != nil {
		if nt.Lifetime, err = auth.ParseLifetime(*in.ExpiresIn); err != nil {
			return apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "expires_in"}, Type: "value_error",
				Msg: err.Error(), Input: *in.ExpiresIn})
		}
	}
	secret, t, err := s.deps.Auth.CreateToken(r.Context(), nt)
	if err != nil {
		return err
	}
	details := map[string]any{"scope": t.Scope.String(), "name": t.Name}
	if t.Expires != nil {
		details["expires"] = formatTime(*t.Expires)
	}
	s.audit(r, "token.create", t.ID, audit.Success, details)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, tokenCreatedOut{Token: secret, tokenOut: toTokenOut(t)})
	return nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.deps.Auth.Tokens(r.Context())
	if err != nil {
		return err
	}
	out := make([]tokenOut, len(ts))
	for i := range ts {
		out[i] = toTokenOut(&ts[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	t, err := s.deps.Auth.RevokeToken(r.Context(), r.PathValue("token_id"))
	if err != nil {
		return err
	}
	s.audit(r, "token.revoke", t.ID, audit.Success, nil)
	writeJSON(w, http.StatusOK, toTokenOut(t))
	return nil
}
