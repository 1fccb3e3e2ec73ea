package httpapi

import (
	"net/http"

	"github.com/open-notebook/open-notebook/internal/credential"
)

func (s *Server) adminRoutes() []route {
	return []route{
		{method: "GET", path: "/api/admin/encryption/status", summary: "How stored secrets are sealed: rows per key id, Fernet, plaintext, undecryptable", tag: "admin",
			out: credential.EncryptionStatus{}, handle: s.encryptionStatus},
		{method: "POST", path: "/api/admin/encryption/rotate", summary: "Re-seal every stored secret under the current key (resumable)", tag: "admin",
			out: credential.RotateResult{}, handle: s.rotateKey},
	}
}

func (s *Server) encryptionStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := s.deps.Credentials.Vault().Status(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) rotateKey(w http.ResponseWriter, r *http.Request) error {
	res, err := s.deps.Credentials.Vault().Rotate(r.Context(), nil)
	if err != nil {
		return err
	}
	s.audit(r, "keyring.rotate", "", "success", map[string]any{"resealed": res.Resealed, "undecryptable": res.Undecryptable})
	writeJSON(w, http.StatusOK, res)
	return nil
}
