package main

import (
	"crypto/tls"
	"time"

	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/auth"
	"github.com/open-notebook/open-notebook/internal/config"
	"github.com/open-notebook/open-notebook/internal/httpapi"
	"github.com/open-notebook/open-notebook/internal/ratelimit"
	"github.com/open-notebook/open-notebook/internal/store"
)

// security holds the password, sessions and tokens, the rate limits and the
// audit log, wired to the database.
type security struct {
	auth     *auth.Service
	failures *ratelimit.Failures
	apiLimit *ratelimit.Limiter
	costly   *ratelimit.Limiter
	audit    *audit.Log
}

func newSecurity(cfg *config.Config, db *store.DB, now func() time.Time) (*security, error) {
	password, err := auth.NewPassword(cfg.Password.Reveal(), now)
	if err != nil {
		return nil, &config.Error{Var: "OPEN_NOTEBOOK_PASSWORD", Msg: err.Error()}
	}
	return &security{
		auth: auth.NewService(db, password, auth.Options{
			SessionLifetime: cfg.SessionLifetime, SessionIdle: cfg.SessionIdleTimeout, Now: now}),
		failures: ratelimit.NewFailures(db, cfg.AuthFailureLimit.N, cfg.AuthFailureLimit.Per, now),
		apiLimit: ratelimit.NewLimiter(cfg.APIRateLimit.N, cfg.APIRateLimit.Per, now),
		costly:   ratelimit.NewLimiter(cfg.CostlyRateLimit.N, cfg.CostlyRateLimit.Per, now),
		audit:    audit.NewLog(db, now),
	}, nil
}

// apply sets the API's security dependencies.
func (s *security) apply(d *httpapi.Deps) {
	d.Auth, d.Failures, d.APILimit, d.Costly = s.auth, s.failures, s.apiLimit, s.costly
	d.Audit, d.AuditTrail = s.audit, s.audit
}

// tlsConfig loads the certificate and key when TLS is configured (nil
// otherwise), so a bad file stops start-up with the variable named rather
// than failing the first handshake.
func tlsConfig(cfg *config.Config) (*tls.Config, error) {
	if cfg.TLSCertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return nil, &config.Error{Var: "OPEN_NOTEBOOK_TLS_CERT_FILE", Msg: "cannot load the certificate and key: " + err.Error()}
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}
