package httpapi

import (
	"context"
	"net/http"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/auth"
)

type tokenCreateIn struct {
	Name      *string `json:"name" description:"What the token is for (at most 100 characters)"`
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
	svc := s.app.Auth
	return []route{
		endpoint(op{Method: "POST", Path: "/api/auth/tokens", Summary: "Create an API token (admin); the secret is shown once", Tag: "auth",
			Access: Admin, Audit: "token.create", Status: http.StatusCreated},
			func(ctx context.Context, in tokenCreateIn) (tokenCreatedOut, error) {
				nt := auth.NewToken{Name: deref(in.Name)}
				var err error
				if nt.Scope, err = auth.ParseScope(*in.Scope); err != nil {
					return tokenCreatedOut{}, err
				}
				if in.ExpiresIn != nil {
					if nt.Lifetime, err = auth.ParseLifetime(*in.ExpiresIn); err != nil {
						return tokenCreatedOut{}, apperr.InvalidFields(apperr.FieldError{Loc: []any{"body", "expires_in"}, Type: "value_error",
							Msg: err.Error(), Input: *in.ExpiresIn})
					}
				}
				secret, t, err := svc.CreateToken(ctx, nt)
				if err != nil {
					return tokenCreatedOut{}, err
				}
				return tokenCreatedOut{Token: secret, tokenOut: toTokenOut(t)}, nil
			}),
		endpoint(op{Method: "GET", Path: "/api/auth/tokens", Summary: "List API tokens, revoked ones included (admin)", Tag: "auth", Access: Admin},
			func(ctx context.Context, _ struct{}) ([]tokenOut, error) {
				ts, err := svc.Tokens(ctx)
				return mapSlice(ts, toTokenOut), err
			}),
		endpoint(op{Method: "DELETE", Path: "/api/auth/tokens/{token_id}", Summary: "Revoke an API token (admin)", Tag: "auth", Access: Admin, Audit: "token.revoke"},
			func(ctx context.Context, in tokenIDIn) (tokenOut, error) {
				return render(toTokenOut)(svc.RevokeToken(ctx, in.ID))
			}),
	}
}

// respond marks a new token's response as never to be cached: it carries
// the secret.
func (o tokenCreatedOut) respond(w http.ResponseWriter, _ *http.Request, status int) error {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, o)
	return nil
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
