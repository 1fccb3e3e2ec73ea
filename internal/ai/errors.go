package ai

import (
	"errors"
	"fmt"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/provider"
)

// callError turns a failed provider call into an error for the user: a
// rate limit is a 429 with the provider's Retry-After, a configuration the
// client refused before sending anything is Unprocessable, and every other
// provider failure is Upstream (502), so a provider's 401 is never mistaken
// for the app's own. action names what failed, e.g. "Model discovery".
func callError(action string, err error) error {
	var pe *provider.Error
	switch {
	case errors.Is(err, provider.ErrUnsupported):
		return apperr.Wrap(apperr.Unprocessable, action+" failed: "+err.Error(), err)
	case !errors.As(err, &pe):
		return err
	case pe.Status == provider.StatusRateLimited:
		return &apperr.Error{Code: apperr.RateLimited, Message: action + " failed: " + describe(pe),
			RetryAfter: pe.RetryAfter, Err: err}
	case refusedConfig(pe):
		return apperr.Wrap(apperr.Unprocessable, action+" failed: "+pe.Message, err)
	default:
		return apperr.Wrap(apperr.Upstream, action+" failed: "+describe(pe), err)
	}
}

// refusedConfig reports a failure raised by a client before any request:
// a credential that lacks a base URL, an endpoint, a project, or a usable
// credentials file. Its message is written for users.
func refusedConfig(pe *provider.Error) bool { return pe.Config }

// phrases say what each failure means, after the provider's name.
var phrases = map[provider.Status]string{
	provider.StatusAuthFailed:  "rejected the API key",
	provider.StatusForbidden:   "refused access: the API key lacks a permission",
	provider.StatusNotFound:    "answered not found: check the base URL and the model name",
	provider.StatusRateLimited: "is rate limiting requests",
	provider.StatusTimeout:     "did not answer in time",
	provider.StatusUnreachable: "could not be reached",
	provider.StatusTLSError:    "failed the TLS handshake",
	provider.StatusBlocked:     "is at an address the egress policy blocks",
}

// describe is a readable account of a provider failure: who, what, the
// HTTP status and the provider's own explanation (already free of the
// key). Transport failures carry no explanation of the provider's.
func describe(pe *provider.Error) string {
	name := pe.Provider
	if spec, ok := provider.Lookup(pe.Provider); ok {
		name = spec.DisplayName
	}
	phrase, ok := phrases[pe.Status]
	if !ok {
		phrase = "failed"
	}
	s := name + " " + phrase
	if pe.HTTPStatus != 0 {
		s += fmt.Sprintf(" (HTTP %d)", pe.HTTPStatus)
	}
	if pe.Message != "" && (pe.HTTPStatus != 0 || pe.Status == provider.StatusError) {
		s += ": " + pe.Message
	}
	return s
}
