package httpapi_test

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// storedBytes returns everything the database holds: the SQLite files
// (with the WAL) or, on PostgreSQL, every credentials row as text.
func (e *env) storedBytes() []byte {
	e.t.Helper()
	if e.engine == store.SQLite {
		var all []byte
		for _, f := range []string{store.FileName, store.FileName + "-wal"} {
			b, err := os.ReadFile(filepath.Join(e.dbDir, f))
			if err != nil && !os.IsNotExist(err) {
				e.t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	}
	db, err := sql.Open("pgx", e.dbURL)
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT c::text FROM credentials c`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var buf bytes.Buffer
	for rows.Next() {
		var s string
		rows.Scan(&s)
		buf.WriteString(s)
	}
	return buf.Bytes()
}

func TestNoPlaintextKeyIsStored(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withKey(encKey))
			c := e.createCredential(`{"name":"k","provider":"openai","api_key":"` + secretKey + `"}`)
			e.do("PUT", "/api/credentials/"+c["id"].(string), `{"api_key":"`+secretKey+`-v2"}`)
			e.vars["ANTHROPIC_API_KEY"] = "sk-ant-LEAKCANARY-env-0000"
			e.start(withKey(encKey))
			e.do("POST", "/api/credentials/migrate-from-env", "")
			stored := e.storedBytes()
			if len(stored) == 0 {
				t.Fatal("nothing read from the database")
			}
			if bytes.Contains(stored, []byte("LEAKCANARY")) {
				t.Fatal("a plaintext key is stored in the database")
			}
			if !bytes.Contains(stored, []byte("onb1:")) {
				t.Fatal("no sealed envelope found: the scan reads the wrong place")
			}
		})
	}
}

func TestWrongKeyLocksTheVaultInsteadOfMixingKeys(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, engine, withKey("key-A"))
			c := e.createCredential(`{"name":"first","provider":"openai","api_key":"` + secretKey + `"}`)
			id := c["id"].(string)
			keyless := e.createCredential(`{"name":"local","provider":"ollama"}`)["id"].(string)

			e.start(withKey("key-B")) // the operator changed the key and forgot the old one
			st := obj(t, e.do("GET", "/api/credentials/status", ""))
			if st["encryption_configured"] != true || st["encryption_key_matches"] != false {
				t.Fatalf("status %v", st)
			}
			list := e.do("GET", "/api/credentials", "")
			if !strings.Contains(list.body, `"decryption_error":"Failed to decrypt API key. The encryption key may have changed."`) {
				t.Fatalf("list %s", list.body)
			}
			if got := obj(t, e.do("GET", "/api/credentials/"+keyless, "")); got["decryption_error"] != nil {
				t.Fatalf("a credential without a key has no decryption error: %v", got)
			}
			r := e.do("POST", "/api/credentials", `{"name":"second","provider":"groq","api_key":"gsk-new"}`)
			if r.status != 409 || !strings.Contains(r.body, "does not match the key that encrypted the stored credentials") {
				t.Fatalf("a new key under the wrong key must be refused: %d %s", r.status, r.body)
			}
			if r := e.do("PUT", "/api/credentials/"+id, `{"api_key":"sk-other"}`); r.status != 409 {
				t.Fatalf("replacing a key must be refused: %d %s", r.status, r.body)
			}
			if r := e.do("PUT", "/api/credentials/"+id, `{"name":"renamed"}`); r.status != 200 {
				t.Fatalf("an update that seals nothing is allowed: %d %s", r.status, r.body)
			}
			enc := obj(t, e.do("GET", "/api/admin/encryption/status", ""))
			if enc["key_matches"] != false || enc["undecryptable_rows"] != 1.0 || enc["total"] != 1.0 {
				t.Fatalf("encryption status %v", enc)
			}

			e.start(withKey("key-B", "key-A")) // the old key given as previous: readable again
			st = obj(t, e.do("GET", "/api/credentials/status", ""))
			if st["encryption_key_matches"] != true {
				t.Fatalf("status with the previous key %v", st)
			}
			enc = obj(t, e.do("GET", "/api/admin/encryption/status", ""))
			if enc["rows_needing_rotation"] != 1.0 || enc["undecryptable_rows"] != 0.0 {
				t.Fatalf("before rotation %v", enc)
			}
			rot := obj(t, e.do("POST", "/api/admin/encryption/rotate", ""))
			if rot["resealed"] != 1.0 || rot["undecryptable"] != 0.0 {
				t.Fatalf("rotation %v", rot)
			}
			again := obj(t, e.do("POST", "/api/admin/encryption/rotate", ""))
			if again["resealed"] != 0.0 || again["already_current"] != 1.0 {
				t.Fatalf("a second rotation must find nothing to do: %v", again)
			}

			e.start(withKey("key-B")) // the old key is no longer needed
			st = obj(t, e.do("GET", "/api/credentials/status", ""))
			enc = obj(t, e.do("GET", "/api/admin/encryption/status", ""))
			if st["encryption_key_matches"] != true || enc["undecryptable_rows"] != 0.0 || strings.Contains(e.do("GET", "/api/credentials", "").body, "decryption_error\":\"") {
				t.Fatalf("after rotation: %v %v", st, enc)
			}
			if r := e.do("POST", "/api/credentials", `{"name":"second","provider":"groq","api_key":"gsk-new"}`); r.status != 201 {
				t.Fatalf("writes work again: %d %s", r.status, r.body)
			}
			if r := e.do("DELETE", "/api/credentials/"+id, ""); r.status != 200 {
				t.Fatalf("delete: %d", r.status)
			}
			e.mustNotLeak(secretKey, "key-A", "key-B")
		})
	}
}
