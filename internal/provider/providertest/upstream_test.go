package providertest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/anthropic"
	"github.com/open-notebook/open-notebook/internal/provider/azure"
	"github.com/open-notebook/open-notebook/internal/provider/cohere"
	"github.com/open-notebook/open-notebook/internal/provider/google"
	"github.com/open-notebook/open-notebook/internal/provider/ollama"
	"github.com/open-notebook/open-notebook/internal/provider/openai"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/provider/vertex"
	"github.com/open-notebook/open-notebook/internal/secret"
)

// streamingFamily is a language family's client for an Upstream, and the
// streamed answer the Upstream gives it.
type streamingFamily struct {
	family string
	model  string
	client func(t *testing.T, up *providertest.Upstream, failure string) provider.Client
	want   provider.ChatResponse
}

func streamingFamilies() []streamingFamily {
	key := secret.New(providertest.GoodKey)
	hc := func(up *providertest.Upstream) *http.Client { return up.Client() }
	return []streamingFamily{
		{family: provider.FamilyOpenAI, model: "gpt-4o-mini",
			client: func(_ *testing.T, up *providertest.Upstream, failure string) provider.Client {
				return openai.New(provider.Config{Provider: "openai", APIKey: key, Settings: provider.Settings{BaseURL: up.BaseURL(failure)}}, hc(up), openai.Options{})
			},
			want: provider.ChatResponse{Model: "gpt-4o-mini", InputTokens: 9, OutputTokens: 9}},
		{family: provider.FamilyAzure, model: "gpt-4o",
			client: func(_ *testing.T, up *providertest.Upstream, failure string) provider.Client {
				return azure.New(provider.Config{Provider: "azure", APIKey: key, Settings: provider.Settings{Endpoint: up.BaseURL(failure)}}, hc(up))
			},
			want: provider.ChatResponse{Model: "gpt-4o", InputTokens: 9, OutputTokens: 9}},
		{family: provider.FamilyAnthropic, model: "claude-sonnet-4-5",
			client: func(_ *testing.T, up *providertest.Upstream, failure string) provider.Client {
				return anthropic.New(provider.Config{Provider: "anthropic", APIKey: key, Settings: provider.Settings{BaseURL: up.BaseURL(failure)}}, hc(up), anthropic.Options{})
			},
			want: provider.ChatResponse{Model: "claude-sonnet-4-5", InputTokens: 9, OutputTokens: 12}},
		{family: provider.FamilyGoogle, model: "gemini-2.5-flash",
			client: func(_ *testing.T, up *providertest.Upstream, failure string) provider.Client {
				return google.New(provider.Config{Provider: "google", APIKey: key, Settings: provider.Settings{BaseURL: up.BaseURL(failure)}}, hc(up))
			},
			want: provider.ChatResponse{Model: "gemini-2.5-flash", InputTokens: 2, OutputTokens: 9}},
		{family: provider.FamilyVertex, model: "gemini-2.5-flash",
			client: func(t *testing.T, up *providertest.Upstream, failure string) provider.Client {
				return vertex.New(provider.Config{Provider: "vertex", Settings: provider.Settings{Project: "my-project", Location: "us-central1", BaseURL: up.BaseURL(failure), CredentialsPath: up.ServiceAccountFile(t, providertest.GoodAccount)}}, hc(up))
			},
			want: provider.ChatResponse{Model: "gemini-2.5-flash", InputTokens: 2, OutputTokens: 9}},
		{family: provider.FamilyOllama, model: "llama3.2",
			client: func(_ *testing.T, up *providertest.Upstream, failure string) provider.Client {
				return ollama.New(provider.Config{Provider: "ollama", Settings: provider.Settings{BaseURL: up.BaseURL(failure)}}, hc(up))
			},
			want: provider.ChatResponse{Model: "llama3.2", InputTokens: 26, OutputTokens: 10}},
		{family: provider.FamilyCohere, model: "command-a-03-2025",
			client: func(_ *testing.T, up *providertest.Upstream, failure string) provider.Client {
				return cohere.New(provider.Config{Provider: "cohere", APIKey: key, Settings: provider.Settings{BaseURL: up.BaseURL(failure)}}, hc(up))
			},
			want: provider.ChatResponse{Model: "command-a-03-2025", InputTokens: 71, OutputTokens: 9}},
	}
}

func chatRequest(model string) provider.ChatRequest {
	return provider.ChatRequest{Model: model, Messages: []provider.Message{{Role: "user", Content: "Hi"}}}
}

func TestUpstreamsStreamTheAnswerWhenAskedTo(t *testing.T) {
	for _, f := range streamingFamilies() {
		t.Run(f.family+" streams the canned answer in pieces", func(t *testing.T) {
			up := providertest.NewUpstream(t, f.family)
			var got []string
			resp, err := f.client(t, up, "").ChatStream(t.Context(), chatRequest(f.model), func(d provider.Delta) error {
				got = append(got, d.Text)
				return nil
			})
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if strings.Join(got, "|") != strings.Join(providertest.ChatDeltas, "|") {
				t.Errorf("deltas = %q, want %q", got, providertest.ChatDeltas)
			}
			want := f.want
			want.Content = providertest.ChatAnswer
			if resp != want {
				t.Errorf("response = %+v, want %+v", resp, want)
			}
			reqs := up.Requests()
			if last := reqs[len(reqs)-1]; !last.AsksStream() {
				t.Errorf("the request did not ask for a stream: %s %s", last.Line(), last.Body)
			}
		})
		t.Run(f.family+" still answers a plain chat in one piece", func(t *testing.T) {
			up := providertest.NewUpstream(t, f.family)
			resp, err := f.client(t, up, "").Chat(t.Context(), chatRequest(f.model))
			if err != nil || resp.Content != providertest.ChatAnswer {
				t.Errorf("Chat = %+v, %v", resp, err)
			}
		})
	}
}

func TestAnUpstreamsPauseSeesItsClientGo(t *testing.T) {
	for _, f := range streamingFamilies() {
		t.Run(f.family, func(t *testing.T) {
			pause := providertest.NewPause()
			up := providertest.NewUpstream(t, f.family, providertest.WithPause(pause))
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var got []string
			_, err := f.client(t, up, "").ChatStream(ctx, chatRequest(f.model), func(d provider.Delta) error {
				got = append(got, d.Text)
				cancel()
				return nil
			})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want it to wrap context.Canceled", err)
			}
			if len(got) != 1 || got[0] != providertest.ChatDeltas[0] {
				t.Errorf("deltas = %q, want only the first before the pause", got)
			}
			select {
			case <-pause.ClientGone():
			case <-time.After(10 * time.Second):
				t.Fatal("the upstream did not see its client go away")
			}
		})
	}
}

func TestUpstreamFailuresMeetStreamedChatsBeforeTheStream(t *testing.T) {
	for _, f := range streamingFamilies() {
		t.Run(f.family, func(t *testing.T) {
			up := providertest.NewUpstream(t, f.family)
			_, err := f.client(t, up, providertest.FailRateLimited).ChatStream(t.Context(), chatRequest(f.model), nil)
			pe := providertest.WantError(t, err, provider.StatusRateLimited, http.StatusTooManyRequests, "Rate limit", providertest.GoodKey)
			if pe.RetryAfter != providertest.RetryAfter*time.Second {
				t.Errorf("RetryAfter = %v", pe.RetryAfter)
			}
		})
	}
}
