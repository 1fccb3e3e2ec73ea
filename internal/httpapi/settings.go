package httpapi

import (
	"context"

	"github.com/open-notebook/open-notebook/internal/settings"
)

func (s *Server) settingsRoutes() []route {
	svc := s.app.Settings
	return []route{
		endpoint(op{Method: "GET", Path: "/api/settings", Summary: "Content-processing settings", Tag: "settings", Access: Read},
			func(ctx context.Context, _ struct{}) (settings.Content, error) { return svc.Get(ctx) }),
		endpoint(op{Method: "PUT", Path: "/api/settings", Summary: "Update content-processing settings (null fields are kept)", Tag: "settings", Access: Admin, Audit: "settings.update"},
			func(ctx context.Context, patch settings.Content) (settings.Content, error) {
				return svc.Update(ctx, patch)
			}),
	}
}
