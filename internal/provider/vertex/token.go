package vertex

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
)

const (
	scope           = "https://www.googleapis.com/auth/cloud-platform"
	defaultTokenURI = "https://oauth2.googleapis.com/token"
	jwtBearerGrant  = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// maxCredentialsFile bounds the read of the credentials file; a key
	// file is about 2 KB.
	maxCredentialsFile = 64 << 10
	// maxTokenBody bounds the read of a token answer.
	maxTokenBody = 1 << 20
	// refreshMargin is how long before its expiry a token is replaced, so
	// that it does not expire in flight.
	refreshMargin = time.Minute
)

// ErrCredentialsFile is wrapped by the error for a credentials file that is
// missing, unreadable or not a service-account key. That error's message is
// always the same and never names the path, so that the path cannot be used
// to probe the server's file system (the original's oracle rule).
var ErrCredentialsFile = errors.New("invalid or inaccessible credentials file")

// credentialsFileMessage is the original's message for ErrCredentialsFile.
const credentialsFileMessage = "Invalid or inaccessible credentials file"

// serviceAccount is the part of a Google service-account key file that the
// JWT-bearer grant needs.
type serviceAccount struct {
	Type         string `json:"type"`
	ClientEmail  string `json:"client_email"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	TokenURI     string `json:"token_uri"`
}

// tokens exchanges a service-account key for OAuth2 access tokens and keeps
// the current one. golang.org/x/oauth2/google is not used because it
// requires the metadata-server module, and golang.org/x/oauth2/jwt neither
// honours the caller's context nor keeps the transport error's chain, which
// the timeout and egress-policy classification need.
type tokens struct {
	name string
	path string
	hc   *http.Client
	// lock is held while the token is read or renewed. A channel rather
	// than a mutex lets a caller stop waiting when its context ends.
	lock    chan struct{}
	account *serviceAccount
	key     *rsa.PrivateKey
	token   string
	expiry  time.Time
}

func newTokens(name, path string, hc *http.Client) *tokens {
	return &tokens{name: name, path: path, hc: hc, lock: make(chan struct{}, 1)}
}

// get returns a valid access token, fetching one only when the current one
// is missing or about to expire.
func (t *tokens) get(ctx context.Context) (string, error) {
	select {
	case t.lock <- struct{}{}:
	case <-ctx.Done():
		return "", provider.FromTransport(t.name, ctx.Err(), "")
	}
	defer func() { <-t.lock }()
	if t.token != "" && time.Until(t.expiry) > refreshMargin {
		return t.token, nil
	}
	if t.key == nil {
		account, key, err := loadServiceAccount(t.path)
		if err != nil {
			// err may name the path; it is dropped, not wrapped.
			return "", &provider.Error{Provider: t.name, Status: provider.StatusError,
				Message: credentialsFileMessage, Err: ErrCredentialsFile, Config: true}
		}
		t.account, t.key = account, key
	}
	token, expiry, err := t.fetch(ctx)
	if err != nil {
		return "", err
	}
	t.token, t.expiry = token, expiry
	return token, nil
}

// loadServiceAccount reads and checks a service-account key file. Only a
// regular file is opened, so that a path naming a FIFO or a device cannot
// block or flood the read.
func loadServiceAccount(path string) (*serviceAccount, *rsa.PrivateKey, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, nil, errors.New("not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCredentialsFile+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > maxCredentialsFile {
		return nil, nil, errors.New("too large for a key file")
	}
	var account serviceAccount
	if err := json.Unmarshal(data, &account); err != nil {
		return nil, nil, err
	}
	if account.Type != "service_account" || account.ClientEmail == "" {
		return nil, nil, errors.New("not a service-account key")
	}
	if account.TokenURI == "" {
		account.TokenURI = defaultTokenURI
	}
	if u, err := url.Parse(account.TokenURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, nil, errors.New("token_uri is not an HTTP URL")
	}
	key, err := parseKey(account.PrivateKey)
	if err != nil {
		return nil, nil, err
	}
	return &account, key, nil
}

// parseKey reads the PEM private key of a key file: PKCS #8 as Google
// issues them, or PKCS #1.
func parseKey(pemKey string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(pemKey))
	if block == nil {
		return nil, errors.New("private_key is not PEM")
	}
	if key, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rsaKey, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("private_key is not an RSA key")
		}
		return rsaKey, nil
	}
	return x509.ParsePKCS1PrivateKey(block.Bytes)
}

// fetch makes the JWT-bearer grant (RFC 7523) at the key file's token_uri.
func (t *tokens) fetch(ctx context.Context) (string, time.Time, error) {
	now := time.Now()
	assertion, err := t.assertion(now)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%s: signing the token request: %w", t.name, err)
	}
	form := url.Values{"grant_type": {jwtBearerGrant}, "assertion": {assertion}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.account.TokenURI, strings.NewReader(form.Encode()))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%s: building the token request: %w", t.name, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := t.hc.Do(req)
	if err != nil {
		return "", time.Time{}, provider.FromTransport(t.name, err, assertion)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody))
	if err != nil {
		return "", time.Time{}, provider.FromTransport(t.name, err, assertion)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", time.Time{}, t.refusal(resp, body, assertion)
	}
	var doc struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", time.Time{}, provider.Malformed(t.name, err)
	}
	if doc.AccessToken == "" {
		return "", time.Time{}, provider.Malformed(t.name, errors.New("the token answer has no access_token"))
	}
	return doc.AccessToken, now.Add(time.Duration(doc.ExpiresIn) * time.Second), nil
}

// refusal classifies a token endpoint's non-2xx answer. Its body is an
// OAuth2 error ({"error": "invalid_grant", "error_description": ...}); a
// refused grant means the key itself was rejected (revoked, deleted, or the
// account disabled), which is an authentication failure although Google
// answers it with 400.
func (t *tokens) refusal(resp *http.Response, body []byte, assertion string) error {
	resp.Body = io.NopCloser(bytes.NewReader(body))
	e := provider.FromResponse(t.name, resp, assertion)
	var doc struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &doc) == nil && doc.Error != "" {
		e.Message = "the token endpoint refused the service account: " + doc.Error
		if doc.Description != "" {
			e.Message += ": " + provider.Redact(doc.Description, assertion)
		}
		switch doc.Error {
		case "invalid_grant", "invalid_client", "unauthorized_client":
			e.Status = provider.StatusAuthFailed
		}
	}
	return e
}

// assertion is the signed JWT (RS256) that the grant exchanges.
func (t *tokens) assertion(now time.Time) (string, error) {
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
		Kid string `json:"kid,omitempty"`
	}{"RS256", "JWT", t.account.PrivateKeyID})
	if err != nil {
		return "", err
	}
	claims, err := json.Marshal(map[string]any{
		"iss":   t.account.ClientEmail,
		"scope": scope,
		"aud":   t.account.TokenURI,
		"iat":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
	})
	if err != nil {
		return "", err
	}
	signed := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(nil, t.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
