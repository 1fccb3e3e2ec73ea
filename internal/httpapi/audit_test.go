package httpapi_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

// tamper changes the audit log directly in the database, as an attacker
// with database access would: first past the append-only trigger.
func (e *env) tamper(stmt string) {
	e.t.Helper()
	db := e.rawDB()
	disable := map[store.Engine]string{
		store.SQLite:   `DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete`,
		store.Postgres: `ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`,
	}[e.engine]
	for _, q := range append(strings.Split(disable, "; "), stmt) {
		if _, err := db.Exec(q); err != nil {
			e.t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestAuditLogListing(t *testing.T) {
	e, clk := newClockedEnv(t, store.SQLite, withPassword(password), withKey(encKey))
	start := clk.Now()
	var tokenIDs []string
	for range 3 {
		_, id := e.createToken(`{"scope":"read"}`)
		tokenIDs = append(tokenIDs, id)
		clk.Advance(time.Minute)
	}
	e.do("GET", "/api/notebooks", "", bearer("wrong")...)
	cred := e.do("POST", "/api/credentials", `{"name":"k","provider":"openai","api_key":"`+secretKey+`"}`, bearer(password)...)
	credID := obj(t, cred)["id"].(string)
	e.do("PUT", "/api/credentials/"+credID, `{"name":"renamed","api_key":"sk-other-secret-value-1234"}`, bearer(password)...)

	list := func(query string) map[string]any {
		t.Helper()
		r := e.do("GET", "/api/audit"+query, "", bearer(password)...)
		if r.status != 200 {
			t.Fatalf("GET /api/audit%s: %d %s", query, r.status, r.body)
		}
		return obj(t, r)
	}
	entries := func(m map[string]any) []map[string]any {
		var out []map[string]any
		for _, x := range m["entries"].([]any) {
			out = append(out, x.(map[string]any))
		}
		return out
	}
	t.Run("everything is listed newest first with who, where, what and how", func(t *testing.T) {
		es := entries(list(""))
		if len(es) != 6 {
			t.Fatalf("%d entries: %v", len(es), es)
		}
		upd := es[0]
		if upd["action"] != "credential.update" || upd["target"] != credID || upd["actor"] != "password" ||
			upd["client_ip"] != "127.0.0.1" || upd["outcome"] != "success" || upd["seq"] != float64(6) {
			t.Fatalf("%v", upd)
		}
		fields := fmt.Sprint(upd["details"].(map[string]any)["fields"])
		if !strings.Contains(fields, "name") || !strings.Contains(fields, "api_key") {
			t.Fatalf("the update should name the changed fields: %v", upd["details"])
		}
		if es[2]["action"] != "auth.failure" || es[2]["outcome"] != "failure" || es[2]["actor"] != "anonymous" {
			t.Fatalf("%v", es[2])
		}
	})
	t.Run("an update records field names, never values", func(t *testing.T) {
		if r := e.do("GET", "/api/audit", "", bearer(password)...); strings.Contains(r.body, "renamed") ||
			strings.Contains(r.body, "sk-other-secret") || strings.Contains(r.body, secretKey) {
			t.Fatalf("values in the audit log: %s", r.body)
		}
	})
	filters := []struct {
		name, query string
		want        []float64
	}{
		{"by action", "?action=token.create", []float64{3, 2, 1}},
		{"by target", "?target=" + url.QueryEscape(tokenIDs[1]), []float64{2}},
		{"by time", "?since=" + url.QueryEscape(start.Add(time.Minute).Format(time.RFC3339)) +
			"&until=" + url.QueryEscape(start.Add(2*time.Minute).Format("2006-01-02 15:04:05")), []float64{2}},
		{"with a cursor", "?before=3", []float64{2, 1}},
	}
	for _, tc := range filters {
		t.Run("entries are filtered "+tc.name, func(t *testing.T) {
			var got []float64
			for _, en := range entries(list(tc.query)) {
				got = append(got, en["seq"].(float64))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("seqs %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("pages follow each other through next_before", func(t *testing.T) {
		var seqs []float64
		query := "?limit=4"
		for range 3 {
			page := list(query)
			for _, en := range entries(page) {
				seqs = append(seqs, en["seq"].(float64))
			}
			if page["next_before"] == nil {
				break
			}
			query = fmt.Sprintf("?limit=4&before=%d", int(page["next_before"].(float64)))
		}
		if fmt.Sprint(seqs) != "[6 5 4 3 2 1]" {
			t.Fatalf("pages gave %v", seqs)
		}
	})
	for _, q := range []string{"?limit=0", "?limit=1001", "?before=x", "?since=yesterday"} {
		t.Run("a bad query "+q+" is a validation error", func(t *testing.T) {
			if r := e.do("GET", "/api/audit"+q, "", bearer(password)...); r.status != 422 {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
}

func TestAuditVerifyFindsTheFirstBrokenLink(t *testing.T) {
	cases := []struct {
		name     string
		tamper   string
		brokenAt float64
		problem  string
	}{
		{"an altered outcome", `UPDATE audit_log SET outcome = 'success' WHERE seq = 3`, 3, "entry 3 was altered"},
		{"an altered actor", `UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2`, 2, "entry 2 was altered"},
		{"a deleted entry", `DELETE FROM audit_log WHERE seq = 4`, 4, "entry 4 is missing"},
		{"a deleted last entry", `DELETE FROM audit_log WHERE seq = 5`, 5, "missing"},
		{"a changed hash", `UPDATE audit_log SET hash = 'f00d' WHERE seq = 2`, 2, "entry 2 was altered"},
		{"an entry edited and re-sealed with a correct hash", "reseal 2", 3, "entry 3 does not link to entry 2"},
	}
	for _, engine := range storetest.Engines() {
		for _, tc := range cases {
			t.Run(string(engine)+"/"+tc.name, func(t *testing.T) {
				t.Parallel() // each case has its own database
				e := newEnv(t, engine, withPassword(password))
				for range 2 {
					e.createToken(`{"scope":"read"}`)
				}
				e.do("GET", "/api/notebooks", "", bearer("wrong")...) // entry 3: a failure
				for range 2 {
					e.createToken(`{"scope":"read"}`)
				}
				before := obj(t, e.do("GET", "/api/audit/verify", "", bearer(password)...))
				if before["ok"] != true || before["entries"] != float64(5) || len(before["head"].(string)) != 64 {
					t.Fatalf("before tampering: %v", before)
				}
				if tc.tamper == "reseal 2" {
					e.tamper(e.resealed(2, "someone-else"))
				} else {
					e.tamper(tc.tamper)
				}
				after := obj(t, e.do("GET", "/api/audit/verify", "", bearer(password)...))
				if after["ok"] != false || after["broken_at"] != tc.brokenAt || !strings.Contains(after["problem"].(string), tc.problem) ||
					after["entries"] != tc.brokenAt-1 {
					t.Fatalf("after tampering: %v", after)
				}
			})
		}
	}
}

// resealed returns an UPDATE that gives entry seq another actor and the
// hash that matches its new content, as an attacker who knows the hashing
// scheme would.
func (e *env) resealed(seq int64, actor string) string {
	e.t.Helper()
	for _, en := range e.auditEntries() {
		if en.Seq == seq {
			en.Actor = actor
			return fmt.Sprintf(`UPDATE audit_log SET actor = '%s', hash = '%s' WHERE seq = %d`, actor, audit.ComputeHash(&en), seq)
		}
	}
	e.t.Fatalf("no entry %d", seq)
	return ""
}
