package providertest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/secret"
)

// Call is one call of a provider.Client with a plausible request, named
// after the method it calls.
type Call struct {
	Name string
	Do   func(ctx context.Context, c provider.Client) error
	// Raw marks a call that returns the answer as it is (audio) rather
	// than decoding JSON, so it cannot find an answer malformed.
	Raw bool
}

// The calls of the provider.Client methods. What they ask matters little:
// the fakes they meet in these tests answer every request alike.
var (
	ListModels = Call{Name: "ListModels", Do: func(ctx context.Context, c provider.Client) error {
		_, err := c.ListModels(ctx)
		return err
	}}
	Probe = Call{Name: "Probe", Do: func(ctx context.Context, c provider.Client) error {
		_, err := c.Probe(ctx)
		return err
	}}
)

// Chat asks model to answer "Hi".
func Chat(model string) Call {
	return Call{Name: "Chat", Do: func(ctx context.Context, c provider.Client) error {
		_, err := c.Chat(ctx, provider.ChatRequest{Model: model, Messages: []provider.Message{{Role: "user", Content: "Hi"}}})
		return err
	}}
}

// Embed asks model to embed input.
func Embed(model string, input ...string) Call {
	return Call{Name: "Embed", Do: func(ctx context.Context, c provider.Client) error {
		_, err := c.Embed(ctx, provider.EmbedRequest{Model: model, Input: input})
		return err
	}}
}

// Speak asks model to say "Hi"; an empty model leaves the choice to the
// client.
func Speak(model string) Call {
	return Call{Name: "Speak", Raw: true, Do: func(ctx context.Context, c provider.Client) error {
		_, err := c.Speak(ctx, provider.SpeechRequest{Model: model, Text: "Hi"})
		return err
	}}
}

// Transcribe asks model to transcribe a few bytes of audio; an empty
// model leaves the choice to the client.
func Transcribe(model string) Call {
	return Call{Name: "Transcribe", Do: func(ctx context.Context, c provider.Client) error {
		_, err := c.Transcribe(ctx, provider.TranscriptionRequest{Model: model, Audio: []byte("RIFF")})
		return err
	}}
}

// Failure is an answer a provider may give and the *provider.Error its
// client must report for it.
type Failure struct {
	Name       string
	Answer     http.HandlerFunc
	Status     provider.Status
	HTTPStatus int    // 0 when no answer is read
	Message    string // what the error's message must contain
	RetryAfter time.Duration
	// JSONOnly marks an answer that only calls decoding JSON can find
	// wrong, such as a malformed body; Raw calls skip it.
	JSONOnly bool
}

// SlowAnswer is a provider that does not answer before the call's
// deadline, which every family reports as a timeout.
var SlowAnswer = Failure{
	Name:   "an answer slower than the deadline is a timeout",
	Answer: Stall,
	Status: provider.StatusTimeout, Message: "did not answer in time",
}

// Unreadable is a 200 answer whose body a call cannot read.
type Unreadable struct {
	Name   string
	Answer string // the body, labelled JSON
	Call   Call
}

// Credential is how a family's test clients authenticate: Key, after Prefix
// (as in "Bearer "), in Header.
type Credential struct {
	Header, Prefix, Key string
}

// Family is how one client family's tests reach a fake provider. Its
// methods hold the scaffolding every family's tests share, so that those
// tests state only their cases.
type Family[C provider.Client] struct {
	// Name is the provider the family's test clients are for, which their
	// errors name.
	Name string
	// New is the family's constructor. A test client is New(cfg, hc) for
	// the provider Name with Credential.Key and the fake's URL as its base
	// URL, hc being the fake's HTTP client.
	New func(cfg provider.Config, hc *http.Client) C
	// Make, when set, makes the test clients instead of New, for a family
	// whose tests point them at the fake otherwise.
	Make func(t *testing.T, s *Server) C
	// Serve starts a fake that answers the provider's API with h; nil
	// means New. (Vertex AI's fake adds the token endpoint.)
	Serve func(t *testing.T, h http.HandlerFunc) *Server
	// Credential is how the test clients authenticate; no error may
	// reveal its Key.
	Credential Credential
	// Headers are other headers every request carries, such as an API
	// version.
	Headers http.Header
	// Received checks what the fake received for one call. Nil means one
	// request, which WantAuth accepts.
	Received func(t *testing.T, s *Server)
	// Secrets are what no error may reveal besides Credential.Key.
	Secrets []string
}

