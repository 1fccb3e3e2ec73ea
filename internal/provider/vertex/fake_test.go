package vertex

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
)

const (
	accessToken  = "ya29.c.test-access-token-7f3e"
	clientEmail  = "notebook@my-project.iam.gserviceaccount.com"
	privateKeyID = "5d1c0ffee0123456789abcdef0123456789abcde"
)

// fake is an httptest Google: /token is the OAuth2 token endpoint, every
// other path is Vertex AI answered by the handler under test. It records
// every request.
type fake struct {
	*providertest.Server
	mu    sync.Mutex
	token http.HandlerFunc
}

func newFake(t *testing.T, api http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{token: grantTokens(3599)}
	f.Server = providertest.New(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			f.mu.Lock()
			token := f.token
			f.mu.Unlock()
			token(w, r)
			return
		}
		api(w, r)
	})
	return f
}

// family runs the tests every client family shares against Vertex AI's.
var family = providertest.Family[*Client]{
	Name:  "vertex",
	Serve: func(t *testing.T, api http.HandlerFunc) *providertest.Server { return newFake(t, api).Server },
	Make:  newClient,
	Received: func(t *testing.T, s *providertest.Server) {
		t.Helper()
		reqs := apiRequests(s)
		if len(reqs) != 1 {
			t.Fatalf("%d requests reached Vertex AI, want 1", len(reqs))
		}
		wantBearer(t, reqs[0])
	},
	Secrets: []string{accessToken, "PRIVATE KEY"},
}

// tokenRequests returns the requests s received at the token endpoint.
func tokenRequests(s *providertest.Server) []providertest.Request {
	return slices.DeleteFunc(s.Requests(), func(r providertest.Request) bool { return r.Path != "/token" })
}

// apiRequests returns the requests s received for Vertex AI itself.
func apiRequests(s *providertest.Server) []providertest.Request {
	return slices.DeleteFunc(s.Requests(), func(r providertest.Request) bool { return r.Path == "/token" })
}

// newClient returns a Vertex client for my-project in us-central1 whose
// key file names the fake's token endpoint.
func newClient(t *testing.T, s *providertest.Server) *Client {
	t.Helper()
	return New(provider.Config{Provider: "vertex", Settings: provider.Settings{Project: "my-project", Location: "us-central1", BaseURL: s.URL, CredentialsPath: writeKeyFile(t, s.URL+"/token")}}, s.Client())
}

// writeKeyFile writes a service-account key file shaped like the ones the
// Google Cloud console issues and returns its path.
func writeKeyFile(t *testing.T, tokenURI string) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(providertest.ServiceAccountKey())
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(map[string]string{
		"type":                        "service_account",
		"project_id":                  "my-project",
		"private_key_id":              privateKeyID,
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                clientEmail,
		"client_id":                   "104857600123456789012",
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   tokenURI,
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"client_x509_cert_url":        "https://www.googleapis.com/robot/v1/metadata/x509/notebook%40my-project.iam.gserviceaccount.com",
		"universe_domain":             "googleapis.com",
	})
	return writeFile(t, "key.json", string(doc))
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// grantTokens is a token endpoint that checks the JWT-bearer grant the way
// Google does (signature, issuer, audience, scope, lifetime) and answers
// with an access token valid for expiresIn seconds, or with Google's
// invalid_grant error.
func grantTokens(expiresIn int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != jwtBearerGrant {
			providertest.Reply(http.StatusBadRequest, `{"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "}`)(w, r)
			return
		}
		if err := checkAssertion(r.Form.Get("assertion"), "http://"+r.Host+"/token"); err != nil {
			providertest.Reply(http.StatusBadRequest, `{"error": "invalid_grant", "error_description": "`+err.Error()+`"}`)(w, r)
			return
		}
		providertest.Reply(http.StatusOK, `{"access_token": "`+accessToken+`", "expires_in": `+itoa(expiresIn)+`, "token_type": "Bearer"}`)(w, r)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func checkAssertion(assertion, audience string) error {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return errors.New("Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&providertest.ServiceAccountKey().PublicKey, crypto.SHA256, digest[:], sig) != nil {
		return errors.New("Invalid JWT Signature.")
	}
	var header struct{ Alg, Typ, Kid string }
	var claims struct {
		Iss, Scope, Aud string
		Iat, Exp        int64
	}
	for i, out := range []any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(raw, out) != nil {
			return errors.New("Invalid JWT: malformed segment")
		}
	}
	now := time.Now().Unix()
	switch {
	case header.Alg != "RS256" || header.Kid != privateKeyID:
		return errors.New("Invalid JWT: bad header")
	case claims.Iss != clientEmail || claims.Aud != audience || claims.Scope != scope:
		return errors.New("Invalid JWT: bad claims")
	case claims.Iat > now+5 || claims.Exp-claims.Iat > 3600 || claims.Exp < now:
		return errors.New("Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.")
	}
	return nil
}

// wantBearer checks a Vertex request carried the access token, and nothing
// in the URL or another header.
func wantBearer(t *testing.T, req providertest.Request) {
	t.Helper()
	providertest.WantCredential(t, req, "Authorization", "Bearer ", accessToken)
}

// tokenForm returns the form a token request carried.
func tokenForm(t *testing.T, req providertest.Request) url.Values {
	t.Helper()
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		t.Fatal(err)
	}
	return form
}
