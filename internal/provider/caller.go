package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"time"

	"github.com/open-notebook/open-notebook/internal/secret"
)

// DefaultMaxBody bounds every response a client reads, audio included.
const DefaultMaxBody = 32 << 20

// Authorizer adds a credential to a request and returns the secret it
// used, which is redacted from every error. Its errors are returned as they
// are, so they should be *Error.
type Authorizer func(ctx context.Context, req *http.Request) (secret string, err error)

// KeyHeader authorizes with key in the header name, after prefix (e.g.
// "Authorization", "Bearer "); a request goes without the header when
// there is no key, for servers that need none.
func KeyHeader(name, prefix string, key secret.String) Authorizer {
	return func(_ context.Context, req *http.Request) (string, error) {
		if !key.Empty() {
			req.Header.Set(name, prefix+key.Reveal())
		}
		return key.Reveal(), nil
	}
}

// Caller makes one provider's HTTP requests for a client: it authorizes
// each, turns every failure into an *Error free of the secret, and reads
// bounded bodies. It is safe for concurrent use.
type Caller struct {
	Provider  string
	HTTP      *http.Client
	Authorize Authorizer // nil sends requests without credentials
	// Failure turns a non-2xx answer into an error; nil uses FromResponse.
	Failure func(resp *http.Response, secret string) error
	MaxBody int64 // 0 selects DefaultMaxBody; it bounds streamed answers too
	// StreamIdle bounds the silence between two reads of a streamed
	// answer; 0 selects DefaultStreamIdle.
	StreamIdle time.Duration
}

// Request is one call to a provider.
type Request struct {
	Method, URL string
	// JSON, when not nil, is sent as the JSON body; otherwise Body is sent
	// as it is, labelled ContentType.
	JSON        any
	Body        io.Reader
	ContentType string
	Header      http.Header // extra headers, e.g. Accept
}

// Call sends req and returns the body and content type of its 2xx answer.
func (c *Caller) Call(ctx context.Context, req Request) (body []byte, contentType string, err error) {
	resp, key, err := c.send(ctx, req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	limit := c.maxBody()
	body, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "", FromTransport(c.Provider, err, key)
	}
	if int64(len(body)) > limit {
		return nil, "", Malformed(c.Provider, fmt.Errorf("the response exceeds %d bytes", limit))
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// send sends req, authorized, and returns its 2xx answer, whose body the
// caller must close, with the secret that authorized it.
func (c *Caller) send(ctx context.Context, req Request) (*http.Response, string, error) {
	payload, contentType := req.Body, req.ContentType
	if req.JSON != nil {
		b, err := json.Marshal(req.JSON)
		if err != nil {
			return nil, "", fmt.Errorf("%s: encoding the request: %w", c.Provider, err)
		}
		payload, contentType = bytes.NewReader(b), "application/json"
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, payload)
	if err != nil {
		return nil, "", &Error{Provider: c.Provider, Status: StatusError, Message: "invalid base URL", Err: err}
	}
	for name, values := range req.Header {
		hr.Header[name] = values
	}
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	key := ""
	if c.Authorize != nil {
		if key, err = c.Authorize(ctx, hr); err != nil {
			return nil, "", err
		}
	}
	resp, err := c.HTTP.Do(hr)
	if err != nil {
		return nil, "", FromTransport(c.Provider, err, key)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if c.Failure != nil {
			defer resp.Body.Close()
			return nil, "", c.Failure(resp, key)
		}
		return nil, "", FromResponse(c.Provider, resp, key)
	}
	return resp, key, nil
}

func (c *Caller) maxBody() int64 {
	if c.MaxBody <= 0 {
		return DefaultMaxBody
	}
	return c.MaxBody
}

// CallJSON sends req and decodes the JSON body of its 2xx answer into out.
// A body that is not the JSON expected is Malformed.
func (c *Caller) CallJSON(ctx context.Context, req Request, out any) error {
	body, _, err := c.Call(ctx, req)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return Malformed(c.Provider, err)
	}
	return nil
}

// Header builds request headers from name/value pairs.
func Header(pairs ...string) http.Header {
	h := make(http.Header, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		h.Set(pairs[i], pairs[i+1])
	}
	return h
}

// WriteAudioPart writes req's audio to w as the form part "file", under the
// request's file name and content type, else "audio" and
// application/octet-stream: the upload that OpenAI's and ElevenLabs'
// transcription endpoints both expect.
func WriteAudioPart(w *multipart.Writer, req TranscriptionRequest) error {
	filename := req.Filename
	if filename == "" {
		filename = "audio"
	}
	fileType := req.ContentType
	if fileType == "" {
		fileType = "application/octet-stream"
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", multipart.FileContentDisposition("file", filename))
	h.Set("Content-Type", fileType)
	part, err := w.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = part.Write(req.Audio)
	return err
}
