package vertex

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
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

// testKey is the service account's RSA key, generated once per test run.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return key
})

// received is one request as the fake saw it.
type received struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// fake is an httptest Google: /token is the OAuth2 token endpoint, every
// other path is Vertex AI answered by the handler under test. It records
// every request.
type fake struct {
	*httptest.Server
	token http.HandlerFunc
	mu    sync.Mutex
	reqs  []received
}

func newFake(t *testing.T, api http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{token: grantTokens(3599)}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, received{
			Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: body,
		})
		token := f.token
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.URL.Path == "/token" {
			token(w, r)
			return
		}
		api(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// requests returns the recorded requests to path, or all when path is "".
func (f *fake) requests(path string) []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []received
	for _, r := range f.reqs {
		if path == "" || r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// apiRequests returns the recorded requests to Vertex AI itself.
func (f *fake) apiRequests() []received {
	var out []received
	for _, r := range f.requests("") {
		if r.Path != "/token" {
			out = append(out, r)
		}
	}
	return out
}

// client returns a Vertex client for my-project in us-central1 whose key
// file names the fake's token endpoint.
func (f *fake) client(t *testing.T) *Client {
	t.Helper()
	return New(provider.Config{
		Provider: "vertex", Project: "my-project", Location: "us-central1", BaseURL: f.URL,
		CredentialsPath: writeKeyFile(t, f.URL+"/token"),
	}, f.Client())
}

// writeKeyFile writes a service-account key file shaped like the ones the
// Google Cloud console issues and returns its path.
func writeKeyFile(t *testing.T, tokenURI string) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(testKey())
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
	if rsa.VerifyPKCS1v15(&testKey().PublicKey, crypto.SHA256, digest[:], sig) != nil {
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
// in the URL.
func wantBearer(t *testing.T, req received) {
	t.Helper()
	if got := req.Header.Get("Authorization"); got != "Bearer "+accessToken {
		t.Errorf("Authorization = %q, want the bearer access token", got)
	}
	if req.Header.Get("x-goog-api-key") != "" || strings.Contains(req.Query, accessToken) {
		t.Errorf("the token was sent elsewhere too")
	}
}

// tokenForm returns the form a token request carried.
func tokenForm(t *testing.T, req received) url.Values {
	t.Helper()
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		t.Fatal(err)
	}
	return form
}

// wantProviderError checks err is a *provider.Error with the given
// classification that reveals neither the access token nor the key file.
func wantProviderError(t *testing.T, err error, status provider.Status, httpStatus int, message string) *provider.Error {
	t.Helper()
	return providertest.WantError(t, err, status, httpStatus, message, accessToken, "PRIVATE KEY")
}
