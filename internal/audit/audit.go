// Package audit keeps the append-only, hash-chained audit log: every
// security-relevant action (credential changes, key rotation, logins and
// failures, token management) with when, who, from where, on what and how
// it ended. Each entry stores the hash of the one before it, so changing,
// removing or reordering any entry breaks the chain at that point, and
// Verify reports the first broken link.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Genesis is the previous-hash of the first entry.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Outcomes.
const (
	Success = "success"
	Failure = "failure"
)

// Event is one action to record. Details carry names and counts, never
// secret values.
type Event struct {
	Action   string // e.g. "credential.create"
	Target   string // the record acted on, if any
	Outcome  string // Success or Failure
	Details  map[string]any
	Actor    string // "password", a session id, a token id, "cli" or "anonymous"
	ClientIP string
}

// Entry is a recorded event in the chain.
type Entry struct {
	Seq      int64           `json:"seq"`
	Time     time.Time       `json:"time"`
	Actor    string          `json:"actor"`
	ClientIP string          `json:"client_ip"`
	Action   string          `json:"action"`
	Target   string          `json:"target"`
	Outcome  string          `json:"outcome"`
	Details  json.RawMessage `json:"details"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// ComputeHash returns the hash that seals e: SHA-256 over a JSON array of
// every field but the hash itself (the details as their stored text), so
// no two different entries share an encoding.
func ComputeHash(e *Entry) string {
	b, _ := json.Marshal([]any{"onb-audit-v1", e.Seq, e.Time.UnixMicro(), e.Actor, e.ClientIP, e.Action, e.Target,
		e.Outcome, string(e.Details), e.PrevHash})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Filter selects entries for listing, newest first.
type Filter struct {
	Action string    // exact; "" for all
	Target string    // exact; "" for all
	Since  time.Time // inclusive; zero for no bound
	Until  time.Time // exclusive; zero for no bound
	Before int64     // only entries with a smaller seq (a page cursor); 0 for none
	Limit  int
}

// Store persists the chain.
type Store interface {
	// InTx runs fn in one database transaction; the store's methods called
	// with fn's context take part in it.
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// AppendAudit serializes appends across every writer (goroutines and
	// replicas): it assigns e.Seq and e.PrevHash from the chain head, calls
	// seal to set e.Hash, and stores e and the new head in one transaction.
	AppendAudit(ctx context.Context, e *Entry, seal func(*Entry)) error
	// AuditHead returns the last entry's seq and hash (0 and Genesis when
	// the log is empty).
	AuditHead(ctx context.Context) (seq int64, hash string, err error)
	// AuditEntries returns up to limit entries with seq > after, ascending.
	AuditEntries(ctx context.Context, after int64, limit int) ([]Entry, error)
	// ListAudit returns the entries f selects, newest first.
	ListAudit(ctx context.Context, f Filter) ([]Entry, error)
}

// Recorder is how services record what they do: Within for a change and
// its entry in one transaction, Record for an event that changes nothing
// else (a failed attempt, a test).
type Recorder interface {
	Within(ctx context.Context, change func(ctx context.Context) (Event, error)) error
	Record(ctx context.Context, ev Event) error
}

// Log is the audit log.
type Log struct {
	store Store
	now   func() time.Time
}

// NewLog returns a Log. now is the clock.
func NewLog(store Store, now func() time.Time) *Log { return &Log{store: store, now: now} }

// writeTimeout bounds an append. An append does not follow the request's
// cancellation: a client that hangs up must not erase the record of what it
// did.
const writeTimeout = 10 * time.Second

// actorKey carries who is acting, for the entries recorded on their
// behalf.
type actorKey struct{}

type actor struct{ name, clientIP string }

// WithActor returns a context whose changes are recorded as made by actor
// ("password", a session or token id, "cli", "anonymous") from clientIP.
// Every entry point (the HTTP API, the CLI, the workers) sets it once;
// services record their changes without being told who asked.
func WithActor(ctx context.Context, name, clientIP string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor{name, clientIP})
}

// ActorOf returns the actor and client address of ctx; "anonymous" and
// "unknown" when none was set.
func ActorOf(ctx context.Context) (name, clientIP string) {
	if a, ok := ctx.Value(actorKey{}).(actor); ok {
		return a.name, a.clientIP
	}
	return "anonymous", "unknown"
}

// Within makes a change and records it in one transaction: change runs
// with a context whose store calls take part in the transaction, and the
// event it returns is appended to the chain before the commit (an event
// without an action records nothing: the change turned out to be none). If either
// fails, neither happens, so the log never misses a change nor records one
// that did not happen.
func (l *Log) Within(ctx context.Context, change func(ctx context.Context) (Event, error)) error {
	return l.store.InTx(ctx, func(ctx context.Context) error {
		ev, err := change(ctx)
		if err != nil || ev.Action == "" {
			return err
		}
		return l.Record(ctx, ev)
	})
}

// Record appends an event to the chain. The actor and client address come
// from the event, else from the context (WithActor). Inside Within it is
// part of the change's transaction; alone it is its own.
func (l *Log) Record(ctx context.Context, ev Event) error {
	if ev.Actor == "" || ev.ClientIP == "" {
		name, ip := ActorOf(ctx)
		if ev.Actor == "" {
			ev.Actor = name
		}
		if ev.ClientIP == "" {
			ev.ClientIP = ip
		}
	}
	details := ev.Details
	if details == nil {
		details = map[string]any{}
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("audit details of %s: %w", ev.Action, err)
	}
	outcome := ev.Outcome
	if outcome == "" {
		outcome = Success
	}
	e := &Entry{Time: l.now().UTC().Truncate(time.Microsecond), Actor: ev.Actor, ClientIP: ev.ClientIP,
		Action: ev.Action, Target: ev.Target, Outcome: outcome, Details: raw}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	if err := l.store.AppendAudit(ctx, e, func(e *Entry) { e.Hash = ComputeHash(e) }); err != nil {
		return fmt.Errorf("append audit entry %s: %w", ev.Action, err)
	}
	return nil
}

// DefaultPageSize and MaxPageSize bound a List.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Page is one page of entries, newest first. Next is the cursor (Before)
// of the following page, 0 when there is none.
type Page struct {
	Entries []Entry `json:"entries"`
	Next    int64   `json:"next_before,omitempty"`
}

// List returns the entries f selects, newest first, one page at a time.
func (l *Log) List(ctx context.Context, f Filter) (Page, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultPageSize
	}
	f.Limit = min(f.Limit, MaxPageSize)
	want := f.Limit
	f.Limit++ // one more tells whether another page follows
	es, err := l.store.ListAudit(ctx, f)
	if err != nil {
		return Page{}, fmt.Errorf("list audit entries: %w", err)
	}
	p := Page{Entries: es}
	if len(es) > want {
		p.Entries = es[:want]
		p.Next = es[want-1].Seq
	}
	return p, nil
}

// Report is the result of a verification.
type Report struct {
	OK       bool   `json:"ok"`
	Entries  int64  `json:"entries"`             // entries checked and found intact
	Head     string `json:"head"`                // the head hash; record it elsewhere to detect a rewrite of the whole chain
	BrokenAt int64  `json:"broken_at,omitempty"` // seq of the first broken link
	Problem  string `json:"problem,omitempty"`
}

// verifyBatch is how many entries Verify reads at a time.
const verifyBatch = 1000

// Verify walks the chain from the first entry to the head as it was when
// verification began (later appends are not checked) and reports the first
// broken link: an entry whose content no longer matches its hash, whose
// link does not match the entry before it, a missing entry, or a chain
// that ends before the head.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	headSeq, headHash, err := l.store.AuditHead(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("read audit head: %w", err)
	}
	rep := Report{Head: headHash}
	prev, next := Genesis, int64(1)
	broken := func(seq int64, format string, args ...any) (Report, error) {
		rep.BrokenAt, rep.Problem = seq, fmt.Sprintf(format, args...)
		return rep, nil
	}
	for next <= headSeq {
		es, err := l.store.AuditEntries(ctx, next-1, verifyBatch)
		if err != nil {
			return Report{}, fmt.Errorf("read audit entries: %w", err)
		}
		if len(es) == 0 {
			return broken(next, "entries %d to %d are missing: the chain ends before its head", next, headSeq)
		}
		for i := range es {
			if next > headSeq {
				break // appended after verification began
			}
			e := &es[i]
			switch {
			case e.Seq != next:
				return broken(next, "entry %d is missing", next)
			case e.PrevHash != prev:
				return broken(e.Seq, "entry %d does not link to entry %d: its previous hash is %.12s…, entry %d's hash is %.12s…",
					e.Seq, e.Seq-1, e.PrevHash, e.Seq-1, prev)
			case ComputeHash(e) != e.Hash:
				return broken(e.Seq, "entry %d was altered: its content does not match its hash", e.Seq)
			}
			prev = e.Hash
			next++
			rep.Entries++
		}
	}
	if prev != headHash {
		return broken(headSeq, "the last entry's hash does not match the chain head")
	}
	rep.OK = true
	return rep, nil
}

// Export writes every entry, oldest first, as JSON Lines and returns how
// many it wrote.
func (l *Log) Export(ctx context.Context, w io.Writer) (int64, error) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	var after, n int64
	for {
		es, err := l.store.AuditEntries(ctx, after, verifyBatch)
		if err != nil {
			return n, fmt.Errorf("read audit entries: %w", err)
		}
		if len(es) == 0 {
			return n, nil
		}
		for i := range es {
			if err := enc.Encode(&es[i]); err != nil {
				return n, fmt.Errorf("write audit entry %d: %w", es[i].Seq, err)
			}
			n++
		}
		after = es[len(es)-1].Seq
	}
}
