package httpapi

import (
	"net/http"

	"github.com/open-notebook/open-notebook/internal/settings"
)

func (s *Server) settingsRoutes() []route {
	return []route{
		{method: "GET", path: "/api/settings", summary: "Content-processing settings", tag: "settings",
			out: settings.Content{}, handle: s.getSettings},
		{method: "PUT", path: "/api/settings", summary: "Update content-processing settings (null fields are kept)", tag: "settings",
			in: settings.Content{}, out: settings.Content{}, handle: s.putSettings},
	}
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) error {
	c, err := s.deps.Settings.Get(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) putSettings(w http.ResponseWriter, r *http.Request) error {
	var patch settings.Content
	if err := decodeJSON(r, &patch); err != nil {
		return err
	}
	c, err := s.deps.Settings.Update(r.Context(), patch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
