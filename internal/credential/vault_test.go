package credential_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/credential"
	"github.com/open-notebook/open-notebook/internal/crypto/keyring"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

var cheap = keyring.KDFParams{Memory: 64, Time: 1, Threads: 1}

// racingStore rewrites a key between the rotation's read and its
// compare-and-set, as a concurrent server would.
type racingStore struct {
	*store.DB
	race func()
}

func (r racingStore) ReplaceKey(ctx context.Context, id, old, new string) (bool, error) {
	if r.race != nil {
		r.race()
	}
	return r.DB.ReplaceKey(ctx, id, old, new)
}

type noURLCheck struct{}

func (noURLCheck) ValidateURL(context.Context, string) error { return nil }

func TestRotationIsCompareAndSetAndResumable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		oldVault, err := credential.OpenVault(ctx, db, "old-key", nil, cheap)
		if err != nil {
			t.Fatal(err)
		}
		old := credential.NewService(db, oldVault, noURLCheck{}, nil, audit.NewLog(db, time.Now), time.Now)
		var ids []string
		for _, name := range []string{"a", "b", "c"} {
			c, err := old.Create(ctx, credential.Input{Name: name, Provider: "openai", APIKey: "sk-" + name + "-0123456789"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}

		newVault, err := credential.OpenVault(ctx, db, "new-key", []string{"old-key"}, cheap)
		if err != nil {
			t.Fatal(err)
		}
		fresh := credential.NewService(db, newVault, noURLCheck{}, nil, audit.NewLog(db, time.Now), time.Now)
		raced := false
		rs := racingStore{DB: db, race: func() {
			if raced {
				return
			}
			raced = true // a user replaces key "a" while the rotation runs
			if _, err := fresh.Update(ctx, ids[0], credential.Change{APIKey: ptr("sk-a-replaced-9999")}); err != nil {
				t.Fatal(err)
			}
		}}
		rotating, err := credential.OpenVault(ctx, rs, "new-key", []string{"old-key"}, cheap)
		if err != nil {
			t.Fatal(err)
		}
		var progress []int
		rotatingSvc := credential.NewService(rs, rotating, noURLCheck{}, nil, audit.NewLog(db, time.Now), time.Now)
		res, err := rotatingSvc.RotateKey(ctx, func(done, total int) { progress = append(progress, done) })
		if err != nil {
			t.Fatal(err)
		}
		if res.Changed != 1 || res.Resealed != 2 || len(progress) != 3 {
			t.Fatalf("result %+v, progress %v", res, progress)
		}
		cfg, _, err := fresh.ProviderConfig(ctx, ids[0])
		if err != nil || cfg.APIKey.Reveal() != "sk-a-replaced-9999" {
			t.Fatalf("the concurrent write was lost: %v %q", err, cfg.APIKey.Reveal())
		}

		// The old key is no longer needed: everything opens with the new one.
		only, err := credential.OpenVault(ctx, db, "new-key", nil, cheap)
		if err != nil {
			t.Fatal(err)
		}
		st, err := only.Status(ctx)
		if err != nil || !st.KeyMatches || st.Undecryptable != 0 || st.ByKeyID[*st.CurrentKeyID] != 3 {
			t.Fatalf("status %+v %v", st, err)
		}
		svc := credential.NewService(db, only, noURLCheck{}, nil, audit.NewLog(db, time.Now), time.Now)
		for i, id := range ids[1:] {
			cfg, _, err := svc.ProviderConfig(ctx, id)
			if err != nil || !strings.HasPrefix(cfg.APIKey.Reveal(), "sk-"+[]string{"b", "c"}[i]) {
				t.Fatalf("%s: %v", id, err)
			}
		}
		again, err := svc.RotateKey(ctx, nil)
		if err != nil || again.AlreadyCurrent != 3 || again.Resealed != 0 {
			t.Fatalf("a rerun must be a no-op: %+v %v", again, err)
		}
	})
}

func TestACiphertextMovedToAnotherRowDoesNotOpen(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := t.Context()
	v, err := credential.OpenVault(ctx, db, "k", nil, cheap)
	if err != nil {
		t.Fatal(err)
	}
	svc := credential.NewService(db, v, noURLCheck{}, nil, audit.NewLog(db, time.Now), time.Now)
	a, _ := svc.Create(ctx, credential.Input{Name: "a", Provider: "openai", APIKey: "sk-a-0123456789"})
	b, _ := svc.Create(ctx, credential.Input{Name: "b", Provider: "openai", APIKey: "sk-b-0123456789"})
	sealed, _ := db.SealedKeys(ctx)
	var aValue, bValue string
	for _, s := range sealed {
		if s.ID == a.ID {
			aValue = s.Value
		} else {
			bValue = s.Value
		}
	}
	if ok, err := db.ReplaceKey(ctx, b.ID, bValue, aValue); !ok || err != nil {
		t.Fatal("could not plant the copied ciphertext")
	}
	if _, _, err := svc.ProviderConfig(ctx, b.ID); err == nil {
		t.Fatal("a ciphertext copied from another credential opened")
	}
}

func ptr[T any](v T) *T { return &v }
