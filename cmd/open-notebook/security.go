package main

import (
	"crypto/tls"

	"github.com/open-notebook/open-notebook/internal/config"
)

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
