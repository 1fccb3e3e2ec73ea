package httpapi

import (
	"context"

	"github.com/open-notebook/open-notebook/internal/credential"
)

func (s *Server) adminRoutes() []route {
	creds := s.app.Credentials
	return []route{
		endpoint(op{Method: "GET", Path: "/api/admin/encryption/status", Summary: "How stored secrets are sealed: rows per key id, Fernet, plaintext, undecryptable", Tag: "admin", Access: Admin},
			func(ctx context.Context, _ struct{}) (credential.EncryptionStatus, error) {
				return creds.Vault().Status(ctx)
			}),
		endpoint(op{Method: "POST", Path: "/api/admin/encryption/rotate", Summary: "Re-seal every stored secret under the current key (resumable)", Tag: "admin", Access: Admin, Audit: "keyring.rotate"},
			func(ctx context.Context, _ struct{}) (credential.RotateResult, error) {
				return creds.RotateKey(ctx, nil)
			}),
	}
}
