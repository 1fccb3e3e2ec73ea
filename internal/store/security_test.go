package store_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/auth"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := &auth.Session{ID: "session:a", Created: t0, LastSeen: t0, Expires: t0.Add(time.Hour), ClientIP: "192.0.2.1", UserAgent: "curl/8"}
		if err := db.CreateSession(ctx, s, "hash-a"); err != nil {
			t.Fatal(err)
		}
		t.Run("a session reads back by its secret hash", func(t *testing.T) {
			got, err := db.SessionBySecret(ctx, "hash-a")
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != s.ID || !got.Created.Equal(t0) || !got.Expires.Equal(s.Expires) || got.ClientIP != "192.0.2.1" ||
				got.UserAgent != "curl/8" || got.Revoked != nil {
				t.Fatalf("got %+v", got)
			}
		})
		t.Run("an unknown hash is not found", func(t *testing.T) {
			if _, err := db.SessionBySecret(ctx, "nope"); !apperr.IsNotFound(err) {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("a duplicate secret hash is refused", func(t *testing.T) {
			dup := *s
			dup.ID = "session:dup"
			if err := db.CreateSession(ctx, &dup, "hash-a"); err == nil {
				t.Fatal("a second session with the same hash was stored")
			}
		})
		t.Run("touching never moves last use backwards", func(t *testing.T) {
			later := t0.Add(10 * time.Minute)
			if err := db.TouchSession(ctx, s.ID, later); err != nil {
				t.Fatal(err)
			}
			if err := db.TouchSession(ctx, s.ID, t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			got, _ := db.SessionBySecret(ctx, "hash-a")
			if !got.LastSeen.Equal(later) {
				t.Fatalf("last seen %v, want %v", got.LastSeen, later)
			}
		})
		t.Run("revoking marks the session and a second revoke is not found", func(t *testing.T) {
			if err := db.RevokeSession(ctx, s.ID, t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			got, _ := db.SessionBySecret(ctx, "hash-a")
			if got.Revoked == nil || !got.Revoked.Equal(t0.Add(time.Minute)) {
				t.Fatalf("revoked = %v", got.Revoked)
			}
			if err := db.RevokeSession(ctx, s.ID, t0.Add(2*time.Minute)); !apperr.IsNotFound(err) {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("revoking all counts only sessions still usable", func(t *testing.T) {
			for i, exp := range []time.Duration{time.Hour, 2 * time.Hour, -time.Minute} {
				x := &auth.Session{ID: fmt.Sprintf("session:all%d", i), Created: t0, LastSeen: t0, Expires: t0.Add(exp)}
				if err := db.CreateSession(ctx, x, fmt.Sprintf("hash-all%d", i)); err != nil {
					t.Fatal(err)
				}
			}
			n, err := db.RevokeAllSessions(ctx, t0)
			if err != nil || n != 2 {
				t.Fatalf("revoked %d, %v; want 2", n, err)
			}
		})
		t.Run("sessions past their end are deleted", func(t *testing.T) {
			if err := db.DeleteSessionsExpiredBefore(ctx, t0); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SessionBySecret(ctx, "hash-all2"); !apperr.IsNotFound(err) {
				t.Fatalf("expired session still there: %v", err)
			}
			if _, err := db.SessionBySecret(ctx, "hash-all0"); err != nil {
				t.Fatalf("a live session was deleted: %v", err)
			}
		})
	})
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		exp := t0.Add(24 * time.Hour)
		mk := func(id, hash string, scope auth.Scope, created time.Time, expires *time.Time) {
			t.Helper()
			if err := db.CreateToken(ctx, &auth.Token{ID: id, Name: "n-" + id, Scope: scope, Created: created, Expires: expires}, hash); err != nil {
				t.Fatal(err)
			}
		}
		mk("token:a", "ha", auth.ScopeRead, t0, &exp)
		mk("token:b", "hb", auth.ScopeAdmin, t0.Add(time.Second), nil)

		t.Run("a token reads back with its scope and expiry", func(t *testing.T) {
			got, err := db.TokenBySecret(ctx, "ha")
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != "token:a" || got.Name != "n-token:a" || got.Scope != auth.ScopeRead || got.Expires == nil ||
				!got.Expires.Equal(exp) || got.LastUsed != nil || got.Revoked != nil {
				t.Fatalf("got %+v", got)
			}
		})
		t.Run("an unknown hash is not found", func(t *testing.T) {
			if _, err := db.TokenBySecret(ctx, "zz"); !apperr.IsNotFound(err) {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("the list is newest first", func(t *testing.T) {
			ts, err := db.Tokens(ctx)
			if err != nil || len(ts) != 2 || ts[0].ID != "token:b" || ts[1].ID != "token:a" {
				t.Fatalf("got %+v, %v", ts, err)
			}
		})
		t.Run("last use is recorded and never moves backwards", func(t *testing.T) {
			if err := db.TouchToken(ctx, "token:a", t0.Add(time.Hour), "198.51.100.7"); err != nil {
				t.Fatal(err)
			}
			if err := db.TouchToken(ctx, "token:a", t0.Add(time.Minute), "203.0.113.9"); err != nil {
				t.Fatal(err)
			}
			got, _ := db.TokenBySecret(ctx, "ha")
			if got.LastUsed == nil || !got.LastUsed.Equal(t0.Add(time.Hour)) || got.LastUsedIP != "198.51.100.7" {
				t.Fatalf("got %v %q", got.LastUsed, got.LastUsedIP)
			}
		})
		t.Run("revoking keeps the first revocation time", func(t *testing.T) {
			first, err := db.RevokeToken(ctx, "token:b", t0.Add(time.Hour))
			if err != nil || first.Revoked == nil {
				t.Fatalf("%+v %v", first, err)
			}
			again, err := db.RevokeToken(ctx, "token:b", t0.Add(2*time.Hour))
			if err != nil || !again.Revoked.Equal(t0.Add(time.Hour)) {
				t.Fatalf("%+v %v", again, err)
			}
		})
		t.Run("revoking an unknown token is not found", func(t *testing.T) {
			if _, err := db.RevokeToken(ctx, "token:nope", t0); !apperr.IsNotFound(err) {
				t.Fatalf("err = %v", err)
			}
		})
	})
}

func TestAuthFailureWindows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		window := 5 * time.Minute
		add := func(client string, at time.Time) (int, time.Time) {
			t.Helper()
			n, start, err := db.AddAuthFailure(ctx, client, at, at.Add(-window))
			if err != nil {
				t.Fatal(err)
			}
			return n, start
		}
		cases := []struct {
			name      string
			at        time.Time
			wantCount int
			wantStart time.Time
		}{
			{"the first failure opens a window", t0, 1, t0},
			{"a failure inside the window counts on", t0.Add(time.Minute), 2, t0},
			{"a failure at the window's last instant still counts", t0.Add(window - time.Microsecond), 3, t0},
			{"a failure once the window has passed opens a new one", t0.Add(window), 1, t0.Add(window)},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				n, start := add("192.0.2.1", tc.at)
				if n != tc.wantCount || !start.Equal(tc.wantStart) {
					t.Fatalf("count %d start %v, want %d %v", n, start, tc.wantCount, tc.wantStart)
				}
			})
		}
		t.Run("clients are counted apart", func(t *testing.T) {
			if n, _ := add("192.0.2.2", t0); n != 1 {
				t.Fatalf("count %d", n)
			}
			n, _, err := db.AuthFailures(ctx, "192.0.2.1")
			if err != nil || n != 1 {
				t.Fatalf("count %d, %v", n, err)
			}
		})
		t.Run("an unknown client has no failures", func(t *testing.T) {
			n, start, err := db.AuthFailures(ctx, "203.0.113.1")
			if err != nil || n != 0 || !start.IsZero() {
				t.Fatalf("%d %v %v", n, start, err)
			}
		})
		t.Run("concurrent failures are all counted", func(t *testing.T) {
			var wg sync.WaitGroup
			for range 20 {
				wg.Go(func() {
					if _, _, err := db.AddAuthFailure(ctx, "198.51.100.1", t0, t0.Add(-window)); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if n, _, _ := db.AuthFailures(ctx, "198.51.100.1"); n != 20 {
				t.Fatalf("count %d, want 20", n)
			}
		})
		t.Run("old windows are deleted", func(t *testing.T) {
			if err := db.DeleteAuthFailuresBefore(ctx, t0); err != nil {
				t.Fatal(err)
			}
			if n, _, _ := db.AuthFailures(ctx, "192.0.2.2"); n != 0 {
				t.Fatalf("count %d after delete", n)
			}
			if n, _, _ := db.AuthFailures(ctx, "192.0.2.1"); n != 1 {
				t.Fatalf("a current window was deleted")
			}
		})
	})
}

// rawDB opens the test database directly, as someone with access to the
// database (not the application) would.
func rawDB(t *testing.T, engine store.Engine, url, dir string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", url
	if engine == store.SQLite {
		driver, dsn = "sqlite", filepath.Join(dir, store.FileName)
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func TestAuditChainStore(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) { testAuditChainStore(t, engine) })
	}
}

func testAuditChainStore(t *testing.T, engine store.Engine) {
	url, dir := storetest.URL(t, engine)
	db, err := store.Open(t.Context(), url, dir, storetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw := rawDB(t, engine, url, dir)
	{
		ctx := t.Context()
		appendOne := func(action string) audit.Entry {
			t.Helper()
			e := &audit.Entry{Time: t0, Actor: "password", ClientIP: "192.0.2.1", Action: action, Target: "credential:x",
				Outcome: "success", Details: json.RawMessage(`{"fields":["name"]}`)}
			if err := db.AppendAudit(ctx, e, func(e *audit.Entry) { e.Hash = audit.ComputeHash(e) }); err != nil {
				t.Fatal(err)
			}
			return *e
		}
		t.Run("an empty log's head is the genesis hash", func(t *testing.T) {
			seq, hash, err := db.AuditHead(ctx)
			if err != nil || seq != 0 || hash != audit.Genesis {
				t.Fatalf("%d %q %v", seq, hash, err)
			}
		})
		first, second := appendOne("a"), appendOne("b")
		t.Run("entries are numbered and linked", func(t *testing.T) {
			if first.Seq != 1 || first.PrevHash != audit.Genesis || second.Seq != 2 || second.PrevHash != first.Hash {
				t.Fatalf("first %+v second %+v", first, second)
			}
			seq, hash, _ := db.AuditHead(ctx)
			if seq != 2 || hash != second.Hash {
				t.Fatalf("head %d %q", seq, hash)
			}
		})
		t.Run("entries read back byte for byte", func(t *testing.T) {
			es, err := db.AuditEntries(ctx, 0, 10)
			if err != nil || len(es) != 2 {
				t.Fatalf("%v %v", es, err)
			}
			if string(es[0].Details) != `{"fields":["name"]}` || !es[0].Time.Equal(t0) || audit.ComputeHash(&es[0]) != first.Hash {
				t.Fatalf("got %+v", es[0])
			}
		})
		t.Run("the database refuses to change or delete an entry", func(t *testing.T) {
			for _, q := range []string{`UPDATE audit_log SET outcome = 'failure' WHERE seq = 1`, `DELETE FROM audit_log WHERE seq = 1`} {
				if _, err := raw.ExecContext(ctx, q); err == nil {
					t.Errorf("%s succeeded", q)
				}
			}
		})
		t.Run("concurrent appends form one chain", func(t *testing.T) {
			var wg sync.WaitGroup
			for i := range 30 {
				wg.Go(func() { appendOne(fmt.Sprintf("c%d", i)) })
			}
			wg.Wait()
			es, err := db.AuditEntries(ctx, 0, 100)
			if err != nil || len(es) != 32 {
				t.Fatalf("%d entries, %v", len(es), err)
			}
			for i := 1; i < len(es); i++ {
				if es[i].Seq != int64(i+1) || es[i].PrevHash != es[i-1].Hash {
					t.Fatalf("entry %d does not follow entry %d", es[i].Seq, es[i-1].Seq)
				}
			}
		})
		t.Run("listing filters by action and target, newest first, with a cursor", func(t *testing.T) {
			es, err := db.ListAudit(ctx, audit.Filter{Target: "credential:x", Before: 3, Limit: 10})
			if err != nil || len(es) != 2 || es[0].Seq != 2 || es[1].Seq != 1 {
				t.Fatalf("%v %v", es, err)
			}
			es, _ = db.ListAudit(ctx, audit.Filter{Action: "b", Limit: 10})
			if len(es) != 1 || es[0].Seq != 2 {
				t.Fatalf("by action: %v", es)
			}
			es, _ = db.ListAudit(ctx, audit.Filter{Since: t0.Add(time.Second), Limit: 10})
			if len(es) != 0 {
				t.Fatalf("since: %v", es)
			}
			es, _ = db.ListAudit(ctx, audit.Filter{Until: t0.Add(time.Second), Limit: 5})
			if len(es) != 5 || es[0].Seq != 32 {
				t.Fatalf("until with limit: %d entries", len(es))
			}
		})
	}
}
