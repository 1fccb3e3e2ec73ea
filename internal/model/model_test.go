package model_test

import (
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/model"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

func TestResolveDefaultAppliesTheFallbacks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		svc := model.NewService(db, audit.NewLog(db, time.Now), time.Now)
		chat, err := svc.Create(ctx, model.NewInput{Name: "gpt-4o", Provider: "openai", Type: "language"})
		if err != nil {
			t.Fatal(err)
		}
		tools, _ := svc.Create(ctx, model.NewInput{Name: "gpt-4o-mini", Provider: "openai", Type: "language"})
		if _, err := svc.UpdateDefaults(ctx, map[string]string{"default_chat_model": chat.ID, "default_tools_model": tools.ID}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			slot, want string
		}{
			{"chat", chat.ID},
			{"tools", tools.ID},
			{"transformation", chat.ID},
			{"large_context", chat.ID},
			{"default_transformation_model", chat.ID},
			{"embedding", ""},
			{"text_to_speech", ""},
			{"speech_to_text", ""},
			{"nonsense", ""},
		}
		for _, tc := range cases {
			m, ok, err := svc.ResolveDefault(ctx, tc.slot)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if ok {
				got = m.ID
			}
			if got != tc.want {
				t.Errorf("ResolveDefault(%q) = %q, want %q", tc.slot, got, tc.want)
			}
		}
	})
}
