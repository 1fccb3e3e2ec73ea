package httpapi_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// TestTwoReplicasShareSecurityState runs two servers on one database, as
// two replicas behind a load balancer: on PostgreSQL the real case, on
// SQLite two processes sharing a data directory.
func TestTwoReplicasShareSecurityState(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newEnv(t, engine, withPassword(password))
			b := a.replica(withPassword(password))

			t.Run("a session opened on one replica is valid on the other", func(t *testing.T) {
				token, r := a.login(password)
				if r.status != 200 {
					t.Fatal(r.body)
				}
				if r := b.do("GET", "/api/notebooks", "", bearer(token)...); r.status != 200 {
					t.Fatalf("bearer on b: %d %s", r.status, r.body)
				}
				if r := b.do("GET", "/api/notebooks", "", "Cookie", "onb_session="+token); r.status != 200 {
					t.Fatalf("cookie on b: %d %s", r.status, r.body)
				}
				if r := b.do("POST", "/api/auth/logout", "", bearer(token)...); r.status != 200 {
					t.Fatalf("logout on b: %d %s", r.status, r.body)
				}
				if r := a.do("GET", "/api/notebooks", "", bearer(token)...); r.status != 401 {
					t.Fatalf("a still accepts the session b logged out: %d", r.status)
				}
			})
			t.Run("a token revoked on one replica is revoked on the other", func(t *testing.T) {
				secret, id := a.createToken(`{"scope":"read"}`)
				if r := b.do("GET", "/api/notebooks", "", bearer(secret)...); r.status != 200 {
					t.Fatalf("token on b: %d %s", r.status, r.body)
				}
				if r := b.do("DELETE", "/api/auth/tokens/"+id, "", bearer(password)...); r.status != 200 {
					t.Fatalf("revoke on b: %d %s", r.status, r.body)
				}
				if r := a.do("GET", "/api/notebooks", "", bearer(secret)...); r.status != 401 {
					t.Fatalf("a still accepts the revoked token: %d", r.status)
				}
			})
			t.Run("concurrent writers on both replicas keep one audit chain", func(t *testing.T) {
				var wg sync.WaitGroup
				for i := range 24 {
					srv := a
					if i%2 == 1 {
						srv = b
					}
					wg.Go(func() {
						r := srv.do("POST", "/api/auth/tokens", fmt.Sprintf(`{"scope":"read","name":"t%d"}`, i), bearer(password)...)
						if r.status != 201 {
							t.Errorf("create on a replica: %d %s", r.status, r.body)
						}
					})
				}
				wg.Wait()
				for _, srv := range []*env{a, b} {
					got := obj(t, srv.do("GET", "/api/audit/verify", "", bearer(password)...))
					// login, logout, create, revoke, then 24 creations
					if got["ok"] != true || got["entries"] != float64(28) {
						t.Fatalf("verify: %v", got)
					}
				}
			})
			t.Run("failed logins count across both replicas", func(t *testing.T) {
				for i := range 10 {
					srv := a
					if i%2 == 1 {
						srv = b
					}
					if r := srv.do("GET", "/api/notebooks", "", bearer("wrong")...); r.status != 401 {
						t.Fatalf("attempt %d: %d %s", i+1, r.status, r.body)
					}
				}
				for _, srv := range []*env{a, b} {
					if r := srv.do("GET", "/api/notebooks", "", bearer(password)...); r.status != 429 {
						t.Fatalf("not locked out on a replica: %d %s", r.status, r.body)
					}
				}
			})
		})
	}
}
