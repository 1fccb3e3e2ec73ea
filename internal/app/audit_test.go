package app_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/ai"
	"github.com/open-notebook/open-notebook/internal/app"
	"github.com/open-notebook/open-notebook/internal/app/apptest"
	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/auth"
	"github.com/open-notebook/open-notebook/internal/credential"
	"github.com/open-notebook/open-notebook/internal/model"
	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/secret"
	"github.com/open-notebook/open-notebook/internal/settings"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// The audited services and, for each, the methods that change nothing and
// so record nothing. Every other exported method must appear in
// TestEveryChangeIsAudited: a method added to a service without an audit
// test fails TestEveryStateChangingMethodHasAnAuditTest.
var audited = map[string]struct {
	typ      reflect.Type
	readOnly []string
}{
	"credential": {reflect.TypeFor[*credential.Service](), []string{"Get", "List", "Status", "EnvStatus", "ProviderConfig", "Vault"}},
	"model":      {reflect.TypeFor[*model.Service](), []string{"Get", "List", "ByProvider", "Count", "Defaults", "ResolveDefault"}},
	"ai": {reflect.TypeFor[*ai.Service](), []string{"Chat", "Embed", "Speak", "Transcribe", "Model", "DiscoverProvider",
		"TestModel", "Providers", "EmbeddingModel", "EmbedWith", "LanguageModel", "ChatWith", "DefaultModel", "ChatStream", "ChatStreamWith",
		"TranscribeWith", "SpeakWith"}},
	"auth":     {reflect.TypeFor[*auth.Service](), []string{"Enabled", "Options", "PasswordRuns", "CheckLockout", "IdleExpires", "Tokens"}},
	"settings": {reflect.TypeFor[*settings.Service](), []string{"Get"}},
}

// covered lists the methods TestEveryChangeIsAudited calls, per service.
var covered = map[string][]string{
	"credential": {"Create", "Update", "Delete", "MigrateFromEnv", "MigrateFromProviderConfig", "RotateKey"},
	"model":      {"Create", "Delete", "UpdateDefaults", "AutoAssign"},
	"ai":         {"TestCredential", "DiscoverCredential", "RegisterModels", "SyncProvider", "SyncAll"},
	"auth":       {"Login", "Logout", "RevokeAllSessions", "CreateToken", "RevokeToken", "Bearer", "Cookie"},
	"settings":   {"Update"},
}

func TestEveryStateChangingMethodHasAnAuditTest(t *testing.T) {
	for name, svc := range audited {
		for i := range svc.typ.NumMethod() {
			m := svc.typ.Method(i).Name
			if !slices.Contains(svc.readOnly, m) && !slices.Contains(covered[name], m) {
				t.Errorf("%s.%s changes state (it is not listed as read-only) but no test asserts its audit entry", name, m)
			}
		}
	}
}

