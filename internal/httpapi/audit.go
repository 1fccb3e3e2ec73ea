package httpapi

import (
	"context"
	"encoding/json"
	"time"

	"github.com/open-notebook/open-notebook/internal/apperr"
	"github.com/open-notebook/open-notebook/internal/audit"
)

type auditListIn struct {
	Action string `query:"action" description:"Only this action, e.g. credential.update or auth.failure"`
	Target string `query:"target" description:"Only entries about this record id"`
	Since  string `query:"since" description:"From this time on (RFC 3339, or YYYY-MM-DD[ HH:MM:SS] in UTC)"`
	Until  string `query:"until" description:"Before this time"`
	Before int64  `query:"before" minimum:"1" description:"Page cursor: entries older than this seq (the previous page's next_before)"`
	Limit  int    `query:"limit" default:"100" minimum:"1" maximum:"1000" description:"Entries per page"`
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
	log := s.app.Audit
	return []route{
		endpoint(op{Method: "GET", Path: "/api/audit", Summary: "The audit log, newest first, paginated and filtered (admin)", Tag: "audit", Access: Admin},
			func(ctx context.Context, in auditListIn) (auditPageOut, error) {
				f := audit.Filter{Action: in.Action, Target: in.Target, Before: in.Before, Limit: in.Limit}
				var fields []apperr.FieldError
				for _, tp := range []struct {
					name, value string
					dst         *time.Time
				}{{"since", in.Since, &f.Since}, {"until", in.Until, &f.Until}} {
					if tp.value == "" {
						continue
					}
					t, ok := parseQueryTime(tp.value)
					if !ok {
						fields = append(fields, apperr.FieldError{Loc: []any{"query", tp.name}, Type: "datetime_parsing",
							Msg: "Input should be a valid datetime (RFC 3339, or YYYY-MM-DD[ HH:MM:SS] in UTC)", Input: tp.value})
					}
					*tp.dst = t
				}
				if len(fields) > 0 {
					return auditPageOut{}, apperr.InvalidFields(fields...)
				}
				page, err := log.List(ctx, f)
				if err != nil {
					return auditPageOut{}, err
				}
				out := auditPageOut{Entries: make([]auditEntryOut, len(page.Entries))}
				for i, e := range page.Entries {
					out.Entries[i] = auditEntryOut{Seq: e.Seq, Time: formatTime(e.Time), Actor: e.Actor, ClientIP: e.ClientIP,
						Action: e.Action, Target: e.Target, Outcome: e.Outcome, PrevHash: e.PrevHash, Hash: e.Hash}
					// Details were written by this server as a JSON object; one
					// that no longer parses was altered, which verify reports,
					// so the listing shows it as absent rather than failing.
					_ = json.Unmarshal(e.Details, &out.Entries[i].Details)
				}
				if page.Next > 0 {
					out.NextBefore = &page.Next
				}
				return out, nil
			}),
		endpoint(op{Method: "GET", Path: "/api/audit/verify", Summary: "Check the audit log's hash chain and report the first broken link (admin)", Tag: "audit", Access: Admin},
			func(ctx context.Context, _ struct{}) (audit.Report, error) { return log.Verify(ctx) }),
	}
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
