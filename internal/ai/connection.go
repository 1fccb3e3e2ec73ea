package ai

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/provider"
)

// TestResult is the outcome of a connection test: the original's
// (success, message) and the typed status behind it.
type TestResult struct {
	Provider string
	Success  bool
	Message  string
	Status   provider.Status
	Latency  time.Duration
	// RetryAfter is how long a provider that rate limited the test asked
	// to wait; 0 when it did not say.
	RetryAfter time.Duration
}

// TestCredential tests a stored credential with the provider's cheapest
// authenticated call (a free model listing or account lookup wherever one
// exists, never a paid completion) and stores the outcome on the
// credential. A missing credential is a NotFound error; a credential whose
// key cannot be opened is the vault's error. Every outcome of the call
// itself, failures included, is a TestResult.
func (s *Service) TestCredential(ctx context.Context, id string) (TestResult, error) {
	cfg, rec, err := s.creds.ProviderConfig(ctx, id)
	if err != nil {
		return TestResult{}, err
	}
	client, err := s.client(cfg)
	if err != nil {
		return TestResult{}, err
	}
	callCtx, cancel := context.WithTimeout(ctx, s.timeouts.Test)
	defer cancel()
	start := time.Now()
	res := probe(callCtx, client)
	res.Provider, res.Latency = rec.Provider, time.Since(start)
	err = s.audit.Within(ctx, func(ctx context.Context) (audit.Event, error) {
		ev := audit.Event{Action: "credential.test", Target: rec.ID, Outcome: audit.Success,
			Details: map[string]any{"provider": res.Provider, "status": string(res.Status)}}
		if !res.Success {
			ev.Outcome = audit.Failure
		}
		if err := s.store.RecordTest(ctx, rec.ID, s.now().UTC(), string(res.Status)); err != nil {
			return ev, fmt.Errorf("recording the test of %s: %w", rec.ID, err)
		}
		return ev, nil
	})
	if err != nil {
		return TestResult{}, err
	}
	return res, nil
}

// probe makes the client's probe call and classifies its outcome from the
// typed error first: its status and HTTP code, then the provider's
// message only for errors that carry neither.
func probe(ctx context.Context, client provider.Client) TestResult {
	r, err := client.Probe(ctx)
	if err == nil {
		msg := "Connection successful"
		switch {
		case r.ListingUnsupported != 0:
			msg = fmt.Sprintf("Connected, but model listing is unsupported (status %d); add models manually.", r.ListingUnsupported)
		case r.Models != nil:
			msg = provider.ConnectedMessage(r.Models)
		}
		return TestResult{Success: true, Status: provider.StatusOK, Message: msg}
	}
	var pe *provider.Error
	if !errors.As(err, &pe) {
		// Clients return *provider.Error for everything the provider or the
		// network does; anything else is a request that could not be built.
		return TestResult{Status: provider.StatusError, Message: "Error: the request could not be made"}
	}
	res := TestResult{Status: pe.Status, RetryAfter: pe.RetryAfter}
	if refusedConfig(pe) {
		res.Message = pe.Message
		return res
	}
	res.Success, res.Message = provider.TestMessage(pe)
	return res
}
