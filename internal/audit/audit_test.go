package audit_test

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/open-notebook/open-notebook/internal/audit"
	"github.com/open-notebook/open-notebook/internal/store"
	"github.com/open-notebook/open-notebook/internal/store/storetest"
)

func TestRecordListVerifyExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 2, 3, 4, 5, 6, 789123456, time.UTC)
		log := audit.NewLog(db, func() time.Time { return now })
		ctx, cancel := context.WithCancel(t.Context())
		cancel() // a client that hung up must not erase the record
		for i, ev := range []audit.Event{
			{Action: "credential.create", Target: "credential:a", Actor: "password", ClientIP: "192.0.2.1", Details: map[string]any{"provider": "openai"}},
			{Action: "credential.update", Target: "credential:a", Actor: "token:t", ClientIP: "192.0.2.1", Details: map[string]any{"fields": []string{"name"}}},
			{Action: "auth.failure", Outcome: audit.Failure, Actor: "anonymous", ClientIP: "203.0.113.9"},
		} {
			if err := log.Record(ctx, ev); err != nil {
				t.Fatalf("event %d: %v", i, err)
			}
		}
		t.Run("entries keep their fields, with a default outcome and empty details", func(t *testing.T) {
			page, err := log.List(t.Context(), audit.Filter{})
			if err != nil || len(page.Entries) != 3 || page.Next != 0 {
				t.Fatalf("%+v %v", page, err)
			}
			first, last := page.Entries[2], page.Entries[0]
			if first.Outcome != audit.Success || first.Actor != "password" || string(first.Details) != `{"provider":"openai"}` ||
				!first.Time.Equal(now.Truncate(time.Microsecond)) {
				t.Fatalf("first %+v", first)
			}
			if last.Outcome != audit.Failure || string(last.Details) != `{}` {
				t.Fatalf("last %+v", last)
			}
		})
		t.Run("a page one short of the total points at the next", func(t *testing.T) {
			page, _ := log.List(t.Context(), audit.Filter{Limit: 2})
			if len(page.Entries) != 2 || page.Next != 2 {
				t.Fatalf("%+v", page)
			}
			rest, _ := log.List(t.Context(), audit.Filter{Limit: 2, Before: page.Next})
			if len(rest.Entries) != 1 || rest.Entries[0].Seq != 1 || rest.Next != 0 {
				t.Fatalf("%+v", rest)
			}
		})
		t.Run("the intact chain verifies up to its head", func(t *testing.T) {
			rep, err := log.Verify(t.Context())
			if err != nil || !rep.OK || rep.Entries != 3 || rep.BrokenAt != 0 || len(rep.Head) != 64 {
				t.Fatalf("%+v %v", rep, err)
			}
		})
		t.Run("export writes one JSON object per entry, oldest first, that re-verifies", func(t *testing.T) {
			var b strings.Builder
			n, err := log.Export(t.Context(), &b)
			if err != nil || n != 3 {
				t.Fatalf("%d %v", n, err)
			}
			prev := audit.Genesis
			sc := bufio.NewScanner(strings.NewReader(b.String()))
			for seq := int64(1); sc.Scan(); seq++ {
				var e audit.Entry
				if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
					t.Fatal(err)
				}
				if e.Seq != seq || e.PrevHash != prev || audit.ComputeHash(&e) != e.Hash {
					t.Fatalf("line %d does not chain: %+v", seq, e)
				}
				prev = e.Hash
			}
		})
	})
}

func TestComputeHashCoversEveryField(t *testing.T) {
	base := audit.Entry{Seq: 1, Time: time.Unix(1, 0), Actor: "a", ClientIP: "ip", Action: "x", Target: "t",
		Outcome: "success", Details: []byte(`{}`), PrevHash: audit.Genesis}
	h := audit.ComputeHash(&base)
	changes := map[string]func(e *audit.Entry){
		"seq":       func(e *audit.Entry) { e.Seq = 2 },
		"time":      func(e *audit.Entry) { e.Time = e.Time.Add(time.Microsecond) },
		"actor":     func(e *audit.Entry) { e.Actor = "b" },
		"client ip": func(e *audit.Entry) { e.ClientIP = "ip2" },
		"action":    func(e *audit.Entry) { e.Action = "y" },
		"target":    func(e *audit.Entry) { e.Target = "u" },
		"outcome":   func(e *audit.Entry) { e.Outcome = "failure" },
		"details":   func(e *audit.Entry) { e.Details = []byte(`{"a":1}`) },
		"prev hash": func(e *audit.Entry) { e.PrevHash = "x" },
		// Field boundaries matter: moving text between fields must change it.
		"a boundary": func(e *audit.Entry) { e.Actor, e.ClientIP = "aip", "" },
	}
	for name, change := range changes {
		e := base
		change(&e)
		if audit.ComputeHash(&e) == h {
			t.Errorf("changing the %s keeps the hash", name)
		}
	}
}
