// Package provider defines what the product knows about AI providers: the
// registry of the 22 supported providers, the Client interface every
// provider family implements, and the typed errors those clients return.
// Family implementations live in subpackages and are chosen by
// provider/factory.
package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/open-notebook/open-notebook/internal/secret"
)

// Model types (the original calls them modalities on credentials).
const (
	TypeLanguage     = "language"
	TypeEmbedding    = "embedding"
	TypeSpeechToText = "speech_to_text"
	TypeTextToSpeech = "text_to_speech"
)

// ModelTypes returns the four model types in the order the API reports them.
func ModelTypes() []string {
	return []string{TypeLanguage, TypeEmbedding, TypeSpeechToText, TypeTextToSpeech}
}

// IsModelType reports whether t is one of the four model types.
func IsModelType(t string) bool {
	switch t {
	case TypeLanguage, TypeEmbedding, TypeSpeechToText, TypeTextToSpeech:
		return true
	}
	return false
}

// Config is a decrypted credential, the input every client is built from.
// Empty strings mean "not set"; clients fall back to their provider's public
// defaults. BaseURL (and Endpoint for Azure) override the default host, which
// is also how tests point a client at an httptest fake.
type Config struct {
	Provider string
	APIKey   secret.String
	Settings
}

// Key returns the API key without the blanks a pasted key often carries.
func (c Config) Key() secret.String {
	return secret.New(strings.TrimSpace(c.APIKey.Reveal()))
}

// BaseURL returns the base URL a client addresses: raw as users paste it,
// without blanks, trailing slashes and then each of suffixes in turn (an
// API version the client adds itself, say), or fallback when nothing
// remains.
func BaseURL(raw, fallback string, suffixes ...string) string {
	base := strings.TrimRight(strings.TrimSpace(raw), "/")
	for _, suffix := range suffixes {
		base = strings.TrimSuffix(base, suffix)
	}
	if base == "" {
		return fallback
	}
	return base
}

// Model is one model a provider offers. Type is empty when the provider's
// listing does not say; callers classify it by name.
type Model struct {
	Name        string
	Provider    string
	Type        string
	Description string
}

// Message is one chat turn.
type Message struct {
	Role    string // "system", "user" or "assistant"
	Content string
}

// ChatRequest asks a language model for one completion.
type ChatRequest struct {
	Model       string
	Messages    []Message
	MaxTokens   int      // 0 leaves the provider's default
	Temperature *float64 // nil leaves the provider's default
}

// ChatResponse is a completion.
type ChatResponse struct {
	Content      string
	Model        string
	InputTokens  int
	OutputTokens int
}

// EmbedRequest asks for one vector per input.
type EmbedRequest struct {
	Model string
	Input []string
}

// SpeechRequest asks a text-to-speech model for audio.
type SpeechRequest struct {
	Model string
	Voice string // empty picks the provider's default voice
	Text  string
}

// Speech is synthesized audio.
type Speech struct {
	Audio       []byte
	ContentType string
}

// TranscriptionRequest asks a speech-to-text model for a transcript.
type TranscriptionRequest struct {
	Model       string
	Audio       []byte
	Filename    string // e.g. "clip.wav"
	ContentType string // e.g. "audio/wav"
	Language    string // ISO 639-1, empty for auto-detection
}

// ProbeResult is what a connection probe learned.
type ProbeResult struct {
	// Models is the listing when the probe was one, else nil.
	Models []Model
	// ListingUnsupported is the HTTP status (404 or 405) with which an API
	// that otherwise answers refused its model listing (many
	// Anthropic-compatible gateways offer only messages); 0 otherwise.
	ListingUnsupported int
}

// Client talks to one provider with one credential. Implementations are safe
// for concurrent use. Every method returns *Error for provider and transport
// failures, and an error wrapping ErrUnsupported for a capability the
// provider does not offer.
type Client interface {
	// ListModels returns the provider's models, following pagination.
	ListModels(ctx context.Context) ([]Model, error)
	// Probe makes the cheapest authenticated call the provider offers, for a
	// connection test: a free model listing or account lookup wherever one
	// exists.
	Probe(ctx context.Context) (ProbeResult, error)
	Chat(ctx context.Context, req ChatRequest) (ChatResponse, error)
	// ChatStream is Chat with the answer's text passed to emit piece by
	// piece as the provider sends it. An error from emit stops the stream
	// and is returned as it is; after any failure the response holds the
	// text that arrived. See stream.go.
	ChatStream(ctx context.Context, req ChatRequest, emit func(Delta) error) (ChatResponse, error)
	Embed(ctx context.Context, req EmbedRequest) ([][]float64, error)
	Speak(ctx context.Context, req SpeechRequest) (Speech, error)
	Transcribe(ctx context.Context, req TranscriptionRequest) (string, error)
}

// ErrUnsupported is wrapped when a provider does not offer a capability.
var ErrUnsupported = errors.New("not supported by this provider")

// Unsupported returns an error wrapping ErrUnsupported that names the
// provider and the capability.
func Unsupported(provider, capability string) error {
	return fmt.Errorf("%s: %s %w", provider, capability, ErrUnsupported)
}

// Status classifies the outcome of a call to a provider. The values are part
// of the HTTP API (the `status` of a connection test).
type Status string

// Statuses, from the most to the least specific.
const (
	StatusOK          Status = "ok"
	StatusAuthFailed  Status = "auth_failed"
	StatusForbidden   Status = "forbidden"
	StatusNotFound    Status = "not_found"
	StatusRateLimited Status = "rate_limited"
	StatusUnreachable Status = "unreachable"
	StatusTimeout     Status = "timeout"
	StatusTLSError    Status = "tls_error"
	StatusBlocked     Status = "blocked"
	StatusError       Status = "error"
)

// Error is a failed call to a provider. Message is safe to show a user: it
// never contains the credential's key.
type Error struct {
	Provider   string
	Status     Status
	HTTPStatus int           // 0 when no response arrived
	Message    string        // the provider's own explanation when it gave one
	RetryAfter time.Duration // from a 429's Retry-After, when present
	// Config marks a configuration the client refused before sending
	// anything (no base URL, no endpoint, an unusable credentials file);
	// Message is then written for users.
	Config bool
	Err    error // the underlying transport error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	b.WriteString(": ")
	b.WriteString(string(e.Status))
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Redact replaces every occurrence of each non-empty secret in s with
// "[REDACTED]". Clients run provider messages through it, because some
// providers echo the key they were sent.
func Redact(s string, secrets ...string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "[REDACTED]")
		}
	}
	return s
}
