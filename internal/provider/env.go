package provider

import (
	"slices"
	"strings"

	"github.com/open-notebook/open-notebook/internal/secret"
)

// Env looks up an environment variable; os.LookupEnv has this shape. The
// functions here take the environment as a value so that the caller decides
// what it holds. A nil Env is an empty environment.
type Env func(key string) (string, bool)

// value returns the variable without surrounding white space, "" when it
// is unset or blank: a blank variable configures nothing.
func (e Env) value(key string) string {
	if e == nil {
		return ""
	}
	v, _ := e(key)
	return strings.TrimSpace(v)
}

func (e Env) set(key string) bool { return e.value(key) != "" }

// EnvConfigured reports whether the environment configures the provider:
// one of its RequiredAnyEnv variables is non-blank when it has such a list,
// else all of its RequiredEnv are. An unknown provider is not configured.
func EnvConfigured(name string, env Env) bool {
	s := find(name)
	return s != nil && s.envConfigured(env)
}

func (s *Spec) envConfigured(env Env) bool {
	switch {
	case len(s.RequiredAnyEnv) > 0:
		return slices.ContainsFunc(s.RequiredAnyEnv, env.set)
	case len(s.RequiredEnv) > 0:
		return !slices.ContainsFunc(s.RequiredEnv, func(k string) bool { return !env.set(k) })
	default:
		return false
	}
}

// EnvConfig builds the provider's Config from the environment, as its
// Spec's Env maps variables to fields; ok is false when EnvConfigured is.
// Values are trimmed and blank ones left unset; a field several variables
// fill takes the first that is set.
func EnvConfig(name string, env Env) (cfg Config, ok bool) {
	s := find(name)
	if s == nil || !s.envConfigured(env) {
		return Config{}, false
	}
	cfg.Provider = s.Name
	key := ""
	for _, v := range s.Env {
		value := env.value(v.Var)
		if value == "" {
			continue
		}
		switch {
		case v.Field == "api_key":
			if key == "" {
				key = value
			}
		case cfg.Get(v.Field) == "":
			cfg.Set(v.Field, value)
		}
	}
	cfg.APIKey = secret.New(key)
	return cfg, true
}

// Available reports whether the provider can be used, because it has a
// stored credential or the environment configures it, and if so the model
// types it supports: the GET /api/models/providers algorithm for one
// provider. Providers configured per mode (azure, openai_compatible) are
// judged per type from their per-mode variables.
//
// Unlike the original, which counts a variable as set as soon as it exists,
// a variable counts only when it is non-blank after trimming, the rule the
// credential status already applies: an exported but empty OPENAI_API_KEY
// no longer makes OpenAI look available there while it is "not configured"
// everywhere else.
func Available(name string, env Env, hasCredential bool) (available bool, types []string) {
	s := find(name)
	if s == nil {
		return false, nil
	}
	if s.modeEnv != nil {
		for _, t := range allTypes() {
			if hasCredential || s.modeEnv(env, envMode(t)) {
				types = append(types, t)
			}
		}
		return len(types) > 0, types
	}
	switch {
	case s.availableEnv != "":
		available = hasCredential || env.set(s.availableEnv)
	default:
		available = hasCredential || s.envConfigured(env)
	}
	if !available {
		return false, nil
	}
	for _, t := range allTypes() {
		if slices.Contains(s.Modalities, t) {
			types = append(types, t)
		}
	}
	return true, types
}

// envMode is the suffix a model type's per-mode variables carry.
func envMode(modelType string) string {
	switch modelType {
	case TypeLanguage:
		return "LLM"
	case TypeEmbedding:
		return "EMBEDDING"
	case TypeSpeechToText:
		return "STT"
	default:
		return "TTS"
	}
}