// NewClient returns a test client, holding Credential.Key, pointed at s.
func (f Family[C]) NewClient(t *testing.T, s *Server) C {
	t.Helper()
	if f.Make != nil {
		return f.Make(t, s)
	}
	return f.New(provider.Config{Provider: f.Name, APIKey: secret.New(f.Credential.Key), Settings: provider.Settings{BaseURL: s.URL}}, s.Client())
}

// WantAuth checks that req carried the family's credential where the family
// sends it and nowhere else (see WantCredential), and its Headers.
func (f Family[C]) WantAuth(t *testing.T, req Request) {
	t.Helper()
	WantCredential(t, req, f.Credential.Header, f.Credential.Prefix, f.Credential.Key)
	for name := range f.Headers {
		if got, want := req.Header.Get(name), f.Headers.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// WantRequest checks that s received exactly one request, that it was want
// (see the package's WantRequest), and that it carried the family's
// credential (WantAuth). It returns the request for further checks.
func (f Family[C]) WantRequest(t *testing.T, s *Server, want string) Request {
	t.Helper()
	req := s.Only(t)
	WantRequest(t, req, want)
	f.WantAuth(t, req)
	return req
}

// WantJSONRequest is WantRequest for a request whose body must be the JSON
// document body (see the package's WantJSONRequest).
func (f Family[C]) WantJSONRequest(t *testing.T, s *Server, want string, body any) Request {
	t.Helper()
	req := s.Only(t)
	WantJSONRequest(t, req, want, body)
	f.WantAuth(t, req)
	return req
}

// WantError is the package's WantError, with the family's secrets.
func (f Family[C]) WantError(t *testing.T, err error, status provider.Status, httpStatus int, message string) *provider.Error {
	t.Helper()
	secrets := f.Secrets
	if f.Credential.Key != "" {
		secrets = append([]string{f.Credential.Key}, secrets...)
	}
	return WantError(t, err, status, httpStatus, message, secrets...)
}

// WantMalformed checks that err reports an answer that could not be read.
func (f Family[C]) WantMalformed(t *testing.T, err error) *provider.Error {
	t.Helper()
	return f.WantError(t, err, provider.StatusError, 0, "could not be read")
}

// Failures makes every call meet every failure, each in a subtest named
// "{call}/{failure}" with a fake of its own, and checks the error (its
// status, HTTP status, message and Retry-After, free of secrets) and what
// the fake received. A Raw call skips the JSONOnly failures.
func (f Family[C]) Failures(t *testing.T, calls []Call, failures []Failure) {
	t.Helper()
	for _, failure := range failures {
		for _, call := range calls {
			if failure.JSONOnly && call.Raw {
				continue
			}
			t.Run(call.Name+"/"+failure.Name, func(t *testing.T) {
				s := f.serve(t, failure.Answer)
				ctx, cancel := context.WithTimeout(t.Context(), Deadline(failure.Status))
				defer cancel()
				pe := f.WantError(t, call.Do(ctx, f.NewClient(t, s)), failure.Status, failure.HTTPStatus, failure.Message)
				if pe.RetryAfter != failure.RetryAfter {
					t.Errorf("RetryAfter = %v, want %v", pe.RetryAfter, failure.RetryAfter)
				}
				f.received(t, s)
			})
		}
	}
}

// Malformed checks, a subtest each, that every case's call reports its
// unreadable answer as malformed, and what the fake received.
func (f Family[C]) Malformed(t *testing.T, cases []Unreadable) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			s := f.serve(t, Reply(http.StatusOK, tt.Answer))
			f.WantMalformed(t, tt.Call.Do(t.Context(), f.NewClient(t, s)))
			f.received(t, s)
		})
	}
}

// Unsupported checks, a subtest each, that every call fails with
// provider.ErrUnsupported naming the provider, and that none of them sends
// a request.
func (f Family[C]) Unsupported(t *testing.T, calls ...Call) {
	t.Helper()
	s := f.serve(t, Reply(http.StatusOK, `{}`))
	c := f.NewClient(t, s)
	for _, call := range calls {
		t.Run(call.Name+" is unsupported without a request", func(t *testing.T) {
			if err := call.Do(t.Context(), c); !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), f.Name) {
				t.Errorf("err = %v, want a %s ErrUnsupported", err, f.Name)
			}
		})
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("the provider received %d requests", n)
	}
}

func (f Family[C]) serve(t *testing.T, h http.HandlerFunc) *Server {
	t.Helper()
	if f.Serve != nil {
		return f.Serve(t, h)
	}
	return New(t, h)
}

func (f Family[C]) received(t *testing.T, s *Server) {
	t.Helper()
	if f.Received != nil {
		f.Received(t, s)
		return
	}
	f.WantAuth(t, s.Only(t))
}
