package provider

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// Streaming chat. A family's ChatStream asks its provider for a streamed
// answer, reads it with a Stream (server-sent events, or NDJSON for Ollama)
// and collects it in an Answer, which passes each piece of text on to the
// caller's emit function as soon as it has been read.
//
// ChatStream takes a callback rather than returning an iterator because the
// call has a result beyond its pieces (the whole answer and its token
// usage), and because the callback's error is the natural way for the
// consumer (an SSE handler whose browser went away) to stop the stream.
// Whatever way ChatStream returns, the upstream request is over: it is
// cancelled when the call returns early.

// Delta is one piece of a streamed answer's text.
type Delta struct {
	Text string
}

const (
	// MaxStreamLine bounds one line of a streamed answer. A line carries one
	// event of a few tokens with its metadata, far below this bound.
	MaxStreamLine = 1 << 20
	// DefaultStreamIdle bounds the silence between two reads of a streamed
	// answer. It is generous because a reasoning model may think for minutes
	// before its first word and not every provider sends keep-alives.
	DefaultStreamIdle = 5 * time.Minute
)

// errStalled is the cause of a stream cancelled because it fell silent.
var errStalled = errors.New("the provider stopped sending")

// errTooLarge is returned by the body of a stream past its size bound.
var errTooLarge = errors.New("the streamed answer exceeds the size limit")

// Event is one server-sent event: its name (empty when the server names
// none) and its data lines joined by "\n".
type Event struct {
	Name string
	Data []byte
}

// Stream is a streamed answer being read. It is not safe for concurrent use,
// and must be closed.
type Stream struct {
	provider string
	secret   string
	ctx      context.Context
	cancel   context.CancelCauseFunc
	body     io.ReadCloser
	idle     time.Duration
	timer    *time.Timer
	lines    *bufio.Scanner
}

// Stream sends req and returns its 2xx answer to be read as a stream. A
// failure before the answer starts is classified exactly as Call classifies
// it. An answer labelled JSON to a request that accepts something else
// (text/event-stream, application/x-ndjson) is malformed: the provider did
// not stream. Closing the stream cancels the request.
func (c *Caller) Stream(ctx context.Context, req Request) (*Stream, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	resp, key, err := c.send(ctx, req)
	if err != nil {
		cancel(nil)
		return nil, err
	}
	if notStreamed(req.Header.Get("Accept"), resp.Header.Get("Content-Type")) {
		resp.Body.Close()
		cancel(nil)
		return nil, Malformed(c.Provider, errors.New("the provider answered with JSON instead of a stream"))
	}
	s := &Stream{provider: c.Provider, secret: key, ctx: ctx, cancel: cancel, body: resp.Body, idle: c.StreamIdle}
	if s.idle <= 0 {
		s.idle = DefaultStreamIdle
	}
	// The timer runs only while a read waits (see watchedReader), so a slow
	// consumer is never mistaken for a silent provider.
	s.timer = time.AfterFunc(s.idle, func() { cancel(errStalled) })
	s.timer.Stop()
	s.lines = bufio.NewScanner(&watchedReader{s: s, r: resp.Body, left: c.maxBody()})
	s.lines.Buffer(make([]byte, 0, 16<<10), MaxStreamLine)
	return s, nil
}

// notStreamed reports an answer labelled JSON to a request that accepts
// another type.
func notStreamed(accept, contentType string) bool {
	got, _, err := mime.ParseMediaType(contentType)
	if err != nil || accept == "" {
		return false
	}
	want, _, _ := mime.ParseMediaType(accept)
	return got != want && (got == "application/json" || strings.HasSuffix(got, "+json"))
}

// Close ends the stream and cancels its request if it is still running.
func (s *Stream) Close() error {
	s.timer.Stop()
	s.cancel(nil)
	return s.body.Close()
}

// Event returns the next server-sent event that carries data. Comments and
// events without data are skipped. At the end of the answer it returns an
// error: every family stops reading at its own terminator, so an answer that
// ends before is one the provider closed early. Data is valid until the next
// call.
func (s *Stream) Event() (Event, error) {
	var (
		ev      Event
		data    []byte
		hasData bool
	)
	for s.lines.Scan() {
		line := s.lines.Bytes()
		if len(line) == 0 {
			if hasData {
				ev.Data = data
				return ev, nil
			}
			ev = Event{}
			continue
		}
		if line[0] == ':' { // a comment, such as a keep-alive
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			ev.Name = string(value)
		case "data":
			if hasData {
				data = append(data, '\n')
			}
			data = append(data, value...)
			hasData = true
		}
	}
	// The last event may lack its blank line when the server closes right
	// after it; it is complete all the same.
	if hasData && s.lines.Err() == nil {
		ev.Data = data
		return ev, nil
	}
	return Event{}, s.failed(s.lines.Err())
}

