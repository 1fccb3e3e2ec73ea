package httpapi_test

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/provider"
	"github.com/open-notebook/open-notebook/internal/provider/providertest"
	"github.com/open-notebook/open-notebook/internal/store"
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

// TestVectorSearchAcrossReplicas writes through one replica and searches
// through the other: each keeps its own in-memory vector index and must
// pick up what the other wrote and removed (on PostgreSQL the real case).
func TestVectorSearchAcrossReplicas(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			a := newEnv(t, engine, withKey(encKey))
			b := a.replica(withKey(encKey))
			up := providertest.NewUpstream(t, provider.FamilyOpenAI)
			r := a.do("POST", "/api/credentials", `{"name":"Local","provider":"openai_compatible","api_key":"`+
				providertest.GoodKey+`","base_url":"`+up.BaseURL("")+`"}`)
			if r.status != 201 {
				t.Fatalf("credential: %d %s", r.status, r.body)
			}
			emb := a.createModel("text-embedding-3-small", "openai_compatible", "embedding", obj(t, r)["id"].(string))
			if r := a.do("PUT", "/api/models/defaults", `{"default_embedding_model":"`+emb+`"}`); r.status != 200 {
				t.Fatalf("defaults: %d %s", r.status, r.body)
			}
			found := func(srv *env) []string {
				t.Helper()
				r := srv.do("POST", "/api/search", `{"query":"singing whales","type":"vector","limit":50}`)
				if r.status != 200 {
					t.Fatalf("search: %d %s", r.status, r.body)
				}
				var ids []string
				for _, h := range obj(t, r)["results"].([]any) {
					ids = append(ids, h.(map[string]any)["id"].(string))
				}
				return ids
			}
			// b loads its (empty) index before a writes anything.
			if ids := found(b); len(ids) != 0 {
				t.Fatalf("found before any write: %v", ids)
			}
			r = a.do("POST", "/api/sources/json", `{"type":"text","content":"Humpback whales sing in the breeding season.","embed":true,"transformations":[]}`)
			if r.status != 200 {
				t.Fatalf("source: %d %s", r.status, r.body)
			}
			src := obj(t, r)["id"].(string)
			if ids := found(b); !slices.Equal(ids, []string{src}) {
				t.Fatalf("b does not find the source a embedded: %v", ids)
			}
			// A note is embedded by a background job on either replica.
			r = a.do("POST", "/api/notes", `{"title":"Songs","content":"Whales sing long songs."}`)
			if r.status != 200 {
				t.Fatalf("note: %d %s", r.status, r.body)
			}
			note := obj(t, r)["id"].(string)
			deadline := time.Now().Add(20 * time.Second)
			for !slices.Contains(found(b), note) {
				if time.Now().After(deadline) {
					t.Fatalf("b never finds the note a wrote")
				}
				time.Sleep(50 * time.Millisecond)
			}
			if r := a.do("DELETE", "/api/sources/"+src, ""); r.status != 200 {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
			if ids := found(b); !slices.Equal(ids, []string{note}) {
				t.Fatalf("b still finds the source a deleted: %v", ids)
			}
			if ids := found(a); !slices.Equal(ids, []string{note}) {
				t.Fatalf("a: %v", ids)
			}
		})
	}
}

// TestReplicasServeEachOthersFiles runs two replicas on one PostgreSQL
// database with data directories of their own, as on two machines: a file
// uploaded through one is downloaded through the other, and deleting the
// source through the other removes it.
func TestReplicasServeEachOthersFiles(t *testing.T) {
	if !slices.Contains(storetest.Engines(), store.Postgres) {
		t.Skip("replicas share PostgreSQL; set " + storetest.PostgresURLVar)
	}
	a := newEnv(t, store.Postgres)
	b := &env{t: t, dbURL: a.dbURL, logs: &syncBuffer{}, vars: testEnv{}, engine: store.Postgres, uploads: t.TempDir()}
	b.start()
	content := bytes.Repeat([]byte("Kelp forests grow fast. "), 100_000) // 2.4 MB: several chunks
	r := a.upload(map[string]string{"type": "upload", "async_processing": "false"}, "kelp.txt", content)
	if r.status != 200 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	id := obj(t, r)["id"].(string)
	if entries, _ := os.ReadDir(a.uploads); len(entries) != 0 {
		t.Fatalf("on PostgreSQL the upload went to the local disk: %v", entries)
	}
	got := b.do("GET", "/api/sources/"+id+"/download", "")
	if got.status != 200 || got.body != string(content) {
		t.Fatalf("download through the other replica: %d, %d bytes", got.status, len(got.body))
	}
	part := b.do("GET", "/api/sources/"+id+"/download", "", "Range", "bytes=1048570-1048599")
	if part.status != 206 || part.body != string(content[1048570:1048600]) {
		t.Fatalf("a range across chunks: %d %q", part.status, part.body)
	}
	if r := b.do("DELETE", "/api/sources/"+id, ""); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	var n int
	if err := a.rawDB().QueryRow(`SELECT count(*) FROM blobs`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("files left after the delete: %d %v", n, err)
	}
}
