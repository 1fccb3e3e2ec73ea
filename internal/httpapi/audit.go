package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/audit"
)

// AuditTrail reads and checks the audit log.
type AuditTrail interface {
	List(ctx context.Context, f audit.Filter) (audit.Page, error)
	Verify(ctx context.Context) (audit.Report, error)
}

// auditAs records an event by actor in the log and, when configured, the
// audit log, with the client's address. Details carry names and counts
// only, never secret values.
func (s *Server) auditAs(r *http.Request, actor, action, target, outcome string, details map[string]any) {
	e := AuditEvent{Action: action, Target: target, Outcome: outcome, Details: details, Actor: actor, ClientIP: clientOf(r).String()}
	logger(r).Info("audit", "action", action, "target", target, "outcome", outcome, "actor", actor, "details", details)
	if s.deps.Audit != nil {
		if err := s.deps.Audit.Record(r.Context(), e); err != nil {
			logger(r).Error("audit log write failed", "action", action, "error", err)
		}
	}
}

type auditListIn struct {
	Action string `query:"action" description:"Only this action, e.g. credential.update or auth.failure"`
	Target string `query:"target" description:"Only entries about this record id"`
	Since  string `query:"since" description:"From this time on (RFC 3339, or YYYY-MM-DD[ HH:MM:SS] in UTC)"`
	Until  string `query:"until" description:"Before this time"`
	Before int64  `query:"before" description:"Page cursor: entries older than this seq (the previous page's next_before)"`
	Limit  int    `query:"limit" description:"Entries per page, 1 to 1000 (default 100)"`
}

type auditEntryOut struct {
	Seq      int64          `json:"seq"`
	Time     string         `json:"time"`
	Actor    string         `json:"actor"`
	ClientIP string         `json:"client_ip"`
	Action   string         `json:"action"`
	Target   string         `json:"target"`
	Outcome  string         `json:"outcome" enum:"success,failure"`
	Details  map[string]any `json:"details"`
	PrevHash string         `json:"prev_hash"`
	Hash     string         `json:"hash"`
}

type auditPageOut struct {
	Entries    []auditEntryOut `json:"entries"`
	NextBefore *int64          `json:"next_before" description:"Cursor of the next (older) page; null on the last page"`
}

func (s *Server) auditRoutes() []route {
	return []route{
		{method: "GET", path: "/api/audit", summary: "The audit log, newest first, paginated and filtered (admin)", tag: "audit",
			in: auditListIn{}, out: auditPageOut{}, handle: s.listAudit},
		{method: "GET", path: "/api/audit/verify", summary: "Check the audit log's hash chain and report the first broken link (admin)", tag: "audit",
			out: audit.Report{}, handle: s.verifyAudit},
	}
}

var errNoAuditLog = apperr.New(apperr.NotFound, "The audit log is not configured")

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	if s.deps.AuditTrail == nil {
		return errNoAuditLog
	}
	q := r.URL.Query()
	f := audit.Filter{Action: q.Get("action"), Target: q.Get("target")}
	var fields []apperr.FieldError
	bad := func(name, typ, msg string) {
		fields = append(fields, apperr.FieldError{Loc: []any{"query", name}, Type: typ, Msg: msg, Input: q.Get(name)})
	}
	for _, tp := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(tp.name); v != "" {
			t, ok := parseQueryTime(v)
			if !ok {
				bad(tp.name, "datetime_parsing", "Input should be a valid datetime (RFC 3339, or YYYY-MM-DD[ HH:MM:SS] in UTC)")
			}
			*tp.dst = t
		}
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			bad("before", "int_parsing", "Input should be a positive integer")
		}
		f.Before = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > audit.MaxPageSize {
			bad("limit", "int_parsing", "Input should be an integer from 1 to "+strconv.Itoa(audit.MaxPageSize))
		}
		f.Limit = n
	}
	if len(fields) > 0 {
		return apperr.InvalidFields(fields...)
	}
	page, err := s.deps.AuditTrail.List(r.Context(), f)
	if err != nil {
		return err
	}
	out := auditPageOut{Entries: make([]auditEntryOut, len(page.Entries))}
	for i, e := range page.Entries {
		out.Entries[i] = auditEntryOut{Seq: e.Seq, Time: formatTime(e.Time), Actor: e.Actor, ClientIP: e.ClientIP,
			Action: e.Action, Target: e.Target, Outcome: e.Outcome, PrevHash: e.PrevHash, Hash: e.Hash}
		// Details were written by this server as a JSON object; one that
		// no longer parses was altered, which verify reports, so the
		// listing shows it as absent rather than failing.
		_ = json.Unmarshal(e.Details, &out.Entries[i].Details)
	}
	if page.Next > 0 {
		out.NextBefore = &page.Next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request) error {
	if s.deps.AuditTrail == nil {
		return errNoAuditLog
	}
	rep, err := s.deps.AuditTrail.Verify(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// parseQueryTime reads a time filter: RFC 3339, the original's rendering
// ("2026-01-02 03:04:05.123456+00:00"), or a UTC date and time.
func parseQueryTime(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999-07:00", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