// Line returns the next non-blank line of an NDJSON answer, trimmed. At the
// end of the answer it returns an error, as Event does. The line is valid
// until the next call.
func (s *Stream) Line() ([]byte, error) {
	for s.lines.Scan() {
		if line := bytes.TrimSpace(s.lines.Bytes()); len(line) > 0 {
			return line, nil
		}
	}
	return nil, s.failed(s.lines.Err())
}

// Fail returns the error for a failure the provider reported inside the
// stream, after the answer had started: status (StatusError unless the
// provider's report says more) and the provider's message without the
// secret, shortened.
func (s *Stream) Fail(status Status, message string) *Error {
	message = strings.TrimSpace(Redact(message, s.secret))
	if message == "" {
		message = "the provider reported an error in the middle of its answer"
	}
	return &Error{Provider: s.provider, Status: status, Message: truncate(message, 300)}
}

// FailWith is Fail with the message found in doc, an error document in one
// of the shapes FromResponse understands.
func (s *Stream) FailWith(status Status, doc []byte) *Error {
	return s.Fail(status, errorMessage(doc, s.secret))
}

// Malformed reports a piece of the stream that could not be understood.
func (s *Stream) Malformed(err error) *Error {
	return Malformed(s.provider, err)
}

// failed classifies the end of reading: err is nil at a clean end of the
// answer.
func (s *Stream) failed(err error) *Error {
	early := &Error{Provider: s.provider, Status: StatusError, Err: io.ErrUnexpectedEOF,
		Message: "the provider closed the stream early"}
	switch cause := context.Cause(s.ctx); {
	case errors.Is(cause, errStalled):
		return &Error{Provider: s.provider, Status: StatusTimeout, Err: errStalled,
			Message: fmt.Sprintf("the provider sent nothing for %s", s.idle)}
	case cause != nil: // the caller cancelled or its deadline passed
		return FromTransport(s.provider, cause, s.secret)
	case err == nil, errors.Is(err, io.ErrUnexpectedEOF):
		return early
	case errors.Is(err, bufio.ErrTooLong):
		return &Error{Provider: s.provider, Status: StatusError, Err: err,
			Message: fmt.Sprintf("the provider sent a line longer than %d bytes", MaxStreamLine)}
	case errors.Is(err, errTooLarge):
		return &Error{Provider: s.provider, Status: StatusError, Err: err,
			Message: "the provider's answer is larger than the size limit"}
	default:
		return FromTransport(s.provider, err, s.secret)
	}
}

// watchedReader reads a stream's body within its size bound, arming the
// stream's idle timer while a read waits.
type watchedReader struct {
	s    *Stream
	r    io.Reader
	left int64
}

func (w *watchedReader) Read(p []byte) (int, error) {
	if w.left <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > w.left {
		p = p[:w.left]
	}
	w.s.timer.Reset(w.s.idle)
	n, err := w.r.Read(p)
	w.s.timer.Stop()
	w.left -= int64(n)
	return n, err
}

// Answer collects a streamed answer while passing each piece of its text on.
// Families set Model and the token counts as their provider reports them.
type Answer struct {
	Model        string
	InputTokens  int
	OutputTokens int
	emit         func(Delta) error
	text         strings.Builder
}

// NewAnswer returns an Answer that passes its text to emit, which may be
// nil.
func NewAnswer(emit func(Delta) error) *Answer {
	return &Answer{emit: emit}
}

// Add keeps text and passes it on; the error is emit's, returned as it is so
// the consumer can recognise its own.
func (a *Answer) Add(text string) error {
	if text == "" {
		return nil
	}
	a.text.WriteString(text)
	if a.emit == nil {
		return nil
	}
	return a.emit(Delta{Text: text})
}

// Response is the answer so far. After a failure it holds the text that
// arrived before it.
func (a *Answer) Response() ChatResponse {
	return ChatResponse{Content: a.text.String(), Model: a.Model, InputTokens: a.InputTokens, OutputTokens: a.OutputTokens}
}

// AcceptsStream is the Accept header of a request for server-sent events.
func AcceptsStream() http.Header {
	return Header("Accept", "text/event-stream")
}
