package provider_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
)

const streamKey = "sk-stream-LEAK-5e1d"

// open starts a fake that streams chunks as contentType and opens a stream
// of it through caller (nil for a default one).
func open(t *testing.T, caller *provider.Caller, contentType string, chunks ...string) *provider.Stream {
	t.Helper()
	f := providertest.New(t, providertest.Stream{ContentType: contentType, Chunks: chunks}.ServeHTTP)
	if caller == nil {
		caller = &provider.Caller{}
	}
	caller.Provider, caller.HTTP = "openai", f.Client()
	caller.Authorize = provider.KeyHeader("Authorization", "Bearer ", secret.New(streamKey))
	s, err := caller.Stream(t.Context(), provider.Request{Method: http.MethodPost, URL: f.URL, Header: provider.AcceptsStream()})
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// wantEnd checks that err is the end of a stream that had no terminator.
func wantEnd(t *testing.T, err error) {
	t.Helper()
	providertest.WantError(t, err, provider.StatusError, 0, "closed the stream early", streamKey)
}

func TestStreamReadsServerSentEvents(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   []provider.Event
	}{
		{
			name:   "named events are read and comments skipped",
			chunks: []string{": ping\n\n", "event: message_start\ndata: {\"a\":1}\n\n", "event: ping\ndata: {}\n\n"},
			want:   []provider.Event{{Name: "message_start", Data: []byte(`{"a":1}`)}, {Name: "ping", Data: []byte(`{}`)}},
		},
		{
			name:   "the data lines of one event are joined by newlines",
			chunks: []string{"data: first\ndata:second\ndata:  third\n\n"},
			want:   []provider.Event{{Data: []byte("first\nsecond\n third")}},
		},
		{
			name:   "an event without data is skipped and does not name the next",
			chunks: []string{"event: empty\n\n", "id: 7\nretry: 100\ndata: x\n\n"},
			want:   []provider.Event{{Data: []byte("x")}},
		},
		{
			name:   "an event split across writes is read whole",
			chunks: []string{"event: content-del", "ta\ndata: {\"text\":", "\"Hi\"}\n", "\n"},
			want:   []provider.Event{{Name: "content-delta", Data: []byte(`{"text":"Hi"}`)}},
		},
		{
			name:   "CRLF line ends are read",
			chunks: []string{"event: a\r\ndata: 1\r\n\r\n"},
			want:   []provider.Event{{Name: "a", Data: []byte("1")}},
		},
		{
			name:   "a last event without its blank line is complete",
			chunks: []string{"data: 1\n\n", "data: [DONE]\n"},
			want:   []provider.Event{{Data: []byte("1")}, {Data: []byte("[DONE]")}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, nil, "text/event-stream", tt.chunks...)
			var got []provider.Event
			for {
				ev, err := s.Event()
				if err != nil {
					wantEnd(t, err)
					break
				}
				ev.Data = append([]byte(nil), ev.Data...)
				got = append(got, ev)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStreamReadsNDJSONLines(t *testing.T) {
	s := open(t, nil, "application/x-ndjson", `{"n":1}`+"\n", "\n  \n", `{"n":`, `2}`+"\r\n")
	var got []string
	for {
		line, err := s.Line()
		if err != nil {
			wantEnd(t, err)
			break
		}
		got = append(got, string(line))
	}
	if want := []string{`{"n":1}`, `{"n":2}`}; !reflect.DeepEqual(got, want) {
		t.Errorf("lines = %q, want %q", got, want)
	}
}

func TestStreamBoundsTheWholeAnswer(t *testing.T) {
	s := open(t, &provider.Caller{MaxBody: 64}, "text/event-stream", strings.Repeat("data: 0123456789\n\n", 8))
	var err error
	for err == nil {
		_, err = s.Event()
	}
	providertest.WantError(t, err, provider.StatusError, 0, "larger than the size limit", streamKey)
}

func TestAStreamThatFallsSilentIsATimeout(t *testing.T) {
	pause := providertest.NewPause()
	f := providertest.New(t, providertest.Stream{ContentType: "text/event-stream", Pause: pause, PauseAt: 0,
		Chunks: []string{"data: 1\n\n"}}.ServeHTTP)
	c := &provider.Caller{Provider: "openai", HTTP: f.Client(), StreamIdle: 50 * time.Millisecond}
	s, err := c.Stream(t.Context(), provider.Request{Method: http.MethodGet, URL: f.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Event()
	providertest.WantError(t, err, provider.StatusTimeout, 0, "sent nothing for 50ms")
	select {
	case <-pause.ClientGone():
	case <-time.After(10 * time.Second):
		t.Fatal("the silent provider's request was not cancelled")
	}
}

func TestStreamFailuresAreSafeToShow(t *testing.T) {
	s := open(t, nil, "text/event-stream")
	tests := []struct {
		name, message, want string
	}{
		{name: "the key is redacted", message: "  upstream refused key " + streamKey + " ", want: "upstream refused key [REDACTED]"},
		{name: "a long message is shortened", message: strings.Repeat("x", 400), want: strings.Repeat("x", 300) + "..."},
		{name: "no message says what happened", message: "", want: "the provider reported an error in the middle of its answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Fail(provider.StatusRateLimited, tt.message)
			if err.Message != tt.want || err.Status != provider.StatusRateLimited || err.HTTPStatus != 0 || err.Provider != "openai" {
				t.Errorf("err = %+v, want the message %q", err, tt.want)
			}
		})
	}
	t.Run("an error document's message is found", func(t *testing.T) {
		err := s.FailWith(provider.StatusError, []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded for `+streamKey+`"}}`))
		if err.Message != "Overloaded for [REDACTED]" {
			t.Errorf("message = %q", err.Message)
		}
	})
}

func TestAStreamIsOnlyAStreamWhenTheAnswerIsOne(t *testing.T) {
	tests := []struct {
		name, accept, contentType string
		malformed                 bool
	}{
		{name: "JSON to a request for events is malformed", accept: "text/event-stream", contentType: "application/json", malformed: true},
		{name: "JSON to a request for NDJSON is malformed", accept: "application/x-ndjson", contentType: "application/problem+json; charset=utf-8", malformed: true},
		{name: "events are a stream", accept: "text/event-stream", contentType: "text/event-stream; charset=utf-8"},
		{name: "an unlabelled answer is read as a stream", accept: "text/event-stream"},
		{name: "JSON is read when nothing else was asked", contentType: "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, func(w http.ResponseWriter, _ *http.Request) {
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				} else {
					w.Header()["Content-Type"] = nil
				}
				_, _ = w.Write([]byte("data: 1\n\n"))
			})
			c := &provider.Caller{Provider: "openai", HTTP: f.Client()}
			s, err := c.Stream(t.Context(), provider.Request{Method: http.MethodGet, URL: f.URL, Header: provider.Header("Accept", tt.accept)})
			if tt.malformed {
				providertest.WantError(t, err, provider.StatusError, 0, "could not be read")
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			defer s.Close()
			if ev, err := s.Event(); err != nil || string(ev.Data) != "1" {
				t.Errorf("event = %q, %v", ev.Data, err)
			}
		})
	}
}

func TestAnswerKeepsTheTextAndPassesItOn(t *testing.T) {
	var got []string
	errFull := errors.New("full")
	a := provider.NewAnswer(func(d provider.Delta) error {
		got = append(got, d.Text)
		if len(got) == 2 {
			return errFull
		}
		return nil
	})
	a.Model, a.InputTokens, a.OutputTokens = "m", 3, 2
	if err := a.Add("Hel"); err != nil {
		t.Fatal(err)
	}
	if err := a.Add(""); err != nil {
		t.Fatal(err)
	}
	if err := a.Add("lo"); err != errFull {
		t.Errorf("err = %v, want emit's own error", err)
	}
	if want := []string{"Hel", "lo"}; !reflect.DeepEqual(got, want) {
		t.Errorf("deltas = %q, want %q (no empty one)", got, want)
	}
	if r := a.Response(); r != (provider.ChatResponse{Content: "Hello", Model: "m", InputTokens: 3, OutputTokens: 2}) {
		t.Errorf("response = %+v", r)
	}
	quiet := provider.NewAnswer(nil)
	if err := quiet.Add("x"); err != nil || quiet.Response().Content != "x" {
		t.Errorf("an answer without emit: %v, %+v", err, quiet.Response())
	}
}