func TestEveryChangeIsAudited(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine store.Engine) {
		cfg := apptest.Config(t, engine)
		cfg.Password = secret.New("pw")
		vars := map[string]string{"GROQ_API_KEY": providertest.GoodKey}
		a := apptest.Open(t, engine, cfg, app.Options{Env: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
		up := providertest.NewUpstream(t, provider.FamilyOpenAI)
		vars["GROQ_API_BASE"] = up.BaseURL("")
		ctx := audit.WithActor(t.Context(), "token:tester", "192.0.2.77")
		client := auth.Client{Key: "192.0.2.77", Addr: "192.0.2.77"}

		var credID, modelID, sessionSecret, sessionID, tokenID string
		cases := []struct {
			name, action string
			do           func() error
		}{
			{"credential.Create", "credential.create", func() error {
				c, err := a.Credentials.Create(ctx, credential.Input{Name: "work", Provider: "openai", APIKey: providertest.GoodKey,
					Settings: provider.Settings{BaseURL: up.BaseURL("")}})
				if c != nil {
					credID = c.ID
				}
				return err
			}},
			{"credential.Update", "credential.update", func() error {
				name := "renamed"
				_, err := a.Credentials.Update(ctx, credID, credential.Change{Name: &name})
				return err
			}},
			{"ai.TestCredential", "credential.test", func() error { _, err := a.AI.TestCredential(ctx, credID); return err }},
			{"ai.DiscoverCredential", "credential.discover", func() error { _, err := a.AI.DiscoverCredential(ctx, credID); return err }},
			{"ai.RegisterModels", "credential.register_models", func() error {
				_, err := a.AI.RegisterModels(ctx, credID, []ai.Candidate{{Name: "gpt-4o-mini", Type: provider.TypeLanguage}})
				return err
			}},
			{"ai.SyncProvider", "models.sync", func() error { _, err := a.AI.SyncProvider(ctx, "openai"); return err }},
			{"ai.SyncAll", "models.sync", func() error { _, err := a.AI.SyncAll(ctx); return err }},
			{"model.Create", "model.create", func() error {
				m, err := a.Models.Create(ctx, model.NewInput{Name: "my-embedder", Provider: "openai", Type: provider.TypeEmbedding})
				if m != nil {
					modelID = m.ID
				}
				return err
			}},
			{"model.UpdateDefaults", "models.defaults", func() error {
				_, err := a.Models.UpdateDefaults(ctx, map[string]string{"default_embedding_model": modelID})
				return err
			}},
			{"model.AutoAssign", "models.defaults", func() error { _, err := a.Models.AutoAssign(ctx); return err }},
			{"model.Delete", "model.delete", func() error { return a.Models.Delete(ctx, modelID) }},
			{"credential.MigrateFromEnv", "credential.migrate_env", func() error { _, err := a.Credentials.MigrateFromEnv(ctx); return err }},
			{"credential.MigrateFromProviderConfig", "credential.migrate_provider_config", func() error {
				_, err := a.Credentials.MigrateFromProviderConfig(ctx, map[string][]credential.LegacyCredential{
					"mistral": {{Name: "legacy", APIKey: "legacy-plaintext-key-1234"}}})
				return err
			}},
			{"credential.RotateKey", "keyring.rotate", func() error { _, err := a.Credentials.RotateKey(ctx, nil); return err }},
			{"credential.Delete", "credential.delete", func() error { _, err := a.Credentials.Delete(ctx, credID, ""); return err }},
			{"settings.Update", "settings.update", func() error {
				never := "never"
				_, err := a.Settings.Update(ctx, settings.Content{DefaultEmbeddingOption: &never})
				return err
			}},
			{"auth.Login", "auth.login", func() error {
				secret, sess, err := a.Auth.Login(ctx, "pw", client)
				if sess != nil {
					sessionSecret, sessionID = secret, sess.ID
				}
				return err
			}},
			{"auth.Bearer with a wrong password", "auth.failure", func() error {
				if _, err := a.Auth.Bearer(ctx, "wrong", client); !strings.Contains(err.Error(), "Invalid password") {
					return err
				}
				return nil
			}},
			{"auth.Cookie with an unknown session", "auth.failure", func() error {
				if _, err := a.Auth.Cookie(ctx, auth.SessionPrefix+"unknown", client); !strings.Contains(err.Error(), "Invalid session") {
					return err
				}
				return nil
			}},
			{"auth.Logout", "auth.logout", func() error {
				if _, err := a.Auth.Bearer(ctx, sessionSecret, client); err != nil {
					return err
				}
				return a.Auth.Logout(ctx, sessionID)
			}},
			{"auth.RevokeAllSessions", "auth.sessions_revoke_all", func() error { _, err := a.Auth.RevokeAllSessions(ctx); return err }},
			{"auth.CreateToken", "token.create", func() error {
				_, tok, err := a.Auth.CreateToken(ctx, auth.NewToken{Scope: auth.ScopeRead})
				if tok != nil {
					tokenID = tok.ID
				}
				return err
			}},
			{"auth.RevokeToken", "token.revoke", func() error { _, err := a.Auth.RevokeToken(ctx, tokenID); return err }},
		}
		for _, tc := range cases {
			t.Run(tc.name+" records "+tc.action, func(t *testing.T) {
				before := head(t, a)
				if err := tc.do(); err != nil {
					t.Fatal(err)
				}
				page, err := a.Audit.List(t.Context(), audit.Filter{Action: tc.action, Limit: 1})
				if err != nil || len(page.Entries) == 0 || page.Entries[0].Seq <= before {
					t.Fatalf("no new %s entry: %+v %v", tc.action, page.Entries, err)
				}
				e := page.Entries[0]
				wantActor := "token:tester"
				if strings.HasPrefix(tc.action, "auth.failure") {
					wantActor = "anonymous"
				} else if tc.action == "auth.login" {
					wantActor = "password"
				}
				if e.Actor != wantActor || e.ClientIP != "192.0.2.77" {
					t.Fatalf("entry by %s from %s, want %s from 192.0.2.77", e.Actor, e.ClientIP, wantActor)
				}
			})
		}
		t.Run("revoking a revoked token records nothing more", func(t *testing.T) {
			before := head(t, a)
			if _, err := a.Auth.RevokeToken(ctx, tokenID); err != nil {
				t.Fatal(err)
			}
			if after := head(t, a); after != before {
				t.Fatalf("the chain grew from %d to %d", before, after)
			}
		})
		if rep, err := a.Audit.Verify(t.Context()); err != nil || !rep.OK {
			t.Fatalf("the chain does not verify: %+v %v", rep, err)
		}
	})
}

func head(t *testing.T, a *app.App) int64 {
	t.Helper()
	page, err := a.Audit.List(t.Context(), audit.Filter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) == 0 {
		return 0
	}
	return page.Entries[0].Seq
}

// TestAChangeWhoseEntryCannotBeWrittenIsNotMade breaks the audit log under
// the application and shows that a change and its entry commit together.
func TestAChangeWhoseEntryCannotBeWrittenIsNotMade(t *testing.T) {
	eachEngine(t, func(t *testing.T, engine store.Engine) {
		cfg := apptest.Config(t, engine)
		a := apptest.Open(t, engine, cfg, app.Options{})
		raw := rawDB(t, cfg.DatabaseURL.Reveal(), cfg.DataDir)
		if _, err := raw.Exec(`DROP TABLE audit_log`); err != nil {
			t.Fatal(err)
		}
		ctx := audit.WithActor(context.Background(), "cli", "local")
		if _, err := a.Credentials.Create(ctx, credential.Input{Name: "lost", Provider: "openai", APIKey: "sk-never-stored-1234"}); err == nil {
			t.Fatal("the change succeeded without its audit entry")
		}
		cs, err := a.Credentials.List(ctx, "")
		if err != nil || len(cs) != 0 {
			t.Fatalf("credentials after the failed change: %+v %v", cs, err)
		}
	})
}

// eachEngine runs fn as a subtest on every engine.
func eachEngine(t *testing.T, fn func(t *testing.T, engine store.Engine)) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) { fn(t, e) })
	}
}

func rawDB(t *testing.T, url, dir string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", url
	if url == "" {
		// The application holds the file too: wait for its locks.
		driver, dsn = "sqlite", "file:"+filepath.Join(dir, store.FileName)+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
